//! Routes: an app's routes matched in Rust ([`dispatch`]), each with the parameter [`plan`] it
//! runs per request (its errors in FastAPI's shape, [`errors`]) and what the route's run needs of
//! the Python route ([`call`]), its dependencies as steps ([`steps`]); and the public `RadixRouter` ([`radix`]).

pub(crate) mod call;
pub(crate) mod dispatch;
mod errors;
pub(crate) mod plan;
mod radix;
pub(crate) mod steps;

use pyo3::prelude::*;

/// Adds `Dispatcher` and `RadixRouter` to `FasterAPI._core`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<dispatch::Dispatcher>()?;
    m.add_class::<dispatch::Overrides>()?;
    m.add_class::<radix::RadixRouter>()?;
    Ok(())
}
