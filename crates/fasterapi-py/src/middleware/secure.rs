//! SecurityHeadersMiddleware's headers (fasterapi-core's `secure`): applied by the Python
//! middleware to the start of each response, and by the native server itself to the responses
//! of native routes.

use fasterapi_core::secure;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};

use crate::headers::visit_headers;

/// The headers to add to each response that has none of that name.
#[pyclass(frozen, module = "FasterAPI._core")]
pub struct SecurityHeaders {
    policy: secure::SecurityHeaders,
}

#[pymethods]
impl SecurityHeaders {
    /// `headers`: (name, value) pairs; a ValueError names one that cannot be sent.
    #[new]
    fn new(headers: Vec<(String, String)>) -> PyResult<Self> {
        let policy = secure::SecurityHeaders::new(&headers).map_err(PyValueError::new_err)?;
        Ok(SecurityHeaders { policy })
    }

    /// `headers` (an ASGI header list) with the missing ones added: a new list.
    fn apply<'py>(&self, headers: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
        let py = headers.py();
        // (read once: ASGI allows any iterable, an iterator among them)
        let list = PyList::empty(py);
        for pair in headers.try_iter()? {
            list.append(pair?)?;
        }
        let mut names: Vec<Vec<u8>> = Vec::new();
        visit_headers(list.as_any(), |name, _| {
            names.push(name.to_ascii_lowercase());
            Ok(false)
        })?;
        for (name, value) in self.policy.headers() {
            if !names.contains(name) {
                list.append((PyBytes::new(py, name), PyBytes::new(py, value)))?;
            }
        }
        Ok(list)
    }
}

impl SecurityHeaders {
    /// Adds the missing headers to `headers`.
    pub fn add_to(&self, headers: &mut Vec<secure::Header>) {
        self.policy.add_to(headers);
    }
}
