//! CORSMiddleware run natively (fasterapi-core's `cors`): `Cors`, an app's policy, which the
//! ASGI door and the native parser apply to each request instead of a Python middleware
//! layer: a preflight is answered at once; any other response goes out with the CORS headers
//! (`CorsSend`, a send wrapper that also edits header lists).

use fasterapi_core::cors::policy::merge;
use fasterapi_core::cors::{CorsConfig, CorsPolicy, CorsRequest, Header, Preflight};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use pyo3::{PyTraverseError, PyVisit};

use crate::headers::visit_headers;

/// An app's CORS policy: CORSMiddleware's options (checked by FasterAPI.middleware.cors).
#[pyclass(frozen, module = "FasterAPI._core")]
pub struct Cors {
    policy: CorsPolicy,
    /// `allow_origin_regex`, compiled by Python's `re` (for its exact answers), or None.
    regex: Option<Py<PyAny>>,
}

/// What a request is, for CORS.
pub enum CorsAnswer {
    /// A preflight: its answer, and nothing else runs.
    Preflight(Preflight),
    /// Any other request: its responses go out with these headers.
    Headers(CorsSend),
}

#[pymethods]
impl Cors {
    #[new]
    #[allow(clippy::too_many_arguments)]
    fn new(
        allow_origins: Vec<String>,
        allow_methods: Vec<String>,
        allow_headers: Vec<String>,
        allow_credentials: bool,
        allow_private_network: bool,
        expose_headers: Vec<String>,
        max_age: i64,
        allow_origin_regex: Option<Py<PyAny>>,
    ) -> Self {
        let config = CorsConfig {
            allow_origins,
            allow_methods,
            allow_headers,
            allow_credentials,
            allow_private_network,
            expose_headers,
            max_age,
        };
        Cors {
            policy: CorsPolicy::new(&config),
            regex: allow_origin_regex,
        }
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.regex)
    }
}

impl Cors {
    /// What to do with a request of `method` whose headers `visit` walks through (name,
    /// value pairs, names in lower case).
    pub fn answer(
        &self,
        py: Python<'_>,
        method: &str,
        visit: impl FnOnce(&mut dyn FnMut(&[u8], &[u8])) -> PyResult<()>,
    ) -> PyResult<CorsAnswer> {
        let mut seen: [Option<Vec<u8>>; 3] = [None, None, None];
        let mut private_network = false;
        visit(&mut |name, value| {
            let mut request = CorsRequest::default();
            request.see(name, value);
            private_network |= request.private_network;
            let found = [
                request.origin,
                request.request_method,
                request.request_headers,
            ];
            for (slot, value) in seen.iter_mut().zip(found) {
                if slot.is_none() {
                    *slot = value.map(<[u8]>::to_vec);
                }
            }
        })?;
        let [origin, request_method, request_headers] = &seen;
        let request = CorsRequest {
            origin: origin.as_deref(),
            request_method: request_method.as_deref(),
            request_headers: request_headers.as_deref(),
            private_network,
        };
        let allowed = match request.origin {
            Some(origin) => self.allows(py, origin)?,
            None => false,
        };
        if CorsPolicy::is_preflight(method, &request) {
            return Ok(CorsAnswer::Preflight(
                self.policy.preflight(&request, allowed),
            ));
        }
        Ok(CorsAnswer::Headers(CorsSend {
            added: self.policy.response_headers(request.origin, allowed),
            send: None,
        }))
    }

    /// The answer for the request of an ASGI `scope`.
    pub fn answer_scope(&self, py: Python<'_>, scope: &Bound<'_, PyDict>) -> PyResult<CorsAnswer> {
        let method = scope.get_item(pyo3::intern!(py, "method"))?;
        let method = match &method {
            Some(method) => method.cast::<PyString>()?.to_str()?.to_owned(),
            None => String::new(),
        };
        let headers = scope.get_item(pyo3::intern!(py, "headers"))?;
        self.answer(py, &method, |see| {
            if let Some(headers) = headers {
                visit_headers(&headers, |name, value| {
                    see(name, value);
                    Ok(false)
                })?;
            }
            Ok(())
        })
    }

    /// Whether an origin is allowed: listed, or matching the regex (`fullmatch`).
    fn allows(&self, py: Python<'_>, origin: &[u8]) -> PyResult<bool> {
        if self.policy.lists_origin(origin) {
            return Ok(true);
        }
        let Some(regex) = &self.regex else {
            return Ok(false);
        };
        let text: String = origin.iter().map(|&b| b as char).collect(); // latin-1
        let found = regex
            .bind(py)
            .call_method1(pyo3::intern!(py, "fullmatch"), (text,))?;
        Ok(!found.is_none())
    }
}

/// A preflight's answer as its two ASGI messages' parts: the status, the headers (the CORS
/// ones, then Content-Length and Content-Type, as a PlainTextResponse has them) and the body.
pub fn preflight_parts<'py>(
    py: Python<'py>,
    answer: &Preflight,
) -> PyResult<(u16, Bound<'py, PyList>, Bound<'py, PyBytes>)> {
    let headers = header_list(py, &answer.headers)?;
    let length = answer.body.len().to_string();
    headers.append(pair(py, b"content-length", length.as_bytes())?)?;
    headers.append(pair(py, b"content-type", b"text/plain; charset=utf-8")?)?;
    Ok((answer.status, headers, PyBytes::new(py, &answer.body)))
}

fn pair<'py>(py: Python<'py>, name: &[u8], value: &[u8]) -> PyResult<Bound<'py, PyTuple>> {
    PyTuple::new(py, [PyBytes::new(py, name), PyBytes::new(py, value)])
}

fn header_list<'py>(py: Python<'py>, headers: &[Header]) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for (name, value) in headers {
        list.append(pair(py, name, value)?)?;
    }
    Ok(list)
}

/// The CORS headers of one request's responses: `apply` sets them over a header list; called
/// as an ASGI `send`, it sets them on the `http.response.start` message and sends it on.
#[pyclass(frozen, module = "FasterAPI._core")]
pub struct CorsSend {
    added: Vec<Header>,
    send: Option<Py<PyAny>>,
}

impl CorsSend {
    /// `headers` with the CORS headers set over them and `Origin` added to Vary.
    pub(crate) fn merged<'a>(
        &self,
        headers: impl Iterator<Item = (&'a [u8], &'a [u8])>,
    ) -> Vec<Header> {
        merge(headers, &self.added)
    }
}

#[pymethods]
impl CorsSend {
    /// `headers` (name, value pairs) with the CORS headers set over them and `Origin` added
    /// to Vary: a new list.
    fn apply<'py>(&self, headers: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
        let py = headers.py();
        let mut own: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        if !headers.is_none() {
            visit_headers(headers, |name, value| {
                own.push((name.to_vec(), value.to_vec()));
                Ok(false)
            })?;
        }
        let pairs = own.iter().map(|(n, v)| (n.as_slice(), v.as_slice()));
        header_list(py, &merge(pairs, &self.added))
    }

    /// The same headers, for the responses sent through `send`.
    pub fn wrap(&self, send: Py<PyAny>) -> CorsSend {
        CorsSend {
            added: self.added.clone(),
            send: Some(send),
        }
    }

    /// The `send` it wraps (None for one that only applies).
    #[getter]
    fn inner(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.send.as_ref().map(|send| send.clone_ref(py))
    }

    fn __call__<'py>(&self, message: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let py = message.py();
        if let Ok(dict) = message.cast::<PyDict>() {
            let kind = dict.get_item(pyo3::intern!(py, "type"))?;
            if kind.is_some_and(|kind| kind.eq("http.response.start").unwrap_or(false)) {
                let key = pyo3::intern!(py, "headers");
                let headers = match dict.get_item(key)? {
                    Some(headers) => self.apply(&headers)?,
                    None => self.apply(&py.None().into_bound(py))?,
                };
                dict.set_item(key, headers)?;
            }
        }
        match &self.send {
            Some(send) => send.bind(py).call1((message,)),
            None => Err(pyo3::exceptions::PyTypeError::new_err(
                "this CorsSend wraps no send",
            )),
        }
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.send)
    }
}

/// Adds `Cors` and `CorsSend` to `FasterAPI._core`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Cors>()?;
    m.add_class::<CorsSend>()?;
    Ok(())
}
