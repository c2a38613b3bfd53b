//! A route's run, the one place a request to a matched route is served, for both doors
//! ([`runner`]: `Runner`, and `RouteRun`, the awaitable the native door awaits); awaiting
//! Python awaitables from Rust ([`awaiting`]); the ASGI response messages it sends
//! ([`messages`]).

pub(crate) mod awaiting;
pub(crate) mod messages;
pub(crate) mod runner;

use pyo3::prelude::*;

/// Adds `RouteRun` and `json_messages` to `FasterAPI._core`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<runner::RouteRun>()?;
    m.add_function(wrap_pyfunction!(messages::json_messages, m)?)?;
    Ok(())
}
