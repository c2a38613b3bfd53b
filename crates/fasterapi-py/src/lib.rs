//! `FasterAPI._core`: the thin PyO3 layer over fasterapi-core. Routing and
//! parameter plans (dispatch, plan), error dicts (errors), JSON encoding (json)
//! ASGI header reading (headers) and ASGI response messages (response).

use pyo3::prelude::*;

mod dispatch;
mod errors;
mod headers;
mod json;
mod plan;
mod response;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<dispatch::Dispatcher>()?;
    m.add_function(wrap_pyfunction!(json::encode_json, m)?)?;
    m.add_function(wrap_pyfunction!(json::set_json_default, m)?)?;
    m.add_function(wrap_pyfunction!(response::json_messages, m)?)?;
    Ok(())
}
