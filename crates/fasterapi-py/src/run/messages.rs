//! ASGI response messages built in Rust, so a JSON route's reply costs one call.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

use crate::json::to_bytes;

/// Encodes `content` to JSON and returns the `(http.response.start, http.response.body)`
/// messages, with Content-Length and Content-Type set.
#[pyfunction]
pub fn json_messages<'py>(
    content: &Bound<'py, PyAny>,
    status: u16,
) -> PyResult<Bound<'py, PyTuple>> {
    let (start, end) = json_pair(content, status)?;
    PyTuple::new(content.py(), [start, end])
}

/// `json_messages` for Rust callers: the two messages as a pair.
pub fn json_pair<'py>(
    content: &Bound<'py, PyAny>,
    status: u16,
) -> PyResult<(Bound<'py, PyDict>, Bound<'py, PyDict>)> {
    let py = content.py();
    let body = to_bytes(content)?;
    static JSON_TYPE: PyOnceLock<Py<PyTuple>> = PyOnceLock::new();
    let content_type =
        JSON_TYPE.get_or_try_init(py, || header(py, b"content-type", b"application/json"))?;
    let length = content_length(py, body.as_bytes().len())?;
    let headers = PyList::new(py, [length.as_any(), content_type.bind(py).as_any()])?;
    let status = status.into_pyobject(py)?.into_any();
    Ok((
        start_message(&status, headers.as_any())?,
        body_message(body.as_any())?,
    ))
}

fn header(py: Python<'_>, name: &[u8], value: &[u8]) -> PyResult<Py<PyTuple>> {
    Ok(PyTuple::new(py, [PyBytes::new(py, name), PyBytes::new(py, value)])?.unbind())
}

/// The header pair `(b"content-length", b"<length>")`. Pairs are immutable, so small lengths
/// (most JSON replies) share one made once.
fn content_length(py: Python<'_>, length: usize) -> PyResult<Bound<'_, PyTuple>> {
    const SHARED: usize = 1024;
    static PAIRS: PyOnceLock<Vec<Py<PyTuple>>> = PyOnceLock::new();
    let pair = |length: usize| {
        let digits = itoa::Buffer::new().format(length).as_bytes().to_vec();
        header(py, b"content-length", &digits)
    };
    if length >= SHARED {
        return Ok(pair(length)?.into_bound(py));
    }
    let pairs = PAIRS.get_or_try_init(py, || (0..SHARED).map(pair).collect())?;
    Ok(pairs[length].bind(py).clone())
}

/// `{"type": "http.response.start", "status": status, "headers": headers}`.
pub fn start_message<'py>(
    status: &Bound<'py, PyAny>,
    headers: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyDict>> {
    let py = status.py();
    let start = PyDict::new(py);
    start.set_item(
        pyo3::intern!(py, "type"),
        pyo3::intern!(py, "http.response.start"),
    )?;
    start.set_item(pyo3::intern!(py, "status"), status)?;
    start.set_item(pyo3::intern!(py, "headers"), headers)?;
    Ok(start)
}

/// `{"type": "http.response.body", "body": body}`, the last one.
pub fn body_message<'py>(body: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    let py = body.py();
    let end = PyDict::new(py);
    end.set_item(
        pyo3::intern!(py, "type"),
        pyo3::intern!(py, "http.response.body"),
    )?;
    end.set_item(pyo3::intern!(py, "body"), body)?;
    Ok(end)
}
