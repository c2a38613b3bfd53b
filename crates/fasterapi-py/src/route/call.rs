//! What the Rust front door needs of a Python `APIRoute`, read once when the route is
//! registered, so that a request reads no route attributes.

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use pyo3::{PyTraverseError, PyVisit};
use smallvec::SmallVec;

/// How the handler is called.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum HandlerKind {
    /// `async def`: the coroutine is stepped in place.
    Async,
    /// `def`, run inline on the event loop (the Async/Await primer's rule).
    Inline,
    /// `def` on a route that asked for the thread pool.
    Threadpool,
}

/// The route's body parameters (a Python `BodyPlan`).
pub struct BodyCall {
    /// The BodyPlan (or FormPlan), whose `parse(raw, is_json, kwargs)` validates any body and
    /// words errors.
    pub plan: Py<PyAny>,
    /// A decoder straight from JSON bytes to the parameter (a msgspec Struct), if there is one.
    pub fast: Option<Py<PyAny>>,
    /// The keyword argument the fast decoder's result goes to.
    pub fast_name: Py<PyString>,
    /// A form body (FasterAPI.forms.FormPlan): `parse` is given the Content-Type header
    /// instead of the is-JSON flag.
    pub form: bool,
}

pub struct RouteCall {
    pub route: Py<PyAny>,
    pub endpoint: Py<PyAny>,
    /// The endpoint's parameter names in order, when it takes all of them positionally.
    pub positional: Option<Vec<Py<PyString>>>,
    pub kind: HandlerKind,
    pub body: Option<BodyCall>,
    /// The result is encoded to JSON by Rust unless it is a Response.
    pub json_fast_path: bool,
    /// The response model's `serialize_response(result)`, called on a result that is not a
    /// Response before it is encoded; None when the route has no response model.
    pub serialize: Option<Py<PyAny>>,
    pub status_code: u16,
    /// The handler takes a Request or a Response, which Python gives it (`Faster._prepare`).
    pub prepare: bool,
    /// The route has dependencies: Python solves them and calls the handler.
    pub solve: bool,
    /// The handler's one parameter is a body decoded straight from JSON: it is passed on
    /// as `endpoint(value)`, without a keyword dict.
    pub body_only: bool,
    /// `max_body_size`: the largest body accepted, in bytes (FasterAPI._body_limit).
    pub max_body: Option<u64>,
}

impl RouteCall {
    pub fn read(route: &Bound<'_, PyAny>) -> PyResult<Self> {
        let kind = if route.getattr("is_async")?.is_truthy()? {
            HandlerKind::Async
        } else if route.getattr("threadpool")?.is_truthy()? {
            HandlerKind::Threadpool
        } else {
            HandlerKind::Inline
        };
        let plan = route.getattr("body")?;
        let body = if plan.is_none() {
            None
        } else {
            let fast = plan.getattr("fast")?;
            let none = fast.is(&plan.getattr("not_fast")?);
            Some(BodyCall {
                fast: (!none).then(|| fast.unbind()),
                fast_name: plan.getattr("fast_name")?.cast_into::<PyString>()?.unbind(),
                form: plan.getattr("form")?.is_truthy()?,
                plan: plan.unbind(),
            })
        };
        let has = |name: &str| -> PyResult<bool> { route.getattr(name)?.is_truthy() };
        let serialize = route.getattr("serialize_response")?;
        let names = route.getattr("positional_names")?;
        let positional = if names.is_none() {
            None
        } else {
            Some(names.extract::<Vec<Py<PyString>>>()?)
        };
        let body_only = match (&positional, &body) {
            (
                Some(names),
                Some(BodyCall {
                    fast: Some(_),
                    fast_name,
                    ..
                }),
            ) => {
                names.len() == 1
                    && names[0]
                        .bind(route.py())
                        .as_any()
                        .eq(fast_name.bind(route.py()))?
            }
            _ => false,
        };
        Ok(RouteCall {
            endpoint: route.getattr("endpoint")?.unbind(),
            body_only: body_only && kind != HandlerKind::Threadpool,
            positional,
            kind,
            body,
            json_fast_path: has("json_fast_path")?,
            serialize: (!serialize.is_none()).then(|| serialize.unbind()),
            status_code: route.getattr("status_code")?.extract()?,
            prepare: has("request_params")? || has("response_params")?,
            solve: has("solve")?,
            max_body: route.getattr("max_body_size")?.extract()?,
            route: route.clone().unbind(),
        })
    }
}

impl RouteCall {
    /// Reports the Python objects it holds to the garbage collector (its dispatcher's).
    pub fn traverse(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.route)?;
        visit.call(&self.endpoint)?;
        visit.call(&self.serialize)?;
        for name in self.positional.iter().flatten() {
            visit.call(name)?;
        }
        if let Some(body) = &self.body {
            visit.call(&body.plan)?;
            visit.call(&body.fast)?;
            visit.call(&body.fast_name)?;
        }
        Ok(())
    }

    /// `endpoint(value)`, for a `body_only` route.
    pub fn call_with<'py>(&self, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.endpoint.bind(value.py()).call1((value,))
    }

    /// `endpoint(**kwargs)`; as `endpoint(*values)` when kwargs holds exactly its positional
    /// parameters, which spares CPython matching keywords to parameters.
    pub fn call_endpoint<'py>(&self, kwargs: &Bound<'py, PyDict>) -> PyResult<Bound<'py, PyAny>> {
        let py = kwargs.py();
        let endpoint = self.endpoint.bind(py);
        if let Some(names) = self.positional.as_ref().filter(|n| n.len() == kwargs.len()) {
            let mut values: SmallVec<[Bound<'py, PyAny>; 8]> = SmallVec::new();
            for name in names {
                match kwargs.get_item(name.bind(py))? {
                    Some(value) => values.push(value),
                    None => return endpoint.call((), Some(kwargs)),
                }
            }
            let args: SmallVec<[*mut ffi::PyObject; 8]> =
                values.iter().map(|v| v.as_ptr()).collect();
            // SAFETY: `values` keeps every argument alive for the call; the result is a new
            // reference, or null with the error set.
            unsafe {
                let result = ffi::PyObject_Vectorcall(
                    endpoint.as_ptr(),
                    args.as_ptr(),
                    args.len(),
                    std::ptr::null_mut(),
                );
                return Bound::from_owned_ptr_or_err(py, result);
            }
        }
        endpoint.call((), Some(kwargs))
    }
}
