//! What a route's run ([`super::run`]) and the doors need of a Python `APIRoute`, read once when
//! the route is registered, so that a request reads no route attributes.

use pyo3::prelude::*;
use pyo3::types::PyString;
use pyo3::{PyTraverseError, PyVisit};

use super::steps::Steps;

/// The route's body parameters (a Python `BodyPlan` or `FormPlan`).
pub struct BodyCall {
    /// A form body (FasterAPI._compiler.form_plan.FormPlan): read as it arrives, its files
    /// spooled to disk, and parsed by the Content-Type header instead of the is-JSON flag.
    pub form: bool,
    /// The plan itself: `parse(raw, media, values)` gives the body's errors.
    pub plan: Py<PyAny>,
    /// A whole-body msgspec Struct's decoder, tried first on a JSON body, and the argument
    /// it gives.
    pub fast: Option<(Py<PyAny>, Py<PyString>)>,
}

/// How the endpoint is called (FastAPI's `run_endpoint_function`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum EndpointMode {
    /// `async def` (or what wraps one): its coroutine is awaited.
    Async,
    /// `def` on a route that asks for the thread pool: run there, awaited.
    Thread,
    /// `def`: called inline, on the event loop.
    Inline,
}

pub struct RouteCall {
    pub route: Py<PyAny>,
    pub endpoint: Py<PyAny>,
    pub mode: EndpointMode,
    /// None: the route reads no body (a body sent to it is dropped).
    pub body: Option<BodyCall>,
    /// `max_body_size`: the largest body accepted, in bytes (FasterAPI._body_limit).
    pub max_body: Option<u64>,
    /// The route has dependencies (or a form body): the run solves them by these steps and
    /// runs their exits.
    pub steps: Option<Steps>,
    /// The handler takes a Request or a Response, which the door gives it.
    pub prepare: bool,
    /// The handler takes a Request.
    pub request: bool,
    /// The response model's validator and serializer, for a result that is not a Response.
    pub serialize: Option<Py<PyAny>>,
    /// The result is encoded to JSON by Rust (a JSONResponse route without a Response
    /// parameter).
    pub json_fast_path: bool,
    pub status_code: u16,
}

impl RouteCall {
    pub fn read(route: &Bound<'_, PyAny>) -> PyResult<Self> {
        let plan = route.getattr("body")?;
        let body = if plan.is_none() {
            None
        } else {
            let fast = plan.getattr("fast")?;
            Some(BodyCall {
                form: plan.getattr("form")?.is_truthy()?,
                fast: if fast.is_none() {
                    None
                } else {
                    Some((fast.unbind(), plan.getattr("fast_name")?.extract()?))
                },
                plan: plan.unbind(),
            })
        };
        let mode = if route.getattr("is_async")?.is_truthy()? {
            EndpointMode::Async
        } else if route.getattr("threadpool")?.is_truthy()? {
            EndpointMode::Thread
        } else {
            EndpointMode::Inline
        };
        let serialize = route.getattr("serialize_response")?;
        Ok(RouteCall {
            endpoint: route.getattr("endpoint")?.unbind(),
            mode,
            body,
            max_body: route.getattr("max_body_size")?.extract()?,
            steps: if route.getattr("solve")?.is_truthy()? {
                Steps::read(route)?
            } else {
                None
            },
            prepare: route.getattr("prepare")?.is_truthy()?,
            request: route.getattr("request_params")?.is_truthy()?,
            serialize: (!serialize.is_none()).then(|| serialize.unbind()),
            json_fast_path: route.getattr("json_fast_path")?.is_truthy()?,
            status_code: route.getattr("status_code")?.extract()?,
            route: route.clone().unbind(),
        })
    }

    /// Reports the Python objects it holds to the garbage collector (its dispatcher's).
    pub fn traverse(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.route)?;
        visit.call(&self.endpoint)?;
        visit.call(&self.serialize)?;
        if let Some(steps) = &self.steps {
            steps.traverse(visit)?;
        }
        if let Some(body) = &self.body {
            visit.call(&body.plan)?;
            if let Some((fast, name)) = &body.fast {
                visit.call(fast)?;
                visit.call(name)?;
            }
        }
        Ok(())
    }
}
