//! The ASGI door: `AsgiApp`, the base class of `Faster`, and `AsgiCall`, one request through it
//! ([`app`]), which steps the route's run (`crate::run`) in place.

mod app;

use pyo3::prelude::*;

/// Adds `AsgiApp` and `AsgiCall` to `FasterAPI._core`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<app::AsgiApp>()?;
    m.add_class::<app::AsgiCall>()?;
    Ok(())
}
