//! Request parameters: query strings, cookies, form bodies (urlencoded and multipart), and
//! coercion of their text values to scalar types with FastAPI's (pydantic's) rules and
//! constraints.

pub mod coerce;
pub mod constraints;
pub mod cookie;
pub mod fields;
pub mod form;
mod header_params;
pub mod multipart;
pub mod multipart_stream;
pub mod query;
