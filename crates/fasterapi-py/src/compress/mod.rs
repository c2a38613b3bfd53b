//! Compression for GZipMiddleware and CompressMiddleware, over fasterapi-core's compress
//! module: `compress(coding, data, level)` and `CompressStream` in gzip, brotli or zstd (large
//! bodies compressed without holding the GIL), and `choose_encoding` by Accept-Encoding.
//! `Gzip` is either middleware run by the native server (`GzipAnswer`: for one request).

use fasterapi_core::compress::policy::{Coding, GzipPolicy, Headers};
use fasterapi_core::compress::{accept, Stream};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};
use pyo3::{PyTraverseError, PyVisit};

use crate::headers::visit_headers;

/// Bodies from this size on are compressed with the GIL released, so other threads run.
const DETACH_FROM: usize = 64 * 1024;

/// `data` compressed whole in `coding` ("gzip", "br" or "zstd") at `level`.
#[pyfunction]
pub fn compress<'py>(
    py: Python<'py>,
    coding: &str,
    data: &[u8],
    level: i32,
) -> PyResult<Bound<'py, PyBytes>> {
    let coding = named(coding, level)?;
    let packed = if data.len() >= DETACH_FROM {
        py.detach(|| coding.compress(data))
    } else {
        coding.compress(data)
    };
    Ok(PyBytes::new(py, &packed))
}

/// A streamed body compressed piece by piece in one coding.
#[pyclass(module = "FasterAPI._core")]
pub struct CompressStream {
    stream: Option<Stream>,
}

#[pymethods]
impl CompressStream {
    #[new]
    fn new(coding: &str, level: i32) -> PyResult<Self> {
        Ok(Self {
            stream: Some(Stream::new(named(coding, level)?)),
        })
    }

    /// `data` compressed and flushed.
    fn write<'py>(&mut self, py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let stream = self.stream.as_mut().ok_or_else(finished)?;
        let packed = if data.len() >= DETACH_FROM {
            py.detach(|| stream.write(data))
        } else {
            stream.write(data)
        };
        Ok(PyBytes::new(py, &packed))
    }

    /// The rest of the stream (gzip's trailer); it is over.
    fn finish<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let stream = self.stream.take().ok_or_else(finished)?;
        Ok(PyBytes::new(py, &stream.finish()))
    }
}

fn named(coding: &str, level: i32) -> PyResult<Coding> {
    Coding::named(coding, level).ok_or_else(|| {
        pyo3::exceptions::PyValueError::new_err(format!("no content coding {coding:?}"))
    })
}

fn finished() -> PyErr {
    pyo3::exceptions::PyRuntimeError::new_err("the stream is finished")
}

/// The content coding of `offered` (in the server's order of preference) that a request's
/// Accept-Encoding weighs highest, or None when it accepts none of them.
#[pyfunction]
pub fn choose_encoding(accept_encoding: &str, offered: Vec<String>) -> Option<String> {
    let names: Vec<&str> = offered.iter().map(String::as_str).collect();
    accept::choose(accept_encoding.as_bytes(), &names).map(|i| offered[i].clone())
}

/// Adds the compression functions and classes to `FasterAPI._core`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(compress, m)?)?;
    m.add_function(wrap_pyfunction!(choose_encoding, m)?)?;
    m.add_class::<CompressStream>()?;
    m.add_class::<Gzip>()?;
    m.add_class::<GzipAnswer>()?;
    Ok(())
}

/// GZipMiddleware (or CompressMiddleware) run by the native server (`GzipPolicy`): its
/// options, and the Python middleware (made without an app) that compresses what streams.
#[pyclass(frozen, module = "FasterAPI._core")]
pub struct Gzip {
    policy: GzipPolicy,
    middleware: Py<PyAny>,
    /// It is outside the app's CORSMiddleware (added after it).
    outer: bool,
    /// The codings offered, in the server's order of preference: CompressMiddleware's,
    /// chosen by Accept-Encoding's weights (`negotiate`); else GZipMiddleware's gzip, for a
    /// client whose Accept-Encoding says "gzip" (as Starlette reads it).
    pub codings: Vec<Coding>,
    pub negotiate: bool,
}

#[pymethods]
impl Gzip {
    /// `level` is gzip's; `zstd` and `brotli`, CompressMiddleware's zstd level and brotli
    /// quality (None: not offered); `gzip=False`: no gzip.
    #[new]
    #[pyo3(signature = (minimum_size, level, excluded, middleware, outer, brotli=None, gzip=true, negotiate=false, zstd=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        minimum_size: usize,
        level: u32,
        excluded: Vec<String>,
        middleware: Py<PyAny>,
        outer: bool,
        brotli: Option<u32>,
        gzip: bool,
        negotiate: bool,
        zstd: Option<i32>,
    ) -> Self {
        let mut codings = Vec::new();
        codings.extend(zstd.map(Coding::Zstd));
        codings.extend(brotli.map(Coding::Brotli));
        if gzip {
            codings.push(Coding::Gzip(level));
        }
        Gzip {
            policy: GzipPolicy {
                minimum_size,
                level,
                excluded,
            },
            middleware,
            outer,
            codings,
            negotiate,
        }
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.middleware)
    }
}

/// GZipMiddleware (or CompressMiddleware) for one request: its policy and the coding the
/// client accepts (None: none offered).
#[pyclass(frozen, module = "FasterAPI._core")]
pub struct GzipAnswer {
    gzip: Py<Gzip>,
    coding: Option<Coding>,
}

impl GzipAnswer {
    pub fn new(gzip: Py<Gzip>, coding: Option<Coding>) -> Self {
        GzipAnswer { gzip, coding }
    }

    pub fn coding(&self) -> Option<Coding> {
        self.coding
    }

    /// GZipMiddleware is outside CORSMiddleware: it sees the CORS headers.
    pub fn is_outer(&self) -> bool {
        self.gzip.get().outer
    }

    /// The headers (names in lower case) and body a whole response goes out with: None when
    /// as they are.
    pub fn apply_to(
        &self,
        py: Python<'_>,
        status: u16,
        headers: &[(Vec<u8>, Vec<u8>)],
        data: &[u8],
    ) -> Option<(Headers, Vec<u8>)> {
        let policy = &self.gzip.get().policy;
        if data.len() >= DETACH_FROM {
            py.detach(|| policy.apply_coding(status, headers, data, self.coding))
        } else {
            policy.apply_coding(status, headers, data, self.coding)
        }
    }
}

#[pymethods]
impl GzipAnswer {
    /// The client accepts a coding offered.
    #[getter]
    fn accepts(&self) -> bool {
        self.coding.is_some()
    }

    /// The name of that coding ("br", "gzip"), or None.
    #[getter(coding)]
    fn coding_name(&self) -> Option<&'static str> {
        self.coding.map(Coding::name)
    }

    /// The Python GZipMiddleware, for a response that streams.
    #[getter]
    fn middleware(&self, py: Python<'_>) -> Py<PyAny> {
        self.gzip.get().middleware.clone_ref(py)
    }

    /// GZipMiddleware is outside CORSMiddleware: it sees the CORS headers.
    #[getter]
    fn outer(&self) -> bool {
        self.is_outer()
    }

    /// The headers and body a whole response goes out with (compressed, or with
    /// `Vary: Accept-Encoding` added, or as they are).
    fn apply<'py>(
        &self,
        py: Python<'py>,
        status: u16,
        headers: Bound<'py, PyAny>,
        body: Bound<'py, PyBytes>,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        let mut pairs = Vec::new();
        visit_headers(&headers, |name, value| {
            pairs.push((name.to_ascii_lowercase(), value.to_vec()));
            Ok(false)
        })?;
        let Some((pairs, packed)) = self.apply_to(py, status, &pairs, body.as_bytes()) else {
            return Ok((headers, body.into_any()));
        };
        let list = PyList::empty(py);
        for (name, value) in pairs {
            list.append((PyBytes::new(py, &name), PyBytes::new(py, &value)))?;
        }
        Ok((list.into_any(), PyBytes::new(py, &packed).into_any()))
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.gzip)
    }
}
