//! What `HttpParser.next_event` hands the native server, one frozen class per kind with named
//! fields (`HeadEvent`, `RouteEvent`, `UpgradeEvent`, `BodyEvent`, `EndEvent`, `ErrorEvent`),
//! and `Framing`, how `response_head` frames a body it is given no Content-Length for.
//!
//! Events are made per request and per body piece, so they cost no more than the tuples they
//! replace: the fields of the per-request ones are Python objects, made with the event (a frozen
//! class's `Py` field is a plain struct member for Python, read as fast as a `__slots__`
//! attribute, where a Rust `bool` or `u8` field would take a getter call on every read); their
//! memory is kept on a free list; and the one `EndEvent` serves every request.

use std::sync::Arc;

use fasterapi_core::http::{BodyFraming, RequestHead};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyDict, PyInt, PyList, PyString};

use super::parser::NativeRequest;
use crate::compress::GzipAnswer;
use crate::cors::CorsSend;
use crate::middleware::secure::SecurityHeaders;
use crate::route::call::RouteCall;

/// A request head for the ASGI path: a route the parser does not run itself (or no
/// dispatcher). Its body follows as `BodyEvent`s, then an `EndEvent`.
#[pyclass(module = "FasterAPI._core", freelist = 16, frozen, get_all)]
pub struct HeadEvent {
    method: Py<PyString>,
    path: Py<PyString>,
    raw_path: Py<PyBytes>,
    query: Py<PyBytes>,
    http_minor: Py<PyInt>,
    /// The `(name, value)` pairs, names lowercased, as in an ASGI scope.
    headers: Py<PyList>,
    keep_alive: Py<PyBool>,
    expect_continue: Py<PyBool>,
}

impl HeadEvent {
    pub(crate) fn new(py: Python<'_>, head: &RequestHead) -> PyResult<Self> {
        let headers = Self::header_list(py, head)?;
        Ok(HeadEvent {
            method: PyString::new(py, &head.method).unbind(),
            path: PyString::new(py, &head.path).unbind(),
            raw_path: PyBytes::new(py, &head.raw_path).unbind(),
            query: PyBytes::new(py, &head.query).unbind(),
            http_minor: head.http_minor.into_pyobject(py)?.unbind(),
            headers: headers.unbind(),
            keep_alive: py_bool(py, head.keep_alive),
            expect_continue: py_bool(py, head.expect_continue),
        })
    }

    /// The head's `(name, value)` pairs, as an ASGI scope has them.
    pub(crate) fn header_list<'py>(
        py: Python<'py>,
        head: &RequestHead,
    ) -> PyResult<Bound<'py, PyList>> {
        let headers = PyList::empty(py);
        for (name, value) in &head.headers {
            headers.append((PyBytes::new(py, name), PyBytes::new(py, value)))?;
        }
        Ok(headers)
    }
}

/// A request for a route the parser matched and ran the parameter plan of (a native route):
/// `kwargs` holds the parameters extracted, `errors` None or their validation errors. Unless
/// `complete` (no body), its body follows as `BodyEvent`s, then an `EndEvent`.
#[pyclass(module = "FasterAPI._core", freelist = 16, frozen)]
pub struct RouteEvent {
    /// What the route's run needs of the route (`RouteRun.native`).
    pub(crate) call: Arc<RouteCall>,
    /// The route object given to `Dispatcher.add_route`.
    #[pyo3(get)]
    pub(crate) route: Py<PyAny>,
    #[pyo3(get)]
    pub(crate) kwargs: Py<PyDict>,
    #[pyo3(get)]
    pub(crate) errors: Py<PyAny>,
    /// What the route's run reads the body by ([`body_media`]): whether it is JSON (by its
    /// Content-Type), or a form's Content-Type.
    #[pyo3(get)]
    pub(crate) media: Py<PyAny>,
    #[pyo3(get)]
    pub(crate) request: Py<NativeRequest>,
    /// No body follows: no `BodyEvent` nor `EndEvent`.
    #[pyo3(get)]
    pub(crate) complete: Py<PyBool>,
    /// The CORS headers its responses get, when the app's CORSMiddleware runs natively.
    #[pyo3(get)]
    pub(crate) cors: Option<Py<CorsSend>>,
    /// GZipMiddleware for it, when the native server runs the app's.
    #[pyo3(get)]
    pub(crate) gzip: Option<Py<GzipAnswer>>,
    /// SecurityHeadersMiddleware's headers, when the native server runs the app's.
    #[pyo3(get)]
    pub(crate) security: Option<Py<SecurityHeaders>>,
    /// Its body (past 256 KiB, or chunked) is read as it arrives by the route's Request or
    /// form, not whole before the route runs (`Entry::streams_body`).
    #[pyo3(get)]
    pub(crate) streamed: bool,
}

/// A WebSocket handshake (a GET with `Upgrade: websocket`): the fields of a `HeadEvent` up to
/// `headers`. The parser is then done; `take_buffered()` returns the frames sent behind it.
#[pyclass(module = "FasterAPI._core", frozen, get_all)]
pub struct UpgradeEvent {
    method: Py<PyString>,
    path: Py<PyString>,
    raw_path: Py<PyBytes>,
    query: Py<PyBytes>,
    http_minor: Py<PyInt>,
    headers: Py<PyList>,
}

impl UpgradeEvent {
    pub(crate) fn new(py: Python<'_>, head: &RequestHead) -> PyResult<Self> {
        let head = HeadEvent::new(py, head)?;
        Ok(UpgradeEvent {
            method: head.method,
            path: head.path,
            raw_path: head.raw_path,
            query: head.query,
            http_minor: head.http_minor,
            headers: head.headers,
        })
    }
}

/// What a route's run reads the body by (`Runner`'s `media`): for a form, the request's
/// `content_type` (None without one); else whether the body is JSON.
pub(crate) fn body_media(
    py: Python<'_>,
    call: &RouteCall,
    content_type: Option<&[u8]>,
    is_json: bool,
) -> Py<PyAny> {
    if !call.body.as_ref().is_some_and(|body| body.form) {
        return PyBool::new(py, is_json).to_owned().into_any().unbind();
    }
    match content_type {
        Some(value) => PyBytes::new(py, value).into_any().unbind(),
        None => py.None(),
    }
}

pub(crate) fn py_bool(py: Python<'_>, value: bool) -> Py<PyBool> {
    PyBool::new(py, value).to_owned().unbind()
}

/// A piece of the request's body.
#[pyclass(module = "FasterAPI._core", freelist = 16, frozen, get_all)]
pub struct BodyEvent {
    pub(crate) data: Py<PyBytes>,
}

/// The request's body is complete.
#[pyclass(module = "FasterAPI._core", frozen)]
pub struct EndEvent;

static END: PyOnceLock<Py<EndEvent>> = PyOnceLock::new();

impl EndEvent {
    /// The one `EndEvent` (it has no fields: one object serves every request).
    pub(crate) fn get(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
        let end = END.get_or_try_init(py, || Py::new(py, EndEvent))?;
        Ok(end.bind(py).clone().into_any())
    }
}

/// A protocol error: `response` is the whole error response to write, after which the
/// connection is closed.
#[pyclass(module = "FasterAPI._core", frozen, get_all)]
pub struct ErrorEvent {
    pub(crate) status: u16,
    pub(crate) response: Py<PyBytes>,
}

/// How `response_head` frames a body without a Content-Length (an int `framing` is one).
#[pyclass(module = "FasterAPI._core", name = "Framing", frozen, eq)]
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ResponseFraming {
    /// A chunked body: `Transfer-Encoding: chunked`.
    #[pyo3(name = "CHUNKED")]
    Chunked,
    /// No framing header: a status without a body (1xx, 204, 304), or a body that ends when
    /// the connection closes.
    #[pyo3(name = "NONE")]
    None,
}

/// A `response_head` framing: a Content-Length, or a `Framing`.
pub(crate) fn body_framing(framing: &Bound<'_, PyAny>) -> PyResult<BodyFraming> {
    Ok(match framing.cast::<ResponseFraming>() {
        Ok(named) => match *named.get() {
            ResponseFraming::Chunked => BodyFraming::Chunked,
            ResponseFraming::None => BodyFraming::None,
        },
        Err(_) => BodyFraming::Length(framing.extract()?),
    })
}

/// Adds the event classes and `Framing` to `FasterAPI._core`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<HeadEvent>()?;
    m.add_class::<RouteEvent>()?;
    m.add_class::<UpgradeEvent>()?;
    m.add_class::<BodyEvent>()?;
    m.add_class::<EndEvent>()?;
    m.add_class::<ErrorEvent>()?;
    m.add_class::<ResponseFraming>()?;
    Ok(())
}
