//! ASGI response messages built in Rust, so a JSON route's reply costs one call.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

use crate::json::write_value;

/// Encodes `content` to JSON and returns the `(http.response.start, http.response.body)`
/// messages, with Content-Length and Content-Type set, plus `headers` (a list of byte pairs).
#[pyfunction]
#[pyo3(signature = (content, status, headers=None))]
pub fn json_messages<'py>(
    content: &Bound<'py, PyAny>,
    status: u16,
    headers: Option<&Bound<'py, PyList>>,
) -> PyResult<Bound<'py, PyTuple>> {
    let py = content.py();
    let mut body = Vec::with_capacity(128);
    write_value(content, &mut body, 0)?;
    let body = PyBytes::new(py, &body);
    messages(py, body, status, b"application/json", headers)
}

/// The two ASGI messages for a complete `body` with the given status and media type.
pub fn messages<'py>(
    py: Python<'py>,
    body: Bound<'py, PyBytes>,
    status: u16,
    media_type: &[u8],
    extra: Option<&Bound<'py, PyList>>,
) -> PyResult<Bound<'py, PyTuple>> {
    let length = itoa::Buffer::new()
        .format(body.as_bytes().len())
        .as_bytes()
        .to_vec();
    let headers = PyList::empty(py);
    headers.append((
        PyBytes::new(py, b"content-length"),
        PyBytes::new(py, &length),
    ))?;
    headers.append((
        PyBytes::new(py, b"content-type"),
        PyBytes::new(py, media_type),
    ))?;
    if let Some(extra) = extra {
        for pair in extra.iter() {
            headers.append(pair)?;
        }
    }
    let start = PyDict::new(py);
    start.set_item(
        pyo3::intern!(py, "type"),
        pyo3::intern!(py, "http.response.start"),
    )?;
    start.set_item(pyo3::intern!(py, "status"), status)?;
    start.set_item(pyo3::intern!(py, "headers"), headers)?;
    let end = PyDict::new(py);
    end.set_item(
        pyo3::intern!(py, "type"),
        pyo3::intern!(py, "http.response.body"),
    )?;
    end.set_item(pyo3::intern!(py, "body"), body)?;
    PyTuple::new(py, [start, end])
}
