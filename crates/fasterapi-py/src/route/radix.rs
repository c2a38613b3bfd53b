//! `RadixRouter`: faster-api-web's public router object (`FasterAPI.router.RadixRouter`),
//! over the router that matches an app's routes (fasterapi-core's matchit trees).

use fasterapi_core::route::{Lookup, Router};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use pyo3::{PyTraverseError, PyVisit};

/// A method + path router for handlers of any kind: `add_route(method, path, handler,
/// metadata=None)`, then `resolve(method, path)` gives `(handler, path_params, metadata)`,
/// or None when no route matches. Paths use FastAPI's syntax (`/users/{id}`,
/// `/files/{rest:path}`); static segments beat parameters, `HEAD` falls back to `GET`, and a
/// method registered twice at one path keeps its first handler, as FastAPI's routing does.
#[pyclass(module = "FasterAPI._core")]
pub struct RadixRouter {
    router: Router<usize>,
    /// `(handler, metadata)` of each route, at the index the router holds.
    routes: Vec<(Py<PyAny>, Py<PyAny>)>,
}

#[pymethods]
impl RadixRouter {
    #[new]
    fn new() -> Self {
        RadixRouter {
            router: Router::new(),
            routes: Vec::new(),
        }
    }

    /// Registers `handler` for `method` at `path`, with `metadata` (a new dict when None)
    /// given back by `resolve`. An invalid path, or one that conflicts with a registered
    /// one, raises ValueError.
    #[pyo3(signature = (method, path, handler, metadata=None))]
    fn add_route(
        &mut self,
        py: Python<'_>,
        method: &str,
        path: &str,
        handler: Py<PyAny>,
        metadata: Option<Py<PyAny>>,
    ) -> PyResult<()> {
        let before = self.router.len();
        self.router
            .insert(path, &[method], self.routes.len())
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        if self.router.len() > before {
            let metadata = metadata.unwrap_or_else(|| PyDict::new(py).into_any().unbind());
            self.routes.push((handler, metadata));
        }
        Ok(())
    }

    /// `(handler, path_params, metadata)` of the route that `method` and `path` match, the
    /// parameters as raw strings by name; None if there is none.
    fn resolve<'py>(
        &self,
        py: Python<'py>,
        method: &str,
        path: &str,
    ) -> PyResult<Option<Bound<'py, PyTuple>>> {
        let Lookup::Found { value, params } =
            self.router.lookup(&method.to_ascii_uppercase(), path)
        else {
            return Ok(None);
        };
        let path_params = PyDict::new(py);
        for (name, raw) in params.iter() {
            path_params.set_item(name, raw)?;
        }
        let (handler, metadata) = &self.routes[*value];
        let found = (handler.bind(py), path_params, metadata.bind(py));
        Ok(Some(found.into_pyobject(py)?))
    }

    /// The number of (method, path) routes.
    fn __len__(&self) -> usize {
        self.routes.len()
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        for (handler, metadata) in &self.routes {
            visit.call(handler)?;
            visit.call(metadata)?;
        }
        Ok(())
    }

    fn __clear__(&mut self) {
        self.router = Router::new();
        self.routes.clear();
    }
}
