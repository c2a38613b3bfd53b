//! The app's middleware as the native server runs it itself, when every one is of a kind it
//! knows (`ServerStack`): TrustedHostMiddleware's check (fasterapi-core's `hosts`), CORS
//! ([`crate::cors`]), GZip ([`crate::compress`]) and security headers ([`secure`]). A request the natively-run middleware
//! would answer itself (a Host that is not plainly allowed; a CORS preflight, but on the short
//! path without GZip) goes by the ASGI path, through the app's Python middleware stack, which
//! words that answer.

use fasterapi_core::compress::accept::choose;
use fasterapi_core::hosts::TrustedHosts;
use pyo3::prelude::*;
use pyo3::{PyTraverseError, PyVisit};

use crate::compress::{Gzip, GzipAnswer};
use crate::cors::Cors;

pub mod secure;

use secure::SecurityHeaders;

/// What the native parser applies to a request for a native route (set on the app's
/// dispatcher by the app).
#[pyclass(frozen, module = "FasterAPI._core")]
pub struct ServerStack {
    pub cors: Option<Py<Cors>>,
    /// TrustedHostMiddleware's allowed hosts (None: it is not used, or allows any).
    pub hosts: Option<TrustedHosts>,
    /// GZipMiddleware (or CompressMiddleware): its answer for each coding offered, and for
    /// a client that accepts none (last).
    gzip: Option<(Py<Gzip>, Vec<Py<GzipAnswer>>)>,
    /// SecurityHeadersMiddleware's headers.
    pub security: Option<Py<SecurityHeaders>>,
}

#[pymethods]
impl ServerStack {
    #[new]
    #[pyo3(signature = (cors=None, allowed_hosts=None, gzip=None, security=None))]
    fn new(
        py: Python<'_>,
        cors: Option<Py<Cors>>,
        allowed_hosts: Option<Vec<String>>,
        gzip: Option<Py<Gzip>>,
        security: Option<Py<SecurityHeaders>>,
    ) -> PyResult<Self> {
        let gzip = match gzip {
            Some(gzip) => {
                let mut answers = Vec::new();
                let codings = gzip.get().codings.iter().map(|c| Some(*c));
                for coding in codings.chain([None]) {
                    answers.push(Py::new(py, GzipAnswer::new(gzip.clone_ref(py), coding))?);
                }
                Some((gzip, answers))
            }
            None => None,
        };
        Ok(ServerStack {
            cors,
            hosts: allowed_hosts.map(|hosts| TrustedHosts::new(&hosts)),
            gzip,
            security,
        })
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.cors)?;
        visit.call(&self.security)?;
        if let Some((gzip, answers)) = &self.gzip {
            visit.call(gzip)?;
            for answer in answers {
                visit.call(answer)?;
            }
        }
        Ok(())
    }
}

impl ServerStack {
    /// Whether a request with these headers (names in lower case) passes the Host check.
    pub fn host_allowed(&self, headers: &[(Vec<u8>, Vec<u8>)]) -> bool {
        let Some(hosts) = &self.hosts else {
            return true;
        };
        headers
            .iter()
            .find(|(name, _)| name == b"host")
            .is_some_and(|(_, value)| hosts.allows(value))
    }

    /// Whether the app has GZipMiddleware (which the server runs).
    pub fn has_gzip(&self) -> bool {
        self.gzip.is_some()
    }

    /// GZipMiddleware for a request with these headers: whether its client accepts gzip
    /// (its first Accept-Encoding header says "gzip", as Starlette reads it); or
    /// CompressMiddleware's coding for it (Accept-Encoding's weights).
    pub fn gzip(&self, py: Python<'_>, headers: &[(Vec<u8>, Vec<u8>)]) -> Option<Py<GzipAnswer>> {
        let (gzip, answers) = self.gzip.as_ref()?;
        let gzip = gzip.get();
        let accept = headers
            .iter()
            .find(|(name, _)| name == b"accept-encoding")
            .map(|(_, value)| value.as_slice());
        let chosen = match accept {
            None => None,
            Some(accept) if gzip.negotiate => {
                let names: Vec<&str> = gzip.codings.iter().map(|c| c.name()).collect();
                choose(accept, &names)
            }
            Some(accept) => accept.windows(4).any(|part| part == b"gzip").then_some(0),
        };
        let none = answers.len() - 1;
        Some(answers[chosen.unwrap_or(none)].clone_ref(py))
    }
}

/// Adds `ServerStack` and `SecurityHeaders` to `FasterAPI._core`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<ServerStack>()?;
    m.add_class::<SecurityHeaders>()
}
