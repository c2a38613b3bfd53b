//! The ASGI door: `AsgiApp`, the base class of `Faster`, and `AsgiCall`, one request through it
//! ([`app`]); `AsgiDoor`, what the route's run asks of it ([`door`]); the ASGI response
//! messages it sends ([`response`]).

mod app;
mod door;
mod response;

use pyo3::prelude::*;

/// Adds `AsgiApp`, `AsgiCall`, `AsgiDoor` and `json_messages` to `FasterAPI._core`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<app::AsgiApp>()?;
    m.add_class::<app::AsgiCall>()?;
    m.add_class::<door::AsgiDoor>()?;
    m.add_function(wrap_pyfunction!(response::json_messages, m)?)?;
    Ok(())
}
