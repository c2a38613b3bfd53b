//! The native door's HTTP/1.1: `HttpParser` turns a connection's bytes into request events
//! ([`events`]) and the module functions write responses ([`parser`]), on fasterapi-core's `http`;
//! [`short`] answers the simplest requests inside the parser's call.

pub(crate) mod events;
pub(crate) mod parser;
pub(crate) mod short;

use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// Adds `HttpParser`, its events, `NativeRequest`, the response writers, `Framing` and the
/// `LAST_CHUNK` and `CONTINUE` bytes to `FasterAPI._core`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<parser::HttpParser>()?;
    events::register(m)?;
    m.add_function(wrap_pyfunction!(parser::response_head, m)?)?;
    m.add_function(wrap_pyfunction!(parser::set_server_headers, m)?)?;
    m.add_function(wrap_pyfunction!(parser::chunk, m)?)?;
    m.add_function(wrap_pyfunction!(parser::error_response, m)?)?;
    m.add_function(wrap_pyfunction!(parser::json_response, m)?)?;
    m.add_function(wrap_pyfunction!(parser::whole_response, m)?)?;
    m.add_class::<parser::NativeRequest>()?;
    m.add_class::<short::ShortPath>()?;
    m.add_class::<short::HeaderView>()?;
    let py = m.py();
    m.add(
        "LAST_CHUNK",
        PyBytes::new(py, fasterapi_core::http::LAST_CHUNK),
    )?;
    m.add("CONTINUE", PyBytes::new(py, fasterapi_core::http::CONTINUE))?;
    Ok(())
}
