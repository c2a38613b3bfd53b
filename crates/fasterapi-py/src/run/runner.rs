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
//! route runs no Python frame of FasterAPI's but its endpoint's, its dependencies' and its
//! response model's. A route's dependencies are steps compiled once ([`crate::route::steps`]),
//! each result kept in a slot; the run enters yield dependencies itself and runs their exits
//! when all goes well, with `contextlib`'s rules. An exception is thrown into the entered
//! ones by FasterAPI._runtime.runner (`fail`, `abort`), with `contextlib`'s exit stacks.

use std::sync::Arc;

use pyo3::exceptions::{
    PyBaseException, PyException, PyRuntimeError, PyStopAsyncIteration, PyStopIteration,
};
#[cfg(not(feature = "abi3"))]
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyDict, PyList, PyType};
use pyo3::{PyTraverseError, PyVisit};

use super::awaiting::{awaitable_iter, send_value, step_into, throw_value, Sent};
use super::messages::{body_message, json_pair, start_message};
use crate::http::events::RouteEvent;
use crate::http::short::ShortDoor;
use crate::route::call::{EndpointMode, RouteCall};
use crate::route::steps::{Argument, Source, StepKind};

/// Where a form's uploaded files are, among the values its body plan reads
/// (FasterAPI._http.forms.FILES_KEY).
const FILES_KEY: &str = "fasterapi.files";

/// How the request came in and how its response goes out.
pub enum Door {
    /// `app(scope, receive, send)`: the response is sent as ASGI messages.
    Asgi(Channel),
    /// The native server's `NativeCycle` (FasterAPI.server.native, declared by
    /// FasterAPI._runtime.runner.Door): the response is written as bytes, encoded by its
    /// `json` and `whole`.
    Native(Py<PyAny>),
    /// The native server's short path ([`crate::http::short`]): the response is encoded and
    /// written in Rust; the rest is done by the `NativeCycle` it is promoted to.
    Short(Box<ShortDoor>),
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
            Door::Short(door) => door.prepare(py, route, values),
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
            Door::Short(_) => unreachable!("promoted first"),
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
            Door::Short(_) => unreachable!("promoted first"),
        }
    }
}

/// What the awaitable being stepped is for.
#[derive(Clone, Copy)]
enum Stage {
    /// A dependency's call (or its call in the thread pool): gives its result.
    Dependency,
    /// A yield dependency's first item (`agen.__anext__()`): the value it gives.
    Enter,
    /// The endpoint's coroutine (or its call in the thread pool): gives its result.
    Endpoint,
    /// An exit of a yield dependency of scope "function" on success (`agen.__anext__()`,
    /// which must end the generator), before the response is sent.
    FunctionExit,
    /// `send(http.response.start)`; the body message follows.
    SendStart,
    /// The last send (or the response's own ASGI call): the response is out.
    Sent,
    /// The request's background tasks.
    Tasks,
    /// An exit of scope "request" on success (or the request's uploaded files closed).
    RequestExit,
    /// `agen.aclose()` of a yield dependency that yielded again at its exit (of scope
    /// "function", or "request"): its error follows.
    FunctionClose,
    RequestClose,
    /// `runner.abort`: the request-scope exits after an exception while the response went
    /// out, which it raises.
    Abort,
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

/// A reply held while the function-scope exits run.
enum Held {
    Encoded(Py<PyAny>, Option<Py<PyAny>>),
    Own(Py<PyAny>),
}

/// What runs once the response is out (or is thrown an exception before): the code after
/// `yield` of an entered yield dependency, or the closing of the request's uploaded files.
enum Exit {
    AsyncGen(Py<PyAny>),
    Gen(Py<PyAny>),
    Files(Py<PyAny>),
}

impl Exit {
    fn object(&self) -> &Py<PyAny> {
        match self {
            Exit::AsyncGen(it) | Exit::Gen(it) | Exit::Files(it) => it,
        }
    }

    fn into_object(self) -> Py<PyAny> {
        match self {
            Exit::AsyncGen(it) | Exit::Gen(it) | Exit::Files(it) => it,
        }
    }
}

/// The state of a route with dependencies (or a form body): its solved steps and what runs
/// after the response.
#[derive(Default)]
struct Solving {
    /// Each step's result; None while unsolved, or when its arguments were invalid.
    slots: Vec<Option<Py<PyAny>>>,
    /// The step in progress (or the next one).
    step: usize,
    /// The yield dependency being entered.
    entering: Option<Py<PyAny>>,
    /// The request's Request, once a dependency asked for it.
    request: Option<Py<PyAny>>,
    /// The headers view a security scheme was given.
    headers: Option<Py<PyAny>>,
    /// The request's BackgroundTasks, once asked for.
    tasks: Option<Py<PyAny>>,
    /// Exits of scope "function" and of scope "request", in the order they were entered.
    function_exits: Vec<Exit>,
    request_exits: Vec<Exit>,
    /// The async generator whose exit is in progress (None: the files' closing).
    exiting: Option<Py<PyAny>>,
    /// The reply waiting for the function-scope exits.
    reply: Option<Held>,
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
    /// For a route with dependencies.
    solving: Option<Box<Solving>>,
    /// The Response the handler was given, whose status and headers carry over.
    injected: Option<Py<PyAny>>,
    /// The body message, while the start is sent.
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
            solving: None,
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

    /// Closes the awaitable in progress, as closing a coroutine closes what it awaits (the
    /// yield dependencies entered are closed by their finalizers).
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
            Door::Short(door) => door.traverse(visit)?,
        }
        visit.call(&self.values)?;
        visit.call(&self.errors)?;
        visit.call(&self.raw)?;
        visit.call(&self.media)?;
        visit.call(&self.injected)?;
        visit.call(&self.held)?;
        if let Some((sub, _)) = &self.awaiting {
            visit.call(sub)?;
        }
        if let Some(s) = &self.solving {
            for slot in &s.slots {
                visit.call(slot)?;
            }
            visit.call(&s.entering)?;
            visit.call(&s.exiting)?;
            visit.call(&s.request)?;
            visit.call(&s.headers)?;
            visit.call(&s.tasks)?;
            for exit in s.function_exits.iter().chain(&s.request_exits) {
                visit.call(exit.object())?;
            }
            match &s.reply {
                Some(Held::Encoded(start, end)) => {
                    visit.call(start)?;
                    visit.call(end)?;
                }
                Some(Held::Own(response)) => visit.call(response)?,
                None => {}
            }
        }
        Ok(())
    }

    pub fn clear(&mut self) {
        self.awaiting = None;
        self.solving = None;
        self.injected = None;
        self.held = None;
    }

    /// Promotes the short path's door to the connection's `NativeCycle`, for what only that
    /// can do (and for a run that suspends or fails); the native door's cycle, if it is one.
    pub fn promote<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        if let Door::Short(door) = &mut self.door {
            let cycle = door.promote(
                py,
                &self.call,
                &self.values,
                &self.errors,
                &self.media,
                &self.raw,
            )?;
            self.door = Door::Native(cycle);
        }
        Ok(match &self.door {
            Door::Native(cycle) => Some(cycle.bind(py).clone()),
            _ => None,
        })
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
            Stage::Dependency => match outcome {
                Ok(result) => {
                    self.solved(result);
                    self.solve(py)
                }
                Err(err) => self.fail(py, err),
            },
            Stage::Enter => {
                let s = self.solving.as_deref_mut().expect("solving");
                let generator = s.entering.take().expect("a generator is entered");
                match outcome {
                    Ok(value) => {
                        self.entered(Exit::AsyncGen(generator));
                        self.solved(value);
                        self.solve(py)
                    }
                    Err(err) if err.is_instance_of::<PyStopAsyncIteration>(py) => {
                        self.fail(py, PyRuntimeError::new_err("generator didn't yield"))
                    }
                    Err(err) => self.fail(py, err),
                }
            }
            Stage::Endpoint => match outcome {
                Ok(result) => self.respond(py, result),
                Err(err) => self.fail(py, err),
            },
            Stage::FunctionExit => match self.exited(py, outcome) {
                Ok(None) => self.exit_next(py, true),
                Ok(Some(closing)) => Ok(Some((closing, Stage::FunctionClose))),
                Err(err) => self.fail(py, err),
            },
            Stage::FunctionClose => self.fail(py, not_stopped(outcome)),
            Stage::RequestClose => self.abort(py, not_stopped(outcome)),
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
                Ok(_) => self.finish(py),
                Err(err) => self.abort(py, err),
            },
            Stage::Tasks => match outcome {
                Ok(_) => self.exit_next(py, false),
                Err(err) => self.abort(py, err),
            },
            Stage::RequestExit => match self.exited(py, outcome) {
                Ok(None) => self.exit_next(py, false),
                Ok(Some(closing)) => Ok(Some((closing, Stage::RequestClose))),
                Err(err) => self.abort(py, err),
            },
            Stage::Abort | Stage::Handle => outcome.map(|_| None),
            Stage::Fail => self.handle(py, PyErr::from_value(outcome?)),
        }
    }

    /// The first steps: the body and the arguments, then the endpoint.
    fn begin<'py>(&mut self, py: Python<'py>) -> PyResult<Next<'py>> {
        if let Door::Asgi(c) = &self.door {
            // (as FastAPI's routing sets it: a middleware finds it after call_next)
            c.scope
                .bind(py)
                .set_item(pyo3::intern!(py, "route"), &self.call.route)?;
        }
        if self.call.steps.is_some() {
            self.solving = Some(Box::default());
            return match self.read_body(py) {
                Ok(()) => self.solve(py),
                Err(err) => self.fail(py, err),
            };
        }
        match self.arguments(py) {
            Ok(()) => {
                let values = self.values.bind(py).clone().into_any();
                self.call_endpoint(py, values)
            }
            Err(err) => self.fail(py, err),
        }
    }

    /// Reads the body into the handler's arguments (straight from JSON bytes to a msgspec
    /// Struct where the route has such a decoder), adding its errors to the request's.
    fn parse<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let call = &self.call;
        let values = self.values.bind(py);
        let raw = self.raw.bind(py);
        let errors = self.errors.bind(py).clone();
        let Some(body) = &call.body else {
            return Ok(errors);
        };
        if let Some((fast, name)) = &body.fast {
            if self.media.bind(py).is_truthy()? {
                // invalid: the full parse words the errors
                if let Ok(value) = fast.bind(py).call1((raw,)) {
                    values.set_item(name, value)?;
                    return Ok(errors);
                }
            }
        }
        let parse_body = hook(py, &PARSE_BODY, "parse_body")?;
        parse_body.call1((&call.route, raw, &self.media, values, &errors))
    }

    /// The RequestValidationError of `errors`.
    fn invalid(&self, py: Python<'_>, errors: Bound<'_, PyAny>) -> PyErr {
        let made = hook(py, &VALIDATION_ERROR, "validation_error")
            .and_then(|invalid| invalid.call1((&self.call.route, errors, &self.raw, &self.media)));
        match made {
            Ok(exc) => PyErr::from_value(exc),
            Err(err) => err,
        }
    }

    /// A route without dependencies: reads the body, raises the request's validation
    /// errors, gives the handler its Request and Response.
    fn arguments(&mut self, py: Python<'_>) -> PyResult<()> {
        let errors = self.parse(py)?;
        if !errors.is_none() {
            return Err(self.invalid(py, errors));
        }
        if self.call.request {
            self.promote(py)?; // (the handler's Request is made by the NativeCycle)
        }
        let call = &self.call;
        if call.prepare {
            let injected = self.door.prepare(py, &call.route, self.values.bind(py))?;
            self.injected = (!injected.is_none()).then(|| injected.unbind());
        }
        Ok(())
    }

    /// A route with dependencies: reads the body before any of them runs, as FastAPI does;
    /// a JSON body that does not parse is reported then, alone. A form's files are closed
    /// last, once the response is out.
    fn read_body(&mut self, py: Python<'_>) -> PyResult<()> {
        let errors = self.parse(py)?;
        if matches!(&self.call.body, Some(body) if body.form) {
            let files = self
                .values
                .bind(py)
                .call_method1(pyo3::intern!(py, "pop"), (FILES_KEY, py.None()))?;
            if files.is_truthy()? {
                let s = self.solving.as_deref_mut().expect("solving");
                s.request_exits.push(Exit::Files(files.unbind()));
            }
        }
        if !errors.is_none() {
            let invalid_json = PyList::empty(py);
            for error in errors.try_iter()? {
                let error = error?;
                if error
                    .get_item(pyo3::intern!(py, "type"))?
                    .eq("json_invalid")?
                {
                    invalid_json.append(error)?;
                }
            }
            if !invalid_json.is_empty() {
                return Err(self.invalid(py, invalid_json.into_any()));
            }
        }
        self.errors = errors.unbind();
        Ok(())
    }

    /// Runs the dependencies' steps from the one in progress until one awaits, then calls
    /// the endpoint (or raises the request's validation errors).
    fn solve<'py>(&mut self, py: Python<'py>) -> PyResult<Next<'py>> {
        let call = self.call.clone();
        let steps = call.steps.as_ref().expect("a route with steps");
        loop {
            let index = self.solving.as_deref().expect("solving").step;
            let Some(step) = steps.steps.get(index) else {
                break;
            };
            let kwargs = match self.kwargs(py, &step.args) {
                Ok(Some(kwargs)) => kwargs,
                Ok(None) => {
                    // an argument is invalid: not called, as FastAPI does
                    self.skip();
                    continue;
                }
                Err(err) => return self.fail(py, err),
            };
            let callable = step.call.bind(py);
            let called = match step.kind {
                StepKind::Thread => run_in_threadpool(py, callable, &kwargs),
                _ => call_with_keywords(callable, &kwargs),
            };
            let called = match called {
                Ok(called) => called,
                Err(err) => return self.fail(py, err),
            };
            match step.kind {
                StepKind::Sync => self.solved(called),
                StepKind::Async | StepKind::Thread => {
                    return Ok(Some((called, Stage::Dependency)));
                }
                StepKind::AsyncGen => {
                    let first = called.call_method0(pyo3::intern!(py, "__anext__"));
                    self.solving.as_deref_mut().expect("solving").entering = Some(called.unbind());
                    return match first {
                        Ok(first) => Ok(Some((first, Stage::Enter))),
                        Err(err) => self.fail(py, err),
                    };
                }
                StepKind::Gen => match called.call_method0(pyo3::intern!(py, "__next__")) {
                    Ok(value) => {
                        self.entered(Exit::Gen(called.unbind()));
                        self.solved(value);
                    }
                    Err(err) if err.is_instance_of::<PyStopIteration>(py) => {
                        return self.fail(py, PyRuntimeError::new_err("generator didn't yield"));
                    }
                    Err(err) => return self.fail(py, err),
                },
            }
        }
        let kwargs = match self.kwargs(py, &steps.endpoint) {
            Ok(kwargs) => kwargs,
            Err(err) => return self.fail(py, err),
        };
        let errors = self.errors.bind(py);
        match kwargs {
            Some(kwargs) if !errors.is_truthy()? => self.call_endpoint(py, kwargs.into_any()),
            _ => {
                let errors = if errors.is_none() {
                    PyList::empty(py).into_any()
                } else {
                    errors.clone()
                };
                let err = self.invalid(py, errors);
                self.fail(py, err)
            }
        }
    }

    /// The step in progress gave `result`: kept in its slot; on to the next.
    fn solved(&mut self, result: Bound<'_, PyAny>) {
        let s = self.solving.as_deref_mut().expect("solving");
        s.slots.push(Some(result.unbind()));
        s.step += 1;
    }

    /// The step in progress is not called (an argument of it is invalid).
    fn skip(&mut self) {
        let s = self.solving.as_deref_mut().expect("solving");
        s.slots.push(None);
        s.step += 1;
    }

    /// A yield dependency was entered: its exit goes on the stack of its scope.
    fn entered(&mut self, exit: Exit) {
        let s = self.solving.as_deref_mut().expect("solving");
        let function_scope = self.call.steps.as_ref().expect("steps").steps[s.step].function_scope;
        if function_scope {
            s.function_exits.push(exit);
        } else {
            s.request_exits.push(exit);
        }
    }

    /// The keyword arguments of a step (or of the endpoint), None if one is invalid (a value
    /// missing from the request's, or a dependency that was not called).
    fn kwargs<'py>(
        &mut self,
        py: Python<'py>,
        args: &[Argument],
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        let kwargs = PyDict::new(py);
        let values = self.values.bind(py).clone();
        for arg in args {
            let value = match &arg.source {
                Source::Value(key) => match values.get_item(key)? {
                    Some(value) => value,
                    None => return Ok(None),
                },
                Source::Slot(slot) => {
                    let s = self.solving.as_deref().expect("solving");
                    match &s.slots[*slot] {
                        Some(value) => value.bind(py).clone(),
                        None => return Ok(None),
                    }
                }
                Source::Request => self.request(py)?,
                Source::Headers => self.headers(py)?,
                Source::Response => match &self.injected {
                    Some(response) => response.bind(py).clone(),
                    None => {
                        static INJECTED: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
                        let make =
                            INJECTED.import(py, "FasterAPI.responses", "injected_response")?;
                        let response = make.call0()?;
                        self.injected = Some(response.clone().unbind());
                        response
                    }
                },
                Source::Background => {
                    let s = self.solving.as_deref_mut().expect("solving");
                    match &s.tasks {
                        Some(tasks) => tasks.bind(py).clone(),
                        None => {
                            static TASKS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
                            let class =
                                TASKS.import(py, "FasterAPI.background", "BackgroundTasks")?;
                            let tasks = class.call0()?;
                            s.tasks = Some(tasks.clone().unbind());
                            tasks
                        }
                    }
                }
                Source::SecurityScopes(scopes) => {
                    static SCOPES: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
                    let class = SCOPES.import(py, "FasterAPI.security", "SecurityScopes")?;
                    let scopes = scopes.bind(py).call_method0(pyo3::intern!(py, "copy"))?;
                    class.call1((scopes,))?
                }
            };
            kwargs.set_item(&arg.name, value)?;
        }
        Ok(Some(kwargs))
    }

    /// The request's Request, made once (on the native server, with its ASGI scope).
    fn request<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let s = self.solving.as_deref_mut().expect("solving");
        if let Some(request) = &s.request {
            return Ok(request.bind(py).clone());
        }
        self.promote(py)?;
        let route = &self.call.route;
        let values = self.values.bind(py);
        let request = match &self.door {
            Door::Asgi(c) => c.app.bind(py).call_method1(
                pyo3::intern!(py, "_request"),
                (route, &c.scope, &c.receive, &c.send, values),
            )?,
            Door::Native(cycle) => cycle
                .bind(py)
                .call_method1(pyo3::intern!(py, "make_request"), (route, values))?,
            Door::Short(_) => unreachable!("promoted first"),
        };
        let s = self.solving.as_deref_mut().expect("solving");
        s.request = Some(request.clone().unbind());
        Ok(request)
    }

    /// What one of FasterAPI's security schemes reads of the request: its headers alone
    /// (the Request, if one was made).
    fn headers<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let s = self.solving.as_deref_mut().expect("solving");
        if let Some(request) = &s.request {
            return Ok(request.bind(py).clone());
        }
        if let Some(headers) = &s.headers {
            return Ok(headers.bind(py).clone());
        }
        if let Door::Short(door) = &self.door {
            let view = door.header_view(py)?;
            s.headers = Some(view.clone().unbind());
            return Ok(view);
        }
        let raw = match &self.door {
            Door::Asgi(c) => c
                .scope
                .bind(py)
                .as_any()
                .get_item(pyo3::intern!(py, "headers"))?,
            Door::Native(cycle) => cycle
                .bind(py)
                .call_method0(pyo3::intern!(py, "raw_headers"))?,
            Door::Short(_) => unreachable!("the short door gives a HeaderView"),
        };
        static HEADERS_ONLY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        let class = HEADERS_ONLY.import(py, "FasterAPI.dependencies.solve", "HeadersOnly")?;
        let headers = class.call1((raw,))?;
        s.headers = Some(headers.clone().unbind());
        Ok(headers)
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
                    EndpointMode::Thread => run_in_threadpool(py, endpoint, kwargs),
                    _ => call_with_keywords(endpoint, kwargs),
                }
            });
        match called {
            Ok(awaitable) if self.call.mode != EndpointMode::Inline => {
                Ok(Some((awaitable, Stage::Endpoint)))
            }
            Ok(result) => self.respond(py, result),
            Err(err) => self.fail(py, err),
        }
    }

    /// Makes the response for the endpoint's result and sends it (once the function-scope
    /// exits have run).
    fn respond<'py>(&mut self, py: Python<'py>, result: Bound<'py, PyAny>) -> PyResult<Next<'py>> {
        let reply = match self.reply(py, result) {
            Ok(reply) => reply,
            Err(err) => return self.fail(py, err),
        };
        if let Some(s) = self.solving.as_deref_mut() {
            if !s.function_exits.is_empty() {
                s.reply = Some(match reply {
                    Reply::Encoded(start, end) => {
                        Held::Encoded(start.unbind(), end.map(Bound::unbind))
                    }
                    Reply::Own(response) => Held::Own(response.unbind()),
                });
                return self.exit_next(py, true);
            }
        }
        self.send(py, reply)
    }

    fn send<'py>(&mut self, py: Python<'py>, reply: Reply<'py>) -> PyResult<Next<'py>> {
        match reply {
            Reply::Encoded(start, end) => self.send_encoded(py, start, end),
            Reply::Own(response) => {
                if let Some(s) = self.solving.as_deref_mut() {
                    // As FastAPI: a response with background tasks of its own runs those, and
                    // the request's are dropped.
                    if s.tasks.is_some()
                        && !response.getattr(pyo3::intern!(py, "background"))?.is_none()
                    {
                        s.tasks = None;
                    }
                }
                self.promote(py)?;
                match self.door.send_response(py, response) {
                    Ok(sent) => Ok(Some((sent, Stage::Sent))),
                    Err(err) => self.abort(py, err),
                }
            }
        }
    }

    /// The response for a result: a Response as it is; another value through the response
    /// model, then encoded as JSON by Rust (the JSON fast path) or made into the route's
    /// response class, with the injected Response's status and headers. A Response whose
    /// body is all there is encoded by the door, unless it has background tasks.
    fn reply<'py>(&mut self, py: Python<'py>, result: Bound<'py, PyAny>) -> PyResult<Reply<'py>> {
        static RESPONSE_TYPES: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        let types = RESPONSE_TYPES.import(py, "FasterAPI.responses", "RESPONSE_TYPES")?;
        let mut response = result;
        if !response.is_instance(types)? {
            let call = &self.call;
            if let Some(serialize) = &call.serialize {
                response = serialize.bind(py).call1((response,))?;
            }
            if call.json_fast_path && self.injected.is_none() {
                return self.encode_json(py, &response);
            }
            let injected = match &self.injected {
                Some(injected) => injected.bind(py).clone(),
                None => py.None().into_bound(py),
            };
            let response_for = hook(py, &RESPONSE_FOR, "response_for")?;
            response = response_for.call1((&call.route, response, injected))?;
        }
        if sent_whole(&response)? {
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
            Door::Short(door) => Ok(Reply::Encoded(door.json(py, content, status)?, None)),
        }
    }

    fn encode_whole<'py>(
        &mut self,
        py: Python<'py>,
        response: &Bound<'py, PyAny>,
    ) -> PyResult<Reply<'py>> {
        match &mut self.door {
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
            Door::Short(door) => Ok(Reply::Encoded(door.whole(py, response)?, None)),
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
            Door::Asgi(Channel { send, .. }) => match send.bind(py).call1((start,)) {
                Ok(sent) => {
                    self.held = end.map(Bound::unbind);
                    Ok(Some((sent, Stage::SendStart)))
                }
                Err(err) => self.abort(py, err),
            },
            Door::Native(cycle) => {
                let write = pyo3::intern!(py, "write");
                match cycle.bind(py).call_method1(write, (start,)) {
                    // (a door that hands the response on, to `@app.middleware("http")`'s
                    // call_next, gives an awaitable: the response is out once it is done)
                    Ok(written) if !written.is_none() => Ok(Some((written, Stage::Sent))),
                    Ok(_) => self.finish(py),
                    Err(err) => self.abort(py, err),
                }
            }
            Door::Short(door) => match door.write(py, &start) {
                Ok(()) => self.finish(py),
                Err(err) => self.abort(py, err),
            },
        }
    }

    /// Runs the next exit of a yield dependency on success, innermost first: those of scope
    /// "function" (`function`), then the response goes out; or those of scope "request",
    /// and the uploaded files are closed, after which the run is over. A generator that
    /// yields again is an error, as in `contextlib`.
    fn exit_next<'py>(&mut self, py: Python<'py>, function: bool) -> PyResult<Next<'py>> {
        let stage = if function {
            Stage::FunctionExit
        } else {
            Stage::RequestExit
        };
        loop {
            let Some(s) = self.solving.as_deref_mut() else {
                return Ok(None);
            };
            let exits = if function {
                &mut s.function_exits
            } else {
                &mut s.request_exits
            };
            let Some(exit) = exits.pop() else { break };
            let failed = match exit {
                Exit::AsyncGen(generator) => {
                    match generator
                        .bind(py)
                        .call_method0(pyo3::intern!(py, "__anext__"))
                    {
                        Ok(next) => {
                            s.exiting = Some(generator);
                            return Ok(Some((next, stage)));
                        }
                        Err(err) => err,
                    }
                }
                Exit::Gen(generator) => {
                    let generator = generator.bind(py);
                    match generator.call_method0(pyo3::intern!(py, "__next__")) {
                        Err(err) if err.is_instance_of::<PyStopIteration>(py) => continue,
                        Err(err) => err,
                        // closed at once, as contextlib closes it
                        Ok(_) => match generator.call_method0(pyo3::intern!(py, "close")) {
                            Ok(_) => PyRuntimeError::new_err("generator didn't stop"),
                            Err(err) => err,
                        },
                    }
                }
                Exit::Files(files) => {
                    let close = hook(py, &CLOSE_FILES, "close_files")?;
                    match close.call1((files,)) {
                        Ok(closing) => return Ok(Some((closing, stage))),
                        Err(err) => err,
                    }
                }
            };
            return if function {
                self.fail(py, failed)
            } else {
                self.abort(py, failed)
            };
        }
        if !function {
            return Ok(None);
        }
        let s = self.solving.as_deref_mut().expect("solving");
        let reply = match s.reply.take().expect("a reply is held") {
            Held::Encoded(start, end) => {
                Reply::Encoded(start.into_bound(py), end.map(|end| end.into_bound(py)))
            }
            Held::Own(response) => Reply::Own(response.into_bound(py)),
        };
        self.send(py, reply)
    }

    /// How the exit in progress ended: an async generator must have stopped; one that
    /// yielded again is closed at once, as contextlib closes it (Some: `aclose()`, after
    /// which its error is raised: `not_stopped`).
    fn exited<'py>(
        &mut self,
        py: Python<'py>,
        outcome: PyResult<Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let generator = self.solving.as_deref_mut().and_then(|s| s.exiting.take());
        match (outcome, generator) {
            (Ok(_), Some(generator)) => generator
                .bind(py)
                .call_method0(pyo3::intern!(py, "aclose"))
                .map(Some),
            (Ok(_), None) => Ok(None),
            (Err(err), Some(_)) if err.is_instance_of::<PyStopAsyncIteration>(py) => Ok(None),
            (Err(err), _) => Err(err),
        }
    }

    /// Once the response is out: a route with dependencies runs its background tasks, then
    /// the exits of scope "request".
    fn finish<'py>(&mut self, py: Python<'py>) -> PyResult<Next<'py>> {
        let Some(s) = self.solving.as_deref_mut() else {
            return Ok(None);
        };
        if let Some(tasks) = s.tasks.take() {
            return match tasks.bind(py).call0() {
                Ok(running) => Ok(Some((running, Stage::Tasks))),
                Err(err) => self.abort(py, err),
            };
        }
        self.exit_next(py, false)
    }

    /// An exception while the response goes out (or after): thrown into the remaining
    /// request-scope exits (`runner.abort`), then up to the server; never answered by the
    /// exception handlers.
    fn abort<'py>(&mut self, py: Python<'py>, err: PyErr) -> PyResult<Next<'py>> {
        self.held = None;
        let exits = match self.solving.as_deref_mut() {
            Some(s) if !s.request_exits.is_empty() => exits_list(py, &mut s.request_exits)?,
            _ => return Err(err),
        };
        let abort = hook(py, &ABORT, "abort")?;
        let aborting = abort.call1((exits, err.into_value(py)))?;
        Ok(Some((aborting, Stage::Abort)))
    }

    fn door_send<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        match &self.door {
            Door::Asgi(c) => c.send.bind(py).clone(),
            Door::Native(_) | Door::Short(_) => {
                unreachable!("the native doors write their response at once")
            }
        }
    }

    /// An exception before the response went out: thrown into the yield dependencies entered
    /// (`runner.fail`: those of scope "function" first), then answered by the app's
    /// exception handlers. A cancellation (no Exception) goes through them and on up.
    fn fail<'py>(&mut self, py: Python<'py>, err: PyErr) -> PyResult<Next<'py>> {
        self.held = None;
        match self.solving.as_deref_mut() {
            Some(s) if !(s.function_exits.is_empty() && s.request_exits.is_empty()) => {
                s.reply = None;
                let function_exits = exits_list(py, &mut s.function_exits)?;
                let request_exits = exits_list(py, &mut s.request_exits)?;
                let fail = hook(py, &FAIL, "fail")?;
                let exc = err.into_value(py);
                let failing = fail.call1((function_exits, request_exits, exc))?;
                Ok(Some((failing, Stage::Fail)))
            }
            _ if err.is_instance_of::<PyException>(py) => self.handle(py, err),
            _ => Err(err),
        }
    }

    /// Answers `err` with the app's exception handlers.
    fn handle<'py>(&mut self, py: Python<'py>, err: PyErr) -> PyResult<Next<'py>> {
        self.promote(py)?;
        let handling = self.door.handle_exception(py, err.into_value(py))?;
        Ok(Some((handling, Stage::Handle)))
    }
}

/// The error of a yield dependency that yielded again at its exit, once `aclose()` ended
/// with `outcome` (whose own error, if any, is raised instead).
fn not_stopped(outcome: PyResult<Bound<'_, PyAny>>) -> PyErr {
    match outcome {
        Ok(_) => PyRuntimeError::new_err("generator didn't stop"),
        Err(err) => err,
    }
}

/// The exits, in the order they were entered, as a Python list (for `runner.fail` and
/// `runner.abort`); taken from `exits`.
fn exits_list<'py>(py: Python<'py>, exits: &mut Vec<Exit>) -> PyResult<Bound<'py, PyList>> {
    PyList::new(py, exits.drain(..).map(Exit::into_object))
}

/// `run_in_threadpool(func, **kwargs)`: the awaitable.
fn run_in_threadpool<'py>(
    py: Python<'py>,
    func: &Bound<'py, PyAny>,
    kwargs: &Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyAny>> {
    static RUN_IN_THREADPOOL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let run = RUN_IN_THREADPOOL.import(py, "FasterAPI.concurrency", "run_in_threadpool")?;
    run.call((func,), Some(kwargs))
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

/// The most keywords that `call_with_keywords` passes by vectorcall.
const MOST: usize = 8;

/// `func(**kwargs)`, by vectorcall: the values passed from the dict as they are, without the
/// copy into a new argument array that calling with a dict makes.
fn call_with_keywords<'py>(
    func: &Bound<'py, PyAny>,
    kwargs: &Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyAny>> {
    let count = kwargs.len();
    if count == 0 {
        return func.call0();
    }
    if count > MOST {
        return func.call((), Some(kwargs));
    }
    vectorcall(func, kwargs, count)
}

/// The same in the limited API (the `abi3` feature), which has no PyTuple_SET_ITEM, nor
/// PyObject_Vectorcall before 3.12: a call with the dict.
#[cfg(feature = "abi3")]
fn vectorcall<'py>(
    func: &Bound<'py, PyAny>,
    kwargs: &Bound<'py, PyDict>,
    _count: usize,
) -> PyResult<Bound<'py, PyAny>> {
    func.call((), Some(kwargs))
}

/// `func(**kwargs)` by vectorcall, for `count` (at most MOST) keywords.
#[cfg(not(feature = "abi3"))]
fn vectorcall<'py>(
    func: &Bound<'py, PyAny>,
    kwargs: &Bound<'py, PyDict>,
    count: usize,
) -> PyResult<Bound<'py, PyAny>> {
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
static FAIL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static CLOSE_FILES: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
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
        let media = event.media.clone_ref(py);
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
    /// The awaitable of a run already started (by the short path), to go on with.
    pub fn started(runner: Runner) -> Self {
        RouteRun {
            runner,
            started: true,
        }
    }

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
