//! ASGI response messages built in Rust, so a JSON route's reply costs one call.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

use crate::headers::visit_headers;
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
    static JSON_TYPE: PyOnceLock<Py<PyTuple>> = PyOnceLock::new();
    let content_type =
        JSON_TYPE.get_or_try_init(py, || header(py, b"content-type", b"application/json"))?;
    messages(py, body, status, content_type.bind(py), headers)
}

fn header(py: Python<'_>, name: &[u8], value: &[u8]) -> PyResult<Py<PyTuple>> {
    Ok(PyTuple::new(py, [PyBytes::new(py, name), PyBytes::new(py, value)])?.unbind())
}

/// The two ASGI messages for a complete `body` with the given status and Content-Type pair.
pub fn messages<'py>(
    py: Python<'py>,
    body: Bound<'py, PyBytes>,
    status: u16,
    content_type: &Bound<'py, PyTuple>,
    extra: Option<&Bound<'py, PyList>>,
) -> PyResult<Bound<'py, PyTuple>> {
    static LENGTH_NAME: PyOnceLock<Py<PyBytes>> = PyOnceLock::new();
    let length_name = LENGTH_NAME.get_or_init(py, || PyBytes::new(py, b"content-length").unbind());
    let mut digits = itoa::Buffer::new();
    let length = PyBytes::new(py, digits.format(body.as_bytes().len()).as_bytes());
    let headers = PyList::empty(py);
    headers.append((length_name.bind(py), length))?;
    headers.append(content_type)?;
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

/// FastAPI's rule for parsing a body as JSON: its Content-Type is JSON, or it has none and
/// the app is not strict about content types.
pub fn is_json_request(headers: &Bound<'_, PyAny>, strict: bool) -> PyResult<bool> {
    let mut is_json = !strict;
    visit_headers(headers, |name, value| {
        let found = name.eq_ignore_ascii_case(b"content-type");
        if found {
            is_json = fasterapi_core::media::is_json(value);
        }
        Ok(found)
    })?;
    Ok(is_json)
}
