//! The ASGI front door in Rust. `Faster` derives from `AsgiApp`, so `app(scope, receive,
//! send)` returns an `AsgiCall`: an awaitable that routes the request, runs the route's
//! parameter plan and reads the body, driving each awaitable it needs (receive) itself
//! instead of running a Python coroutine around them, then runs the route's run
//! (`run::runner::Runner`: dependencies, the endpoint, the response), the same one the native
//! server's door runs, stepping it in place. Whatever is off that path (lifespan, middleware,
//! no route, a body cut short) is a Python coroutine of the app's, which it awaits the same
//! way.

use std::sync::Arc;

use pyo3::exceptions::{PyException, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyDict, PyList, PyString, PyTuple, PyType};
use pyo3::{PyTraverseError, PyVisit};

use crate::cors::{preflight_parts, CorsAnswer};
use crate::headers::visit_headers;
use crate::route::dispatch::{Dispatcher, Entry, Overrides, Resolved};
use crate::run::awaiting::{awaitable_iter, send_value, step_into, throw_value, Sent};
use crate::run::messages::{body_message, start_message};
use crate::run::runner::{Channel, Door, Runner};

/// The Rust base of `Faster`: what the front door reads on every request.
#[pyclass(subclass, module = "FasterAPI._core")]
pub struct AsgiApp {
    /// The compiled routes; None until the first request (and after a route is added).
    #[pyo3(get, set, name = "_dispatcher")]
    dispatcher: Option<Py<Dispatcher>>,
    #[pyo3(get, set)]
    root_path: Py<PyString>,
    /// `add_middleware()` entries; while there are any, requests go through them first.
    #[pyo3(get, set)]
    user_middleware: Py<PyList>,
    /// Calls go through `app.middleware_stack` first even without `add_middleware()` entries:
    /// its `build_middleware_stack()` was overridden (instrumentations do), set by Python.
    #[pyo3(get, set, name = "_stack_first")]
    stack_first: bool,
    /// FastAPI's `app.dependency_overrides`: original dependency -> replacement (shared with
    /// the dispatchers).
    #[pyo3(get, name = "_overrides")]
    overrides: Py<Overrides>,
    /// The overrides the dispatcher's routes were compiled with; when they differ from
    /// `dependency_overrides`, the routes are compiled again before the request.
    #[pyo3(get, set, name = "_overrides_compiled")]
    overrides_compiled: Py<PyDict>,
}

#[pymethods]
impl AsgiApp {
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn new(
        py: Python<'_>,
        _args: &Bound<'_, PyTuple>,
        _kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        Ok(AsgiApp {
            dispatcher: None,
            root_path: PyString::new(py, "").unbind(),
            user_middleware: PyList::empty(py).unbind(),
            stack_first: false,
            overrides: Py::new(py, Overrides::new(py))?,
            overrides_compiled: PyDict::new(py).unbind(),
        })
    }

    #[getter]
    fn get_dependency_overrides(&self, py: Python<'_>) -> Py<PyDict> {
        self.overrides.borrow(py).current.clone_ref(py)
    }

    /// A dict, or None for none, as FastAPI takes (`app.dependency_overrides = None`;
    /// `del app.dependency_overrides` comes here as None too).
    #[setter]
    fn set_dependency_overrides(
        &mut self,
        py: Python<'_>,
        value: Option<Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        self.overrides.borrow_mut(py).current = match value {
            Some(overrides) => overrides.unbind(),
            None => PyDict::new(py).unbind(),
        };
        Ok(())
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.dispatcher)?;
        visit.call(&self.root_path)?;
        visit.call(&self.user_middleware)?;
        visit.call(&self.overrides)?;
        visit.call(&self.overrides_compiled)
    }

    fn __clear__(&mut self) {
        self.dispatcher = None; // the routes, whose handlers may refer back to the app
    }

    fn __call__(
        slf: Bound<'_, Self>,
        scope: Bound<'_, PyDict>,
        receive: Py<PyAny>,
        send: Py<PyAny>,
    ) -> AsgiCall {
        AsgiCall {
            app: slf.unbind(),
            scope: scope.unbind(),
            receive,
            send,
            awaiting: None,
            started: false,
            request: None,
            run: None,
            end: None,
        }
    }
}

/// What the result of the awaitable being stepped is for.
#[derive(Clone, Copy)]
enum Step {
    /// Not started: the first step routes the request.
    Start,
    /// The call ends with it (the route's run, a delegated coroutine).
    Finish,
    /// The first `http.request` message.
    Receive,
    /// The rest of a body sent in several messages (`read_body`, `stream_form`).
    ReadBody,
    /// `send(http.response.start)` of an answer of its own (a CORS preflight's); the body
    /// message follows.
    SendStart,
}

/// The matched route and what has been read of the request for it.
struct Request {
    entry: Arc<Entry>,
    /// The values the parameter plan extracted: the handler's keyword arguments so far.
    kwargs: Py<PyDict>,
    /// None, or the list of validation errors.
    errors: Py<PyAny>,
    is_json: bool,
    is_head: bool,
}

/// What comes next.
enum Next<'py> {
    /// This awaitable, for this step.
    Await(Bound<'py, PyAny>, Step),
    /// The route's run, which the call steps until it is over.
    Run(Runner),
    /// The call is over.
    Done,
}

/// One `app(scope, receive, send)`: a coroutine-like object (send, throw, close, __await__).
#[pyclass(module = "FasterAPI._core")]
pub struct AsgiCall {
    app: Py<AsgiApp>,
    scope: Py<PyDict>,
    receive: Py<PyAny>,
    send: Py<PyAny>,
    awaiting: Option<(Py<PyAny>, Step)>,
    started: bool,
    request: Option<Request>,
    /// The route's run, once the request is read: every step goes to it.
    run: Option<Runner>,
    /// The body message, sent once `send(start)` is done.
    end: Option<Py<PyAny>>,
}

#[pymethods]
impl AsgiCall {
    fn __await__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.resume(py, Ok(py.None().into_bound(py)))
    }

    fn send(&mut self, value: Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let py = value.py();
        send_value(self.started, value, |input| self.resume(py, input))
    }

    #[pyo3(signature = (typ, val=None, _tb=None))]
    fn throw(
        &mut self,
        typ: Bound<'_, PyAny>,
        val: Option<Bound<'_, PyAny>>,
        _tb: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let py = typ.py();
        throw_value(typ, val, |input| self.resume(py, input))
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.app)?;
        visit.call(&self.scope)?;
        visit.call(&self.receive)?;
        visit.call(&self.send)?;
        if let Some((sub, _)) = &self.awaiting {
            visit.call(sub)?;
        }
        if let Some(request) = &self.request {
            // not the route's Entry: the dispatcher owns it
            visit.call(&request.kwargs)?;
            visit.call(&request.errors)?;
        }
        if let Some(run) = &self.run {
            run.traverse(&visit)?;
        }
        visit.call(&self.end)
    }

    fn __clear__(&mut self) {
        self.awaiting = None; // what it awaits, which may hold its own task
        self.request = None;
        self.run = None;
        self.end = None;
    }

    fn close(&mut self, py: Python<'_>) -> PyResult<()> {
        self.started = true;
        self.request = None;
        if let Some(mut run) = self.run.take() {
            return run.close(py);
        }
        match self.awaiting.take() {
            Some((sub, _)) if sub.bind(py).hasattr("close")? => {
                sub.bind(py).call_method0("close")?;
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

impl AsgiCall {
    /// Steps the call with a value sent in (or an exception thrown in) by whoever awaits it:
    /// Some(value) when it suspends on `value`, None when it is over.
    fn resume<'py>(
        &mut self,
        py: Python<'py>,
        input: PyResult<Bound<'py, PyAny>>,
    ) -> PyResult<Option<Py<PyAny>>> {
        if let Some(run) = &mut self.run {
            let stepped = run.resume(py, input);
            if !matches!(stepped, Ok(Some(_))) {
                self.run = None;
            }
            return Ok(stepped?.map(Bound::unbind));
        }
        let (mut step, mut outcome) = match self.awaiting.take() {
            Some((sub, step)) => match step_into(sub.bind(py), input) {
                Ok(Sent::Yield(value)) => {
                    self.awaiting = Some((sub, step));
                    return Ok(Some(value.unbind()));
                }
                Ok(Sent::Return(value)) => (step, Ok(value)),
                Err(err) => (step, Err(err)),
            },
            None if self.started => {
                let _ = input?; // as a finished coroutine: what is thrown in comes back out
                return Err(PyRuntimeError::new_err(
                    "cannot reuse already awaited coroutine",
                ));
            }
            None => {
                self.started = true;
                (Step::Start, input)
            }
        };
        loop {
            let (awaitable, next) = match self.advance(py, step, outcome)? {
                Next::Await(awaitable, next) => (awaitable, next),
                Next::Done => {
                    self.request = None;
                    return Ok(None);
                }
                Next::Run(mut run) => {
                    self.request = None;
                    let yielded = run.start(py)?;
                    if yielded.is_some() {
                        self.run = Some(run);
                    }
                    return Ok(yielded.map(Bound::unbind));
                }
            };
            step = next;
            let sub = match awaitable_iter(awaitable) {
                Ok(sub) => sub,
                Err(err) => {
                    outcome = Err(err);
                    continue;
                }
            };
            match step_into(&sub, Ok(py.None().into_bound(py))) {
                Ok(Sent::Yield(value)) => {
                    self.awaiting = Some((sub.unbind(), step));
                    return Ok(Some(value.unbind()));
                }
                Ok(Sent::Return(value)) => outcome = Ok(value),
                Err(err) => outcome = Err(err),
            }
        }
    }

    /// Goes on from `step`, which ended with `outcome`.
    fn advance<'py>(
        &mut self,
        py: Python<'py>,
        step: Step,
        outcome: PyResult<Bound<'py, PyAny>>,
    ) -> PyResult<Next<'py>> {
        let next = match step {
            Step::Start => return outcome.and_then(|_| self.start(py)),
            Step::Finish => return outcome.map(|_| Next::Done),
            Step::SendStart => {
                outcome?;
                let end = self
                    .end
                    .take()
                    .expect("the body message is set with the start");
                return Ok(Next::Await(self.send.bind(py).call1((end,))?, Step::Finish));
            }
            Step::Receive => outcome.and_then(|message| self.on_message(py, message)),
            Step::ReadBody => outcome.and_then(|raw| self.run_route(py, Some(raw))),
        };
        // an exception while reading the body: the app's exception handlers answer it
        next.or_else(|err| self.on_error(py, err))
    }

    /// Routes the request; reads the body or runs the route.
    fn start<'py>(&mut self, py: Python<'py>) -> PyResult<Next<'py>> {
        let app = self.app.bind(py);
        let scope = self.scope.bind(py);
        let (dispatcher, root_path, cors) = {
            let core = app.borrow();
            // With CORSMiddleware alone, run natively (the dispatcher's `cors`), calls go
            // through no stack; until it is known, through `_asgi_other`, which builds it.
            let cors = core
                .dispatcher
                .as_ref()
                .and_then(|d| d.bind(py).borrow().cors.as_ref().map(|c| c.clone_ref(py)));
            let middleware = core.user_middleware.bind(py).len() > 0 && cors.is_none();
            let through_middleware =
                (core.stack_first || middleware) && !in_stack(app.as_any(), scope)?;
            let is_http = scope
                .get_item(pyo3::intern!(py, "type"))?
                .is_some_and(|kind| is_str(&kind, "http"));
            let overrides_current = core
                .overrides
                .borrow(py)
                .match_(py, &core.overrides_compiled)?;
            match &core.dispatcher {
                Some(dispatcher) if is_http && !through_middleware && overrides_current => {
                    (dispatcher.clone_ref(py), core.root_path.clone_ref(py), cors)
                }
                _ => return self.delegate(py, pyo3::intern!(py, "_asgi_other"), None),
            }
        };
        if !root_path.bind(py).is_empty()? {
            scope.set_item(pyo3::intern!(py, "root_path"), root_path)?;
        }
        if let Some(cors) = cors {
            if !in_stack(app.as_any(), scope)? {
                // (one that came through the stack met the Python CORSMiddleware there)
                match cors.get().answer_scope(py, scope)? {
                    CorsAnswer::Preflight(answer) => {
                        let (status, headers, body) = preflight_parts(py, &answer)?;
                        let status = status.into_pyobject(py)?.into_any();
                        let start = start_message(&status, headers.as_any())?;
                        self.end = Some(body_message(body.as_any())?.into_any().unbind());
                        let sent = self.send.bind(py).call1((start,))?;
                        return Ok(Next::Await(sent, Step::SendStart));
                    }
                    CorsAnswer::Headers(headers) => {
                        let send = headers.wrap(self.send.clone_ref(py));
                        self.send = Py::new(py, send)?.into_any();
                    }
                }
            }
        }
        let resolved = dispatcher.bind(py).borrow().resolve_scope(scope)?;
        let found = match resolved {
            Resolved::Found(found) => found,
            Resolved::MethodNotAllowed(allow) => {
                return self.delegate(py, pyo3::intern!(py, "_no_route"), Some(allow.into_any()))
            }
            Resolved::NotFound => {
                let none = py.None().into_bound(py);
                return self.delegate(py, pyo3::intern!(py, "_no_route"), Some(none));
            }
        };
        if let Some(limit) = found.entry.call.max_body {
            // max_body_size: a Content-Length past it is answered at once; else the body
            // is counted as it is read (FasterAPI._body_limit).
            static LIMIT_RECEIVE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
            let limit_receive =
                LIMIT_RECEIVE.import(py, "FasterAPI._body_limit", "limit_receive")?;
            let limited = limit_receive.call1((scope, self.receive.bind(py), limit))?;
            if limited.is_none() {
                return self.delegate(py, pyo3::intern!(py, "_content_too_large"), None);
            }
            self.receive = limited.unbind();
        }
        let has_body = found.entry.call.body.is_some();
        self.request = Some(Request {
            entry: found.entry,
            kwargs: found.kwargs.unwrap_or_else(|| PyDict::new(py)).unbind(),
            errors: found.errors.unbind(),
            is_json: found.is_json,
            is_head: found.is_head,
        });
        if has_body {
            let receive = self.receive.bind(py).call0();
            return receive
                .map(|message| Next::Await(message, Step::Receive))
                .or_else(|err| self.on_error(py, err));
        }
        self.run_route(py, None)
    }

    /// Awaits the app's Python method `name(scope, receive, send[, extra])` to the end.
    fn delegate<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyString>,
        extra: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Next<'py>> {
        let app = self.app.bind(py);
        let (scope, receive, send) = self.channel(py);
        let coroutine = match extra {
            Some(extra) => app.call_method1(name, (scope, receive, send, extra))?,
            None => app.call_method1(name, (scope, receive, send))?,
        };
        Ok(Next::Await(coroutine, Step::Finish))
    }

    /// The request's `(scope, receive, send)`.
    fn channel<'py>(
        &self,
        py: Python<'py>,
    ) -> (&Bound<'py, PyDict>, &Bound<'py, PyAny>, &Bound<'py, PyAny>) {
        (
            self.scope.bind(py),
            self.receive.bind(py),
            self.send.bind(py),
        )
    }

    fn request(&self) -> &Request {
        self.request
            .as_ref()
            .expect("set once the route is matched")
    }

    /// The first message of the body: all of it, as almost always, or the start of it.
    fn on_message<'py>(
        &mut self,
        py: Python<'py>,
        message: Bound<'py, PyAny>,
    ) -> PyResult<Next<'py>> {
        if let Ok(dict) = message.cast::<PyDict>() {
            let kind = dict.get_item(pyo3::intern!(py, "type"))?;
            let more = dict.get_item(pyo3::intern!(py, "more_body"))?;
            let whole = kind.is_some_and(|kind| is_str(&kind, "http.request"))
                && !matches!(&more, Some(more) if more.is_truthy()?);
            if whole {
                let body = match dict.get_item(pyo3::intern!(py, "body"))? {
                    Some(body) => body,
                    None => PyBytes::new(py, b"").into_any(),
                };
                return self.run_route(py, Some(body));
            }
        }
        let form = self
            .request()
            .entry
            .call
            .body
            .as_ref()
            .is_some_and(|b| b.form);
        let rest = if form {
            // A multipart upload is parsed as it arrives, its files spooled to disk
            // (FasterAPI._http.forms.stream_form): never held whole in memory.
            static STREAM_FORM: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
            let stream_form = STREAM_FORM.import(py, "FasterAPI._http.forms", "stream_form")?;
            let media = content_type(self.scope.bind(py))?;
            stream_form.call1((self.receive.bind(py), message, media))?
        } else {
            static READ_BODY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
            let read_body = READ_BODY.import(py, "FasterAPI._http.body", "read_body")?;
            read_body.call1((self.receive.bind(py), message))?
        };
        Ok(Next::Await(rest, Step::ReadBody))
    }

    /// Hands the request to the route's run (`run::runner::Runner`), with the body read
    /// (`raw`: bytes, or a form parsed as it arrived; None for a route that reads no body)
    /// and what its body plan reads it by: the Content-Type for a form, else whether it is JSON.
    fn run_route<'py>(
        &mut self,
        py: Python<'py>,
        raw: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Next<'py>> {
        let request = self.request.take().expect("set once the route is matched");
        let call = &request.entry.call;
        let scope = self.scope.bind(py);
        let media = if call.body.as_ref().is_some_and(|b| b.form) {
            content_type(scope)?
        } else {
            PyBool::new(py, request.is_json).to_owned().into_any()
        };
        let raw = raw.unwrap_or_else(|| py.None().into_bound(py));
        if raw.is_instance_of::<PyBytes>() {
            // for a Request made from the scope (`Request.body()`)
            scope.set_item(pyo3::intern!(py, "fasterapi.body"), &raw)?;
        } else if !raw.is_none() {
            // a form parsed as it arrived: `Request.form()` gives it
            scope.set_item(pyo3::intern!(py, "fasterapi.form"), &raw)?;
        }
        let door = Door::Asgi(Channel {
            app: self.app.clone_ref(py).into_any(),
            scope: self.scope.clone_ref(py),
            receive: self.receive.clone_ref(py),
            send: self.send.clone_ref(py),
            head: request.is_head,
        });
        Ok(Next::Run(Runner::new(
            call.clone(),
            door,
            request.kwargs,
            request.errors,
            raw.unbind(),
            media.unbind(),
        )))
    }

    /// An exception from reading the body: a client that went away ends the call; any
    /// Exception (a body past max_body_size, say) goes to the app's exception handlers.
    fn on_error<'py>(&mut self, py: Python<'py>, err: PyErr) -> PyResult<Next<'py>> {
        static CLIENT_DISCONNECT: PyOnceLock<Py<PyType>> = PyOnceLock::new();
        let disconnect =
            CLIENT_DISCONNECT.import(py, "FasterAPI._http.body", "ClientDisconnect")?;
        if err.is_instance(py, disconnect) {
            return Ok(Next::Done);
        }
        if !err.is_instance_of::<PyException>(py) {
            return Err(err);
        }
        self.delegate(
            py,
            pyo3::intern!(py, "_handle_exception"),
            Some(err.into_value(py).into_bound(py).into_any()),
        )
    }
}

/// Whether the call has come through the app's middleware stack: its ExceptionMiddleware
/// (`app._exception_middleware`) put its handlers in the scope, as Starlette's does.
fn in_stack(app: &Bound<'_, PyAny>, scope: &Bound<'_, PyDict>) -> PyResult<bool> {
    let py = app.py();
    let Some(handlers) = scope.get_item(pyo3::intern!(py, "starlette.exception_handlers"))? else {
        return Ok(false);
    };
    let middleware = app.getattr(pyo3::intern!(py, "_exception_middleware"))?;
    Ok(!middleware.is_none()
        && handlers.is(&middleware.getattr(pyo3::intern!(py, "scope_handlers"))?))
}

/// The request's Content-Type header (bytes), or None.
fn content_type<'py>(scope: &Bound<'py, PyDict>) -> PyResult<Bound<'py, PyAny>> {
    let py = scope.py();
    let mut found = py.None().into_bound(py);
    if let Some(headers) = scope.get_item(pyo3::intern!(py, "headers"))? {
        visit_headers(&headers, |name, value| {
            let is_it = name.eq_ignore_ascii_case(b"content-type");
            if is_it {
                found = PyBytes::new(py, value).into_any();
            }
            Ok(is_it)
        })?;
    }
    Ok(found)
}

/// `obj == s` for a str, without making a Python string of `s`.
fn is_str(obj: &Bound<'_, PyAny>, s: &str) -> bool {
    obj.cast::<PyString>()
        .is_ok_and(|obj| obj.to_str().is_ok_and(|obj| obj == s))
}
