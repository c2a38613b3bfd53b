//! The routes of an app: matched in Rust by a radix tree, each with its parameter plan,
//! which `resolve_scope` runs for an ASGI scope (the native server's parser runs it too).

use std::sync::Arc;

use fasterapi_core::route::{Lookup, Params, Router};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use pyo3::{PyTraverseError, PyVisit};

use super::call::RouteCall;
use super::plan::{request_parts, HeaderSource, Plan};
use crate::cors::Cors;
use crate::headers::is_json_request;
use crate::middleware::ServerStack;

pub struct Entry {
    pub call: Arc<RouteCall>,
    pub plan: Plan,
    /// The native server may call this route directly, without an ASGI scope.
    pub native: bool,
    /// Its body may be read as it arrives (a form, or a body a Request may stream): one
    /// past `parser::SMALL_BODY`, or chunked, is streamed to it; a smaller one read whole.
    pub streams_body: bool,
    /// FastAPI's `strict_content_type` for this route: a body without a Content-Type is
    /// not JSON.
    pub strict_content_type: bool,
}

/// An app's `dependency_overrides` (the dict it holds now), shared by the app and the
/// dispatchers compiled with them, so a dispatcher tells whether its routes are current.
#[pyclass(module = "FasterAPI._core", name = "_Overrides")]
pub struct Overrides {
    pub current: Py<PyDict>,
}

impl Overrides {
    pub fn new(py: Python<'_>) -> Self {
        Overrides {
            current: PyDict::new(py).unbind(),
        }
    }

    /// Whether routes compiled with `compiled` are compiled with the overrides now.
    pub fn match_(&self, py: Python<'_>, compiled: &Py<PyDict>) -> PyResult<bool> {
        let (current, compiled) = (self.current.bind(py), compiled.bind(py));
        Ok((current.is_empty() && compiled.is_empty()) || current.as_any().eq(compiled)?)
    }
}

#[pymethods]
impl Overrides {
    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.current)
    }
}

/// All routes of an app, matched by a radix tree.
#[pyclass(module = "FasterAPI._core")]
pub struct Dispatcher {
    pub router: Router<Arc<Entry>>,
    /// Every entry once, for the garbage collector (the router holds one per method).
    entries: Vec<Arc<Entry>>,
    /// FastAPI's `strict_content_type`: a body without a Content-Type is not JSON.
    pub strict_content_type: bool,
    /// The app's CORSMiddleware, run natively (its only middleware): set by the app.
    #[pyo3(get, set)]
    pub cors: Option<Py<Cors>>,
    /// The app's middleware as the native server runs it itself (set by the app), which its
    /// parser applies to the requests for native routes.
    #[pyo3(get, set)]
    pub server_stack: Option<Py<ServerStack>>,
    /// The app's overrides and the ones its routes were compiled with (set by the app).
    #[pyo3(get, set, name = "_overrides")]
    pub overrides: Option<Py<Overrides>>,
    #[pyo3(get, set, name = "_compiled")]
    pub compiled: Option<Py<PyDict>>,
    /// The dispatcher the app compiled after this one (its routes or overrides changed),
    /// which the native server's parser moves on to.
    #[pyo3(get, set)]
    pub successor: Option<Py<Dispatcher>>,
}

impl Dispatcher {
    /// Whether its routes are compiled with the app's dependency overrides as they are now.
    pub fn overrides_current(&self, py: Python<'_>) -> PyResult<bool> {
        match (&self.overrides, &self.compiled) {
            (Some(overrides), Some(compiled)) => overrides.borrow(py).match_(py, compiled),
            _ => Ok(true),
        }
    }
}

#[pymethods]
impl Dispatcher {
    #[new]
    #[pyo3(signature = (strict_content_type=true))]
    fn new(strict_content_type: bool) -> Self {
        Dispatcher {
            router: Router::new(),
            entries: Vec::new(),
            strict_content_type,
            cors: None,
            server_stack: None,
            overrides: None,
            compiled: None,
            successor: None,
        }
    }

    /// Registers the APIRoute `route` for `methods` at `path`: its parameter plan
    /// (`route.plan.params`, see FasterAPI.params), what calling it takes (RouteCall), and
    /// whether the native server may call it without an ASGI scope (`route.native`), and
    /// its `strict_content_type` (None: the dispatcher's).
    #[pyo3(signature = (path, methods, route, strict_content_type=None))]
    fn add_route(
        &mut self,
        path: &str,
        methods: Vec<String>,
        route: &Bound<'_, PyAny>,
        strict_content_type: Option<bool>,
    ) -> PyResult<()> {
        let params: Vec<Bound<'_, PyDict>> = route.getattr("plan")?.getattr("params")?.extract()?;
        let entry = Arc::new(Entry {
            call: Arc::new(RouteCall::read(route)?),
            plan: Plan::compile(&params)?,
            native: route.getattr("native")?.is_truthy()?,
            streams_body: route.getattr("streams_body")?.is_truthy()?,
            strict_content_type: strict_content_type.unwrap_or(self.strict_content_type),
        });
        let methods: Vec<&str> = methods.iter().map(String::as_str).collect();
        self.router
            .insert(path, &methods, entry.clone())
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        self.entries.push(entry);
        Ok(())
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        for entry in &self.entries {
            entry.call.traverse(&visit)?;
        }
        visit.call(&self.cors)?;
        visit.call(&self.server_stack)?;
        visit.call(&self.overrides)?;
        visit.call(&self.compiled)?;
        visit.call(&self.successor)
    }

    fn __clear__(&mut self) {
        self.router = Router::new();
        self.entries.clear();
        self.cors = None;
        self.server_stack = None;
        self.successor = None;
    }

    fn __len__(&self) -> usize {
        self.router.len()
    }

    /// Whether some route, for any method, matches `path` (the path inside the app, without
    /// its root_path): redirect_slashes asks it of the path with its trailing '/' toggled.
    fn has_path(&self, path: &str) -> bool {
        self.router.has_path(path)
    }

    /// Matches an ASGI scope (a websocket scope has no method: GET) and runs the route's plan:
    /// None when no route matches, else `(route, values, errors)` with `errors` None or
    /// FastAPI's error dicts.
    fn resolve<'py>(&self, scope: &Bound<'py, PyDict>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        let py = scope.py();
        match self.resolve_scope(scope)? {
            Resolved::Found(found) => {
                let values = found.kwargs.unwrap_or_else(|| PyDict::new(py));
                let route = found.entry.call.route.bind(py);
                Ok(Some((route, values, found.errors).into_pyobject(py)?))
            }
            Resolved::MethodNotAllowed(_) | Resolved::NotFound => Ok(None),
        }
    }
}

/// A matched route with its parameters extracted.
pub struct Found<'py> {
    pub entry: Arc<Entry>,
    /// The extracted values; None when the route has no parameters to extract.
    pub kwargs: Option<Bound<'py, PyDict>>,
    /// None, or the list of FastAPI error dicts.
    pub errors: Bound<'py, PyAny>,
    /// The body is JSON by FastAPI's Content-Type rule (routes with a body only).
    pub is_json: bool,
    pub is_head: bool,
}

pub enum Resolved<'py> {
    Found(Found<'py>),
    /// The path matched but not the method: the Allow header's value.
    MethodNotAllowed(Bound<'py, PyString>),
    NotFound,
}

impl Dispatcher {
    /// Matches an ASGI http scope against the routes and runs the matched route's plan.
    pub fn resolve_scope<'py>(&self, scope: &Bound<'py, PyDict>) -> PyResult<Resolved<'py>> {
        let py = scope.py();
        let method_obj = scope.get_item(pyo3::intern!(py, "method"))?;
        let method = match &method_obj {
            Some(method) => method.cast::<PyString>()?.to_str()?,
            None => "GET", // a websocket scope
        };
        let path_obj = item(scope, pyo3::intern!(py, "path"))?;
        let full_path = path_obj.cast::<PyString>()?.to_str()?;
        let root_obj = scope.get_item(pyo3::intern!(py, "root_path"))?;
        let root = match &root_obj {
            Some(r) => r.cast::<PyString>()?.to_str()?,
            None => "",
        };
        let path = route_path(full_path, root);
        let (entry, path_params) = match self.router.lookup(method, path) {
            Lookup::Found { value, params } => (value, params),
            Lookup::MethodNotAllowed { allow } => {
                return Ok(Resolved::MethodNotAllowed(PyString::new(py, allow)))
            }
            Lookup::NotFound => return Ok(Resolved::NotFound),
        };
        let is_json = entry.call.body.is_some() && {
            let headers = item(scope, pyo3::intern!(py, "headers"))?;
            is_json_request(&headers, entry.strict_content_type)?
        };
        let (kwargs, errors) = if entry.plan.params.is_empty() {
            (None, py.None().into_bound(py))
        } else {
            let query_obj = scope.get_item(pyo3::intern!(py, "query_string"))?;
            let query: &[u8] = match &query_obj {
                Some(q) => q.cast::<PyBytes>()?.as_bytes(),
                None => b"",
            };
            let headers = if entry.plan.needs_headers {
                scope.get_item(pyo3::intern!(py, "headers"))?
            } else {
                None
            };
            let headers = HeaderSource::Asgi(headers.as_ref());
            let kwargs = PyDict::new(py);
            let errors = run_plan(py, entry, &path_params, query, headers, &kwargs)?;
            (Some(kwargs), errors)
        };
        Ok(Resolved::Found(Found {
            entry: entry.clone(),
            kwargs,
            errors,
            is_json,
            is_head: method == "HEAD",
        }))
    }
}

/// Runs `entry`'s parameter plan into `kwargs`; returns None, or the list of error dicts.
pub fn run_plan<'py>(
    py: Python<'py>,
    entry: &Entry,
    path_params: &Params<'_, '_>,
    query: &[u8],
    headers: HeaderSource<'_, 'py>,
    kwargs: &Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyAny>> {
    let parts = request_parts(&entry.plan, path_params.iter().collect(), query, headers)?;
    let mut errors = Vec::new();
    entry.plan.extract(py, &parts, kwargs, &mut errors)?;
    if errors.is_empty() {
        Ok(py.None().into_bound(py))
    } else {
        Ok(PyList::new(py, errors)?.into_any())
    }
}

fn item<'py>(
    scope: &Bound<'py, PyDict>,
    key: &Bound<'py, PyString>,
) -> PyResult<Bound<'py, PyAny>> {
    scope
        .get_item(key)?
        .ok_or_else(|| PyValueError::new_err(format!("ASGI scope lacks {key}")))
}

/// The path routes match against: `path` without the app's `root_path` prefix, as Starlette does.
fn route_path<'a>(path: &'a str, root: &str) -> &'a str {
    if root.is_empty() || !path.starts_with(root) {
        return path;
    }
    match &path[root.len()..] {
        "" => "/",
        rest if rest.starts_with('/') => rest,
        _ => path,
    }
}
