//! A route's dependencies as the flat list of steps its run takes (compiled by
//! FasterAPI._compiler.dependency_steps, read here once when the route is registered): each
//! step's call, how it is called and where each of its arguments comes from.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyString;
use pyo3::{PyTraverseError, PyVisit};

/// How a step is called (dependency_steps' ASYNC, SYNC, THREAD, ASYNC_GEN, GEN).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    /// Its call gives an awaitable: awaited.
    Async,
    /// Called inline.
    Sync,
    /// Called in the thread pool (`run_in_threadpool`), awaited.
    Thread,
    /// An async generator: entered by awaiting its first item; its exit awaits the next.
    AsyncGen,
    /// A generator: entered by its first item; its exit takes the next.
    Gen,
}

/// Where an argument's value comes from.
pub enum Source {
    /// The route's extracted values, by key.
    Value(Py<PyString>),
    /// An earlier step's result.
    Slot(usize),
    /// The request's Request (one per request).
    Request,
    /// The Response its handler's result is sent with (one per request).
    Response,
    /// The request's BackgroundTasks (one per request).
    Background,
    /// The headers alone (FasterAPI.dependencies.solve.HeadersOnly), for one of FasterAPI's
    /// security schemes: the Request instead, if one was made.
    Headers,
    /// A new SecurityScopes of these scopes.
    SecurityScopes(Py<PyAny>),
}

pub struct Argument {
    pub name: Py<PyString>,
    pub source: Source,
}

pub struct Step {
    pub kind: StepKind,
    pub call: Py<PyAny>,
    pub args: Vec<Argument>,
    /// A yield dependency of scope "function": its exit runs before the response is sent.
    pub function_scope: bool,
}

/// The steps of a route with dependencies, and the arguments its endpoint is called with.
pub struct Steps {
    pub steps: Vec<Step>,
    pub endpoint: Vec<Argument>,
}

impl Steps {
    /// Reads `route.dependency_steps` (None: the route has none, e.g. a WebSocket route).
    pub fn read(route: &Bound<'_, PyAny>) -> PyResult<Option<Self>> {
        let compiled = route.getattr("dependency_steps")?;
        if compiled.is_none() {
            return Ok(None);
        }
        let (steps, endpoint): (Vec<Bound<'_, PyAny>>, Bound<'_, PyAny>) = compiled.extract()?;
        let steps = steps
            .iter()
            .enumerate()
            .map(|(index, step)| {
                let (kind, call, args, function_scope): (u8, Py<PyAny>, Bound<'_, PyAny>, bool) =
                    step.extract()?;
                let kind = match kind {
                    0 => StepKind::Async,
                    1 => StepKind::Sync,
                    2 => StepKind::Thread,
                    3 => StepKind::AsyncGen,
                    4 => StepKind::Gen,
                    _ => return Err(PyValueError::new_err(format!("step kind {kind}"))),
                };
                Ok(Step {
                    kind,
                    call,
                    args: arguments(&args, index)?,
                    function_scope,
                })
            })
            .collect::<PyResult<Vec<_>>>()?;
        let endpoint = arguments(&endpoint, steps.len())?;
        Ok(Some(Steps { steps, endpoint }))
    }

    pub fn traverse(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        for step in &self.steps {
            visit.call(&step.call)?;
            traverse_arguments(&step.args, visit)?;
        }
        traverse_arguments(&self.endpoint, visit)
    }
}

/// A step's (or the endpoint's) arguments; a slot must be an earlier step's (`before`).
fn arguments(args: &Bound<'_, PyAny>, before: usize) -> PyResult<Vec<Argument>> {
    let args: Vec<(Py<PyString>, u8, Bound<'_, PyAny>)> = args.extract()?;
    args.into_iter()
        .map(|(name, source, key)| {
            let source = match source {
                0 => Source::Value(key.extract()?),
                1 => {
                    let slot: usize = key.extract()?;
                    if slot >= before {
                        return Err(PyValueError::new_err(format!("slot {slot} not yet solved")));
                    }
                    Source::Slot(slot)
                }
                2 => Source::Request,
                3 => Source::Response,
                4 => Source::Background,
                5 => Source::Headers,
                6 => Source::SecurityScopes(key.unbind()),
                _ => return Err(PyValueError::new_err(format!("argument source {source}"))),
            };
            Ok(Argument { name, source })
        })
        .collect()
}

fn traverse_arguments(args: &[Argument], visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
    for arg in args {
        visit.call(&arg.name)?;
        match &arg.source {
            Source::Value(key) => visit.call(key)?,
            Source::SecurityScopes(scopes) => visit.call(scopes)?,
            _ => {}
        }
    }
    Ok(())
}
