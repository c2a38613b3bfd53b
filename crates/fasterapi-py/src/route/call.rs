//! What the Rust doors need of a Python `APIRoute`, read once when the route is registered,
//! so that a request reads no route attributes. Everything after reading the request (the
//! body into arguments, dependencies, the endpoint, the response) is
//! FasterAPI._runtime.runner's.

use pyo3::prelude::*;
use pyo3::{PyTraverseError, PyVisit};

/// The route's body parameters (a Python `BodyPlan` or `FormPlan`).
pub struct BodyCall {
    /// A form body (FasterAPI._compiler.form_plan.FormPlan): read as it arrives, its files
    /// spooled to disk, and parsed by the Content-Type header instead of the is-JSON flag.
    pub form: bool,
}

pub struct RouteCall {
    pub route: Py<PyAny>,
    /// None: the route reads no body (a body sent to it is dropped).
    pub body: Option<BodyCall>,
    /// `max_body_size`: the largest body accepted, in bytes (FasterAPI._body_limit).
    pub max_body: Option<u64>,
    /// The route has dependencies: the app's `_serve_dependant` serves it.
    pub solve: bool,
}

impl RouteCall {
    pub fn read(route: &Bound<'_, PyAny>) -> PyResult<Self> {
        let plan = route.getattr("body")?;
        let body = if plan.is_none() {
            None
        } else {
            Some(BodyCall {
                form: plan.getattr("form")?.is_truthy()?,
            })
        };
        Ok(RouteCall {
            body,
            max_body: route.getattr("max_body_size")?.extract()?,
            solve: route.getattr("solve")?.is_truthy()?,
            route: route.clone().unbind(),
        })
    }

    /// Reports the Python objects it holds to the garbage collector (its dispatcher's).
    pub fn traverse(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.route)
    }
}
