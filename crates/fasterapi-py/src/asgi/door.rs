//! The ASGI door of a route's run: what FasterAPI._runtime.runner asks of the way a request
//! came in (`app(scope, receive, send)`) to answer it, with the response encoded here as ASGI
//! messages; the native server's door is FasterAPI.server.native.NativeCycle.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple};
use pyo3::{PyTraverseError, PyVisit};

use super::response::{body_message, json_pair, start_message};

/// One request's door (`runner.Door`): made by `AsgiCall` for the route's run.
#[pyclass(frozen, module = "FasterAPI._core")]
pub struct AsgiDoor {
    app: Py<PyAny>,
    scope: Py<PyDict>,
    receive: Py<PyAny>,
    send: Py<PyAny>,
    /// A HEAD request: the response's body is left out.
    head: bool,
}

impl AsgiDoor {
    pub fn create(
        app: Py<PyAny>,
        scope: Py<PyDict>,
        receive: Py<PyAny>,
        send: Py<PyAny>,
        head: bool,
    ) -> Self {
        AsgiDoor {
            app,
            scope,
            receive,
            send,
            head,
        }
    }

    /// The `(start, body)` messages of a response, the body left out for HEAD.
    fn messages<'py>(
        &self,
        start: Bound<'py, PyDict>,
        end: Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let py = start.py();
        let end = if self.head {
            body_message(PyBytes::new(py, b"").as_any())?
        } else {
            end
        };
        PyTuple::new(py, [start, end])
    }
}

#[pymethods]
impl AsgiDoor {
    #[new]
    fn new(
        app: Py<PyAny>,
        scope: Bound<'_, PyDict>,
        receive: Py<PyAny>,
        send: Py<PyAny>,
    ) -> PyResult<Self> {
        let head = match scope.get_item(pyo3::intern!(scope.py(), "method"))? {
            Some(method) => method.eq("HEAD")?,
            None => false,
        };
        Ok(Self::create(app, scope.unbind(), receive, send, head))
    }

    /// Gives the handler the Request and the Response its signature asks for (the app's
    /// `_prepare`); returns the injected Response.
    fn prepare<'py>(
        &self,
        py: Python<'py>,
        route: Bound<'py, PyAny>,
        values: Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let args = (
            route,
            self.scope.bind(py),
            self.receive.bind(py),
            self.send.bind(py),
            values,
        );
        self.app
            .bind(py)
            .call_method1(pyo3::intern!(py, "_prepare"), args)
    }

    /// `content` encoded as JSON: the `(http.response.start, http.response.body)` messages.
    fn json<'py>(&self, content: Bound<'py, PyAny>, status: u16) -> PyResult<Bound<'py, PyTuple>> {
        let (start, end) = json_pair(&content, status)?;
        self.messages(start, end)
    }

    /// A Response whose body is all there, as its two messages.
    fn whole<'py>(&self, response: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyTuple>> {
        let py = response.py();
        let status = response.getattr(pyo3::intern!(py, "status_code"))?;
        let headers = response.getattr(pyo3::intern!(py, "raw_headers"))?;
        let body = response.getattr(pyo3::intern!(py, "body"))?;
        self.messages(start_message(&status, &headers)?, body_message(&body)?)
    }

    /// Sends a Response by its own ASGI call (the app's `_send_response`): the coroutine.
    fn send_response<'py>(
        &self,
        py: Python<'py>,
        response: Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let args = (
            response,
            self.scope.bind(py),
            self.receive.bind(py),
            self.send.bind(py),
        );
        self.app
            .bind(py)
            .call_method1(pyo3::intern!(py, "_send_response"), args)
    }

    /// Answers `exc` with the app's exception handlers (`_handle_exception`): the coroutine.
    fn handle_exception<'py>(
        &self,
        py: Python<'py>,
        exc: Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let args = (
            self.scope.bind(py),
            self.receive.bind(py),
            self.send.bind(py),
            exc,
        );
        self.app
            .bind(py)
            .call_method1(pyo3::intern!(py, "_handle_exception"), args)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.app)?;
        visit.call(&self.scope)?;
        visit.call(&self.receive)?;
        visit.call(&self.send)
    }
}
