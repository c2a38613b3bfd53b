//! `FasterAPI._core`: the thin PyO3 layer over fasterapi-core. Routing and
//! parameter plans (dispatch, plan), the public RadixRouter (radix), error dicts
//! (errors), JSON encoding (json)
//! ASGI header reading (headers), ASGI response messages (response), form bodies (form),
//! gzip (compress),
//! the native server's HTTP/1.1 framing (http_parser) and its WebSocket handshake and
//! framing (ws).

use pyo3::prelude::*;

mod asgi;
mod compress;
mod dispatch;
mod errors;
mod form;
mod headers;
mod http_parser;
mod json;
mod plan;
mod radix;
mod response;
mod route;
mod ws;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // The version lives in one place, the Cargo workspace: the package's (maturin reads it
    // for pyproject.toml's dynamic version) and FasterAPI.__version__ are this.
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<dispatch::Dispatcher>()?;
    m.add_class::<radix::RadixRouter>()?;
    m.add_class::<asgi::AsgiApp>()?;
    m.add_class::<asgi::AsgiCall>()?;
    m.add_function(wrap_pyfunction!(json::encode_json, m)?)?;
    m.add_function(wrap_pyfunction!(json::set_json_default, m)?)?;
    m.add_function(wrap_pyfunction!(response::json_messages, m)?)?;
    m.add_function(wrap_pyfunction!(compress::gzip_compress, m)?)?;
    m.add_class::<compress::GzipStream>()?;
    m.add_class::<form::FormReader>()?;
    m.add_function(wrap_pyfunction!(form::parse_form_body, m)?)?;
    m.add_class::<form::MultipartParser>()?;
    m.add_function(wrap_pyfunction!(form::multipart_parser, m)?)?;
    m.add("FormError", m.py().get_type::<form::FormError>())?;
    m.add_class::<http_parser::HttpParser>()?;
    m.add_function(wrap_pyfunction!(http_parser::response_head, m)?)?;
    m.add_function(wrap_pyfunction!(http_parser::chunk, m)?)?;
    m.add_function(wrap_pyfunction!(http_parser::error_response, m)?)?;
    m.add_function(wrap_pyfunction!(http_parser::json_response, m)?)?;
    m.add_function(wrap_pyfunction!(http_parser::whole_response, m)?)?;
    m.add_class::<http_parser::NativeRequest>()?;
    m.add_class::<ws::WebSocketSession>()?;
    m.add_function(wrap_pyfunction!(ws::websocket_check, m)?)?;
    m.add_function(wrap_pyfunction!(ws::websocket_handshake, m)?)?;
    m.add_function(wrap_pyfunction!(ws::websocket_reject, m)?)?;
    let py = m.py();
    let last_chunk = fasterapi_core::http::LAST_CHUNK;
    m.add("LAST_CHUNK", pyo3::types::PyBytes::new(py, last_chunk))?;
    m.add(
        "CONTINUE",
        pyo3::types::PyBytes::new(py, fasterapi_core::http::CONTINUE),
    )?;
    Ok(())
}
