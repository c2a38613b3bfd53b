//! Gzip for GZipMiddleware: `gzip_compress(data, level)` and `GzipStream`, over
//! fasterapi-core's compress module; large bodies are compressed without holding the GIL.

use fasterapi_core::compress;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// Bodies from this size on are compressed with the GIL released, so other threads run.
const DETACH_FROM: usize = 64 * 1024;

/// `data` as one gzip member.
#[pyfunction]
pub fn gzip_compress<'py>(py: Python<'py>, data: &[u8], level: u32) -> Bound<'py, PyBytes> {
    let packed = if data.len() >= DETACH_FROM {
        py.detach(|| compress::gzip(data, level))
    } else {
        compress::gzip(data, level)
    };
    PyBytes::new(py, &packed)
}

/// A streamed body compressed piece by piece into one gzip member.
#[pyclass(module = "FasterAPI._core")]
pub struct GzipStream {
    stream: Option<compress::GzipStream>,
}

#[pymethods]
impl GzipStream {
    #[new]
    fn new(level: u32) -> Self {
        Self {
            stream: Some(compress::GzipStream::new(level)),
        }
    }

    /// `data` compressed and flushed.
    fn write<'py>(&mut self, py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let stream = self.open()?;
        let packed = if data.len() >= DETACH_FROM {
            py.detach(|| stream.write(data))
        } else {
            stream.write(data)
        };
        Ok(PyBytes::new(py, &packed))
    }

    /// The rest of the member and its trailer; the stream is over.
    fn finish<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        self.open()?;
        let stream = self.stream.take().expect("checked above");
        Ok(PyBytes::new(py, &stream.finish()))
    }
}

impl GzipStream {
    fn open(&mut self) -> PyResult<&mut compress::GzipStream> {
        self.stream
            .as_mut()
            .ok_or_else(|| pyo3::exceptions::PyRuntimeError::new_err("the gzip stream is finished"))
    }
}

/// Adds `gzip_compress` and `GzipStream` to `FasterAPI._core`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(gzip_compress, m)?)?;
    m.add_class::<GzipStream>()?;
    Ok(())
}
