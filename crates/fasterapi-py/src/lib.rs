//! `FasterAPI._core`: the thin PyO3 layer over fasterapi-core, one folder per concept, each
//! registering its own classes, functions and constants: the routes and their parameter plans
//! (`route`), a route's run for both doors (`run`), the ASGI door (`asgi`), the native door's
//! HTTP/1.1 (`http`) and WebSocket (`ws`), form bodies (`form`), JSON encoding (`json`) and gzip
//! (`compress`), CORS (`cors`), the middleware the native server runs itself (`middleware`);
//! `headers` reads ASGI header lists for all of them.

use pyo3::prelude::*;

mod asgi;
mod compress;
mod cors;
mod form;
mod headers;
mod http;
mod json;
mod middleware;
mod route;
mod run;
mod ws;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // The version lives in one place, the Cargo workspace: the package's (maturin reads it
    // for pyproject.toml's dynamic version) and FasterAPI.__version__ are this.
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    route::register(m)?;
    run::register(m)?;
    asgi::register(m)?;
    json::register(m)?;
    compress::register(m)?;
    cors::register(m)?;
    middleware::register(m)?;
    form::register(m)?;
    http::register(m)?;
    ws::register(m)?;
    Ok(())
}
