//! CORS (Cross-Origin Resource Sharing), answered as Starlette's CORSMiddleware answers it
//! ([`policy`]).

pub mod policy;

pub use policy::{CorsConfig, CorsPolicy, CorsRequest, Header, Preflight};
