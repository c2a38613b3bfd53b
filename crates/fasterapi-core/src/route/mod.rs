//! HTTP router: FastAPI/Starlette path syntax on top of `matchit` radix trees.
//!
//! Path syntax (as in Starlette's `compile_path`):
//! - `{name}` matches one non-empty segment (no `/`); a segment may also carry a
//!   static prefix/suffix, e.g. `/files/{name}.txt`, but only one parameter.
//! - `{name:path}` matches the rest of the path including slashes, and also the
//!   empty string (`/static/{p:path}` matches `/static/` with `p = ""`). It must
//!   be the last thing in the path.
//! - Any other convertor suffix (`{id:int}`, `{x:str}`, `{u:uuid}`, custom ones)
//!   is stripped and treated as a plain `{name}`: values are returned raw and
//!   the caller converts/validates them.
//! - Braces that do not form `{identifier}` / `{identifier:identifier}` are
//!   literal text, as in Starlette.
//!
//! Unlike Starlette's first-match list, priority is structural: static segments
//! beat parameters regardless of insertion order (`/users/me` beats
//! `/users/{id}`). Each HTTP method has its own tree, so a request whose method
//! is not registered at the most specific path still reaches a less specific
//! route that has it (`GET /users/me` with only `PUT /users/me` falls through
//! to `GET /users/{id}`, as Starlette does). A 405 is returned only when no
//! route for the method matches; its `Allow` value is precomputed per path.
//!
//! Limits inherited from matchit, reported as [`RouterError`] at insert time:
//! one parameter per segment (`/{a}-{b}` is rejected), a `{name:path}` and a
//! `{name}` cannot share a position, at most 25 parameters per route, and no
//! literal `}` right after a parameter (`/{a}}`).

mod path;
mod router;

pub use router::{Lookup, Params, Router, RouterError};
