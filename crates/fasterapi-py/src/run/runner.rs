//! A route's run: the one place a request to a matched route is served, for both doors. From
//! the values Rust extracted (with the errors of those it could not read) and the body as
//! read, it reads the body into the handler's arguments, solves the dependencies, calls the
//! endpoint (`run_endpoint_function`, the one call site of an HTTP endpoint), validates and
//! serializes the result through the response model, encodes and sends the response through
//! the door the request came in by, runs the code after `yield` of yield dependencies and the
//! background tasks, and hands an exception to the app's exception handlers.
//!
//! The run is a Rust coroutine (`Runner`, stepped by `AsgiCall` on the ASGI door and awaited
//! as a `RouteRun` on the native one): it awaits the Python awaitables it needs itself, so a
//! route without dependencies runs no Python frame but its endpoint's. A route with
//! dependencies calls FasterAPI._runtime.runner for what is still Python: solving them
//! (`arguments`), the exit stacks (`fail`, `finish`, `abort`).

use std::sync::Arc;

use pyo3::exceptions::{PyBaseException, PyException, PyRuntimeError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyDict, PyType};
use pyo3::{PyTraverseError, PyVisit};

use super::awaiting::{awaitable_iter, send_value, step_into, throw_value, Sent};
use super::messages::{body_message, json_pair, start_message};
use crate::http::events::RouteEvent;
use crate::route::call::{EndpointMode, RouteCall};

/// How the request came in and how its response goes out.
pub enum Door {
    /// `app(scope, receive, send)`: the response is sent as ASGI messages.
    Asgi(Channel),
    /// The native server's `NativeCycle` (FasterAPI.server.native, declared by
    /// FasterAPI._runtime.runner.Door): the response is written as bytes, encoded by its
    /// `json` and `whole`.
    Native(Py<PyAny>),
}

/// One ASGI call: the app and `(scope, receive, send)`.
pub struct Channel {
    pub app: Py<PyAny>,
    pub scope: Py<PyDict>,
    pub receive: Py<PyAny>,
    pub send: Py<PyAny>,
    /// A HEAD request: the response's body is left out.
    pub head: bool,
}

impl Door {
    /// Gives the handler the Request and the Response its signature asks for (the app's
    /// `_prepare`, or the native door's `prepare`): the injected Response, or None.
    fn prepare<'py>(
        &self,
        py: Python<'py>,
        route: &Py<PyAny>,
        values: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Door::Asgi(c) => c.app.bind(py).call_method1(
                pyo3::intern!(py, "_prepare"),
                (route, &c.scope, &c.receive, &c.send, values),
            ),
            Door::Native(cycle) => cycle
                .bind(py)
                .call_method1(pyo3::intern!(py, "prepare"), (route, values)),
        }
    }

    /// Sends a Response by its own ASGI call (one that streams, or has background tasks):
    /// the awaitable.
    fn send_response<'py>(
        &self,
        py: Python<'py>,
        response: Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Door::Asgi(c) => c.app.bind(py).call_method1(
                pyo3::intern!(py, "_send_response"),
                (response, &c.scope, &c.receive, &c.send),
            ),
            Door::Native(cycle) => cycle
                .bind(py)
                .call_method1(pyo3::intern!(py, "send_response"), (response,)),
        }
    }

    /// Answers `exc` with the app's exception handlers: the awaitable.
    fn handle_exception<'py>(
        &self,
        py: Python<'py>,
        exc: Py<PyBaseException>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Door::Asgi(c) => c.app.bind(py).call_method1(
                pyo3::intern!(py, "_handle_exception"),
                (&c.scope, &c.receive, &c.send, exc),
            ),
            Door::Native(cycle) => cycle
                .bind(py)
                .call_method1(pyo3::intern!(py, "handle_exception"), (exc,)),
        }
    }
}

/// What the awaitable being stepped is for.
#[derive(Clone, Copy)]
enum Stage {
    /// `runner.arguments`: the body read, the dependencies solved; gives the handler's
    /// keyword arguments.
    Arguments,
    /// The endpoint's coroutine (or its call in the thread pool): gives its result.
    Endpoint,
    /// The exits of the yield dependencies of scope "function", on success.
    FunctionExits,
    /// `runner.finish`: the background tasks and the request-scope exits (the response sent
    /// first, if it sends itself); or `runner.abort`, the request-scope exits after an
    /// exception while the response went out.
    Finish,
    /// `send(http.response.start)`; the body message follows.
    SendStart,
    /// The last send (or the response's own ASGI call): the run is over when it is.
    Sent,
    /// `runner.fail`: the exception thrown into the yield dependencies; gives the one to
    /// answer.
    Fail,
    /// The app's exception handlers answering: the run is over when they are.
    Handle,
}

/// The next awaitable to step and what it is for, or None when the run is over.
type Next<'py> = Option<(Bound<'py, PyAny>, Stage)>;

/// A response made and ready to go out.
enum Reply<'py> {
    /// Encoded by the door: the two ASGI messages, or the bytes of the whole response.
    Encoded(Bound<'py, PyAny>, Option<Bound<'py, PyAny>>),
    /// A Response that sends itself (it streams, or has background tasks).
    Own(Bound<'py, PyAny>),
}

/// One request to one route (see the module's docs).
pub struct Runner {
    call: Arc<RouteCall>,
    door: Door,
    values: Py<PyDict>,
    /// None, or the list of validation errors.
    errors: Py<PyAny>,
    /// The body as read (bytes, or a form), None for a route that reads none.
    raw: Py<PyAny>,
    /// What the body plan reads the body by: the Content-Type for a form, else whether the
    /// request is JSON.
    media: Py<PyAny>,
    /// The request's dependency context (FasterAPI.dependencies.solve.Context), for a route
    /// with dependencies.
    ctx: Option<Py<PyAny>>,
    /// The Response the handler was given, whose status and headers carry over.
    injected: Option<Py<PyAny>>,
    /// What waits for the awaitable in progress: the body message while the start is
    /// sent; the response while the function-scope exits run.
    held: Option<Py<PyAny>>,
    awaiting: Option<(Py<PyAny>, Stage)>,
}

impl Runner {
    pub fn new(
        call: Arc<RouteCall>,
        door: Door,
        values: Py<PyDict>,
        errors: Py<PyAny>,
        raw: Py<PyAny>,
        media: Py<PyAny>,
    ) -> Self {
        Runner {
            call,
            door,
            values,
            errors,
            raw,
            media,
            ctx: None,
            injected: None,
            held: None,
            awaiting: None,
        }
    }

    /// Runs until the first awaitable suspends: Some(value) it suspends on, None when over.
    pub fn start<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let next = self.begin(py);
        self.drive(py, next)
    }

    /// Goes on with a value sent in (or an exception thrown in) by whoever awaits the run.
    pub fn resume<'py>(
        &mut self,
        py: Python<'py>,
        input: PyResult<Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let Some((sub, stage)) = self.awaiting.take() else {
            let _ = input?; // as a finished coroutine: what is thrown in comes back out
            return Err(PyRuntimeError::new_err(
                "cannot reuse already awaited coroutine",
            ));
        };
        let outcome = match step_into(sub.bind(py), input) {
            Ok(Sent::Yield(value)) => {
                self.awaiting = Some((sub, stage));
                return Ok(Some(value));
            }
            Ok(Sent::Return(value)) => Ok(value),
            Err(err) => Err(err),
        };
        let next = self.after(py, stage, outcome);
        self.drive(py, next)
    }

    /// Closes the awaitable in progress, as closing a coroutine closes what it awaits.
    pub fn close(&mut self, py: Python<'_>) -> PyResult<()> {
        self.held = None;
        match self.awaiting.take() {
            Some((sub, _)) if sub.bind(py).hasattr("close")? => {
                sub.bind(py).call_method0("close")?;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    pub fn traverse(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        match &self.door {
            Door::Asgi(c) => {
                visit.call(&c.app)?;
                visit.call(&c.scope)?;
                visit.call(&c.receive)?;
                visit.call(&c.send)?;
            }
            Door::Native(cycle) => visit.call(cycle)?,
        }
        visit.call(&self.values)?;
        visit.call(&self.errors)?;
        visit.call(&self.raw)?;
        visit.call(&self.media)?;
        visit.call(&self.ctx)?;
        visit.call(&self.injected)?;
        visit.call(&self.held)?;
        if let Some((sub, _)) = &self.awaiting {
            visit.call(sub)?;
        }
        Ok(())
    }

    pub fn clear(&mut self) {
        self.awaiting = None;
        self.ctx = None;
        self.injected = None;
        self.held = None;
    }

    /// Steps each next awaitable until one suspends or the run is over.
    fn drive<'py>(
        &mut self,
        py: Python<'py>,
        mut next: PyResult<Next<'py>>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        loop {
            let Some((awaitable, stage)) = next? else {
                self.clear();
                return Ok(None);
            };
            let outcome = match awaitable_iter(awaitable) {
                Ok(sub) => match step_into(&sub, Ok(py.None().into_bound(py))) {
                    Ok(Sent::Yield(value)) => {
                        self.awaiting = Some((sub.unbind(), stage));
                        return Ok(Some(value));
                    }
                    Ok(Sent::Return(value)) => Ok(value),
                    Err(err) => Err(err),
                },
                Err(err) => Err(err),
            };
            next = self.after(py, stage, outcome);
        }
    }

    /// Goes on from `stage`, whose awaitable ended with `outcome`.
    fn after<'py>(
        &mut self,
        py: Python<'py>,
        stage: Stage,
        outcome: PyResult<Bound<'py, PyAny>>,
    ) -> PyResult<Next<'py>> {
        match stage {
            Stage::Arguments => match outcome {
                Ok(kwargs) => self.call_endpoint(py, kwargs),
                Err(err) => self.fail(py, err, true),
            },
            Stage::Endpoint => match outcome {
                Ok(result) => self.respond(py, result),
                Err(err) => self.fail(py, err, true),
            },
            Stage::FunctionExits => match outcome {
                Ok(_) => {
                    let response = self.held.take().expect("held while the exits run");
                    self.send_made(py, response.into_bound(py))
                }
                Err(err) => self.fail(py, err, false),
            },
            Stage::SendStart => match outcome {
                Ok(_) => {
                    let end = self.held.take().expect("the body message is held");
                    match self.door_send(py).call1((end,)) {
                        Ok(sent) => Ok(Some((sent, Stage::Sent))),
                        Err(err) => self.abort(py, err),
                    }
                }
                Err(err) => self.abort(py, err),
            },
            Stage::Sent => match outcome {
                Ok(_) => self.finish(py, None),
                Err(err) => self.abort(py, err),
            },
            Stage::Finish | Stage::Handle => outcome.map(|_| None),
            Stage::Fail => self.handle(py, PyErr::from_value(outcome?)),
        }
    }

    /// The first steps: the body and the arguments, then the endpoint.
    fn begin<'py>(&mut self, py: Python<'py>) -> PyResult<Next<'py>> {
        if self.call.solve {
            let route = self.call.route.bind(py);
            let values = self.values.bind(py);
            let ctx = match &self.door {
                Door::Asgi(c) => {
                    let scope = c.scope.bind(py);
                    scope.set_item(pyo3::intern!(py, "route"), route)?;
                    c.app.bind(py).call_method1(
                        pyo3::intern!(py, "_dependency_context"),
                        (route, values, scope, &c.receive, &c.send),
                    )?
                }
                Door::Native(cycle) => cycle
                    .bind(py)
                    .call_method1(pyo3::intern!(py, "dependency_context"), (route, values))?,
            };
            let arguments = hook(py, &ARGUMENTS, "arguments")?;
            let args = (route, &ctx, &self.errors, &self.raw, &self.media);
            let awaitable = arguments.call1(args);
            self.ctx = Some(ctx.unbind());
            return match awaitable {
                Ok(awaitable) => Ok(Some((awaitable, Stage::Arguments))),
                Err(err) => self.fail(py, err, true),
            };
        }
        match self.arguments(py) {
            Ok(()) => {
                let values = self.values.bind(py).clone().into_any();
                self.call_endpoint(py, values)
            }
            Err(err) => self.fail(py, err, true),
        }
    }

    /// A route without dependencies: reads the body into the handler's arguments (straight
    /// from JSON bytes to a msgspec Struct where the route has such a decoder), raises the
    /// request's validation errors, gives the handler its Request and Response.
    fn arguments(&mut self, py: Python<'_>) -> PyResult<()> {
        let call = &self.call;
        let values = self.values.bind(py);
        let raw = self.raw.bind(py);
        let mut errors = self.errors.bind(py).clone();
        if let Some(body) = &call.body {
            let mut decoded = false;
            if let Some((fast, name)) = &body.fast {
                if self.media.bind(py).is_truthy()? {
                    // invalid: the full parse words the errors
                    if let Ok(value) = fast.bind(py).call1((raw,)) {
                        values.set_item(name, value)?;
                        decoded = true;
                    }
                }
            }
            if !decoded {
                let parse_body = hook(py, &PARSE_BODY, "parse_body")?;
                let args = (&call.route, raw, &self.media, values, &errors);
                errors = parse_body.call1(args)?;
            }
        }
        if !errors.is_none() {
            let invalid = hook(py, &VALIDATION_ERROR, "validation_error")?;
            let exc = invalid.call1((&call.route, errors, raw, &self.media))?;
            return Err(PyErr::from_value(exc));
        }
        if call.prepare {
            let injected = self.door.prepare(py, &call.route, values)?;
            self.injected = (!injected.is_none()).then(|| injected.unbind());
        }
        Ok(())
    }

    /// `run_endpoint_function`: calls the endpoint with `kwargs`, the one place an HTTP
    /// endpoint is called: an `async def` one's coroutine and a `def` one's call in the
    /// thread pool (a route that asks for it) are awaited; any other `def` one runs inline.
    fn call_endpoint<'py>(
        &mut self,
        py: Python<'py>,
        kwargs: Bound<'py, PyAny>,
    ) -> PyResult<Next<'py>> {
        let called = kwargs
            .cast::<PyDict>()
            .map_err(PyErr::from)
            .and_then(|kwargs| {
                let endpoint = self.call.endpoint.bind(py);
                match self.call.mode {
                    EndpointMode::Thread => {
                        static RUN_IN_THREADPOOL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
                        let run = RUN_IN_THREADPOOL.import(
                            py,
                            "FasterAPI.concurrency",
                            "run_in_threadpool",
                        )?;
                        run.call((endpoint,), Some(kwargs))
                    }
                    _ => call_with_keywords(endpoint, kwargs),
                }
            });
        match called {
            Ok(awaitable) if self.call.mode != EndpointMode::Inline => {
                Ok(Some((awaitable, Stage::Endpoint)))
            }
            Ok(result) => self.respond(py, result),
            Err(err) => self.fail(py, err, true),
        }
    }

    /// Makes the response for the endpoint's result and sends it (a route with dependencies:
    /// runs the function-scope exits first).
    fn respond<'py>(&mut self, py: Python<'py>, result: Bound<'py, PyAny>) -> PyResult<Next<'py>> {
        let reply = match self.reply(py, result) {
            Ok(reply) => reply,
            Err(err) => return self.fail(py, err, true),
        };
        match reply {
            Reply::Encoded(start, end) => self.send_encoded(py, start, end),
            Reply::Own(response) => {
                if let Some(ctx) = &self.ctx {
                    let exits = ctx
                        .bind(py)
                        .getattr(pyo3::intern!(py, "function_stack"))?
                        .call_method0(pyo3::intern!(py, "aclose"))?;
                    self.held = Some(response.unbind());
                    return Ok(Some((exits, Stage::FunctionExits)));
                }
                let sent = self.door.send_response(py, response)?;
                Ok(Some((sent, Stage::Sent)))
            }
        }
    }

    /// The response for a result: a Response as it is; another value through the response
    /// model, then encoded as JSON by Rust (the JSON fast path) or made into the route's
    /// response class, with the injected Response's status and headers. A Response whose
    /// body is all there is encoded by the door, unless it has background tasks (or the
    /// route has dependencies: `runner.finish` sends it).
    fn reply<'py>(&mut self, py: Python<'py>, result: Bound<'py, PyAny>) -> PyResult<Reply<'py>> {
        static RESPONSE_TYPES: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        let types = RESPONSE_TYPES.import(py, "FasterAPI.responses", "RESPONSE_TYPES")?;
        let mut response = result;
        if !response.is_instance(types)? {
            let call = &self.call;
            if let Some(serialize) = &call.serialize {
                response = serialize.bind(py).call1((response,))?;
            }
            if call.json_fast_path && self.ctx.is_none() {
                return self.encode_json(py, &response);
            }
            let injected = match &self.ctx {
                Some(ctx) => ctx.bind(py).getattr(pyo3::intern!(py, "response"))?,
                None => match &self.injected {
                    Some(injected) => injected.bind(py).clone(),
                    None => py.None().into_bound(py),
                },
            };
            let response_for = hook(py, &RESPONSE_FOR, "response_for")?;
            response = response_for.call1((&call.route, response, injected))?;
        }
        if self.ctx.is_none() && sent_whole(&response)? {
            return self.encode_whole(py, &response);
        }
        Ok(Reply::Own(response))
    }

    fn encode_json<'py>(
        &self,
        py: Python<'py>,
        content: &Bound<'py, PyAny>,
    ) -> PyResult<Reply<'py>> {
        let status = self.call.status_code;
        match &self.door {
            Door::Asgi(Channel { head, .. }) => {
                let (start, end) = json_pair(content, status)?;
                let end = if *head { empty_body(py)? } else { end };
                Ok(Reply::Encoded(start.into_any(), Some(end.into_any())))
            }
            Door::Native(cycle) => {
                let json = pyo3::intern!(py, "json");
                let encoded = cycle.bind(py).call_method1(json, (content, status))?;
                Ok(Reply::Encoded(encoded, None))
            }
        }
    }

    fn encode_whole<'py>(
        &self,
        py: Python<'py>,
        response: &Bound<'py, PyAny>,
    ) -> PyResult<Reply<'py>> {
        match &self.door {
            Door::Asgi(Channel { head, .. }) => {
                let status = response.getattr(pyo3::intern!(py, "status_code"))?;
                let headers = response.getattr(pyo3::intern!(py, "raw_headers"))?;
                let end = if *head {
                    empty_body(py)?
                } else {
                    body_message(&response.getattr(pyo3::intern!(py, "body"))?)?
                };
                let start = start_message(&status, &headers)?;
                Ok(Reply::Encoded(start.into_any(), Some(end.into_any())))
            }
            Door::Native(cycle) => {
                let whole = pyo3::intern!(py, "whole");
                let encoded = cycle.bind(py).call_method1(whole, (response,))?;
                Ok(Reply::Encoded(encoded, None))
            }
        }
    }

    /// Sends an encoded response: the ASGI start message now, the body once it is sent; the
    /// native door's bytes at once.
    fn send_encoded<'py>(
        &mut self,
        py: Python<'py>,
        start: Bound<'py, PyAny>,
        end: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Next<'py>> {
        match &self.door {
            Door::Asgi(Channel { send, .. }) => {
                let sent = send.bind(py).call1((start,))?;
                self.held = end.map(Bound::unbind);
                Ok(Some((sent, Stage::SendStart)))
            }
            Door::Native(cycle) => {
                let write = pyo3::intern!(py, "write");
                match cycle.bind(py).call_method1(write, (start,)) {
                    Ok(_) => self.finish(py, None),
                    Err(err) => self.abort(py, err),
                }
            }
        }
    }

    /// A route with dependencies, its response made and the function-scope exits run:
    /// encoded and sent by the door when its body is all there (without background tasks of
    /// its own), else sent by its own ASGI call (`runner.finish`); then the background tasks
    /// and the request-scope exits.
    fn send_made<'py>(
        &mut self,
        py: Python<'py>,
        response: Bound<'py, PyAny>,
    ) -> PyResult<Next<'py>> {
        let whole = match sent_whole(&response) {
            Ok(true) => self.encode_whole(py, &response),
            Ok(false) => return self.finish(py, Some(response)),
            Err(err) => Err(err),
        };
        match whole {
            Ok(Reply::Encoded(start, end)) => self.send_encoded(py, start, end),
            Ok(Reply::Own(_)) => unreachable!("encode_whole encodes"),
            // not sent yet: the request-scope exits, then the exception handlers
            Err(err) => self.fail(py, err, false),
        }
    }

    /// Once the response is out: a route with dependencies runs its background tasks and
    /// request-scope exits (`runner.finish`, which sends `response` first, if given).
    fn finish<'py>(
        &mut self,
        py: Python<'py>,
        response: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Next<'py>> {
        let Some(ctx) = &self.ctx else {
            return Ok(None);
        };
        let finish = hook(py, &FINISH, "finish")?;
        Ok(Some((finish.call1((ctx, response))?, Stage::Finish)))
    }

    /// An exception while the response goes out: thrown into the request-scope exits
    /// (`runner.abort`), then up to the server; never answered by the exception handlers.
    fn abort<'py>(&mut self, py: Python<'py>, err: PyErr) -> PyResult<Next<'py>> {
        self.held = None;
        let Some(ctx) = &self.ctx else {
            return Err(err);
        };
        let abort = hook(py, &ABORT, "abort")?;
        let aborting = abort.call1((ctx, err.into_value(py)))?;
        Ok(Some((aborting, Stage::Finish)))
    }

    fn door_send<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        match &self.door {
            Door::Asgi(c) => c.send.bind(py).clone(),
            Door::Native(_) => unreachable!("the native door writes its response at once"),
        }
    }

    /// An exception before the response went out: thrown into the yield dependencies
    /// (`runner.fail`; `in_function`: those of scope "function" too), then answered by the
    /// app's exception handlers. A cancellation (no Exception) goes through the yield
    /// dependencies and on up.
    fn fail<'py>(&mut self, py: Python<'py>, err: PyErr, in_function: bool) -> PyResult<Next<'py>> {
        self.held = None;
        match &self.ctx {
            Some(ctx) => {
                let fail = hook(py, &FAIL, "fail")?;
                let exc = err.into_value(py);
                let failing = fail.call1((ctx, exc, in_function))?;
                Ok(Some((failing, Stage::Fail)))
            }
            None if err.is_instance_of::<PyException>(py) => self.handle(py, err),
            None => Err(err),
        }
    }

    /// Answers `err` with the app's exception handlers.
    fn handle<'py>(&self, py: Python<'py>, err: PyErr) -> PyResult<Next<'py>> {
        let handling = self.door.handle_exception(py, err.into_value(py))?;
        Ok(Some((handling, Stage::Handle)))
    }
}

/// Whether a response is sent in one piece by the door: one of FasterAPI's, whose body is all
/// there, without background tasks.
fn sent_whole(response: &Bound<'_, PyAny>) -> PyResult<bool> {
    let py = response.py();
    static RESPONSE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    let class = RESPONSE.import(py, "FasterAPI.responses", "Response")?;
    Ok(response.is_instance(class)?
        && response.getattr(pyo3::intern!(py, "background"))?.is_none()
        && response
            .getattr(pyo3::intern!(py, "sent_whole"))?
            .is_truthy()?)
}

/// `func(**kwargs)`, by vectorcall: the values passed from the dict as they are, without the
/// copy into a new argument array that calling with a dict makes.
fn call_with_keywords<'py>(
    func: &Bound<'py, PyAny>,
    kwargs: &Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyAny>> {
    const MOST: usize = 8;
    let count = kwargs.len();
    if count == 0 {
        return func.call0();
    }
    if count > MOST {
        return func.call((), Some(kwargs));
    }
    let py = func.py();
    let mut args: [*mut ffi::PyObject; MOST + 1] = [std::ptr::null_mut(); MOST + 1];
    // SAFETY: PyTuple_New gives a new tuple (or NULL with the error set), whose `count` items
    // are set below, each a new reference to a key of the dict; PyDict_Next lends the dict's
    // keys and values, which the dict keeps alive through the call.
    let names =
        unsafe { Bound::from_owned_ptr_or_err(py, ffi::PyTuple_New(count as ffi::Py_ssize_t))? };
    let (mut pos, mut key, mut value) = (0, std::ptr::null_mut(), std::ptr::null_mut());
    let mut i = 0;
    while i < count
        && unsafe { ffi::PyDict_Next(kwargs.as_ptr(), &mut pos, &mut key, &mut value) } != 0
    {
        unsafe {
            ffi::Py_INCREF(key);
            ffi::PyTuple_SET_ITEM(names.as_ptr(), i as ffi::Py_ssize_t, key);
        }
        args[i + 1] = value;
        i += 1;
    }
    // SAFETY: `args[1..=count]` are live objects the dict holds; slot 0 is free for the callee
    // to use (PY_VECTORCALL_ARGUMENTS_OFFSET); `names` holds their `count` keyword names.
    let result = unsafe {
        ffi::PyObject_Vectorcall(
            func.as_ptr(),
            args.as_ptr().add(1),
            ffi::PY_VECTORCALL_ARGUMENTS_OFFSET,
            names.as_ptr(),
        )
    };
    // SAFETY: a new reference, or NULL with the error set.
    unsafe { Bound::from_owned_ptr_or_err(py, result) }
}

fn empty_body(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    body_message(PyBytes::new(py, b"").as_any())
}

static PARSE_BODY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static VALIDATION_ERROR: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static RESPONSE_FOR: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static ARGUMENTS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static FAIL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static FINISH: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static ABORT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// A function of FasterAPI._runtime.runner, the run's Python side.
fn hook<'py>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<PyAny>>,
    name: &str,
) -> PyResult<&'py Bound<'py, PyAny>> {
    cell.import(py, "FasterAPI._runtime.runner", name)
}

/// A route's run as a Python awaitable: how the native server's `NativeCycle` (and a route a
/// dispatcher of Python's found) runs a route.
#[pyclass(module = "FasterAPI._core")]
pub struct RouteRun {
    runner: Runner,
    started: bool,
}

#[pymethods]
impl RouteRun {
    /// The run of a native route's request (`event`) on the native server, `cycle` its door;
    /// `raw` the body as read.
    #[staticmethod]
    fn native(
        py: Python<'_>,
        cycle: Py<PyAny>,
        event: PyRef<'_, RouteEvent>,
        raw: Py<PyAny>,
    ) -> Self {
        let media = event.is_json.clone_ref(py).into_any();
        let runner = Runner::new(
            event.call.clone(),
            Door::Native(cycle),
            event.kwargs.clone_ref(py),
            event.errors.clone_ref(py),
            raw,
            media,
        );
        RouteRun {
            runner,
            started: false,
        }
    }

    /// The run of a request without a body to `route` (an `APIRoute`) through ASGI.
    #[staticmethod]
    fn asgi(
        app: Py<PyAny>,
        route: Bound<'_, PyAny>,
        scope: Bound<'_, PyDict>,
        receive: Py<PyAny>,
        send: Py<PyAny>,
        values: Py<PyDict>,
        errors: Py<PyAny>,
    ) -> PyResult<Self> {
        let py = route.py();
        let head = match scope.get_item(pyo3::intern!(py, "method"))? {
            Some(method) => method.eq("HEAD")?,
            None => false,
        };
        let door = Door::Asgi(Channel {
            app,
            scope: scope.unbind(),
            receive,
            send,
            head,
        });
        let call = Arc::new(RouteCall::read(&route)?);
        let media = PyBool::new(py, false).to_owned().into_any().unbind();
        let runner = Runner::new(call, door, values, errors, py.None(), media);
        Ok(RouteRun {
            runner,
            started: false,
        })
    }

    fn __await__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.step(py, Ok(py.None().into_bound(py)))
    }

    fn send(&mut self, value: Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let py = value.py();
        send_value(self.started, value, |input| self.step(py, input))
    }

    #[pyo3(signature = (typ, val=None, _tb=None))]
    fn throw(
        &mut self,
        typ: Bound<'_, PyAny>,
        val: Option<Bound<'_, PyAny>>,
        _tb: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let py = typ.py();
        throw_value(typ, val, |input| self.step(py, input))
    }

    fn close(&mut self, py: Python<'_>) -> PyResult<()> {
        self.started = true;
        self.runner.close(py)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        self.runner.traverse(&visit)
    }

    fn __clear__(&mut self) {
        self.runner.clear();
    }
}

impl RouteRun {
    fn step(
        &mut self,
        py: Python<'_>,
        input: PyResult<Bound<'_, PyAny>>,
    ) -> PyResult<Option<Py<PyAny>>> {
        let yielded = if self.started {
            self.runner.resume(py, input)?
        } else {
            self.started = true;
            input?;
            self.runner.start(py)?
        };
        Ok(yielded.map(Bound::unbind))
    }
}
