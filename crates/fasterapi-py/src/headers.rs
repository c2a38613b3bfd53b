//! Reading an ASGI scope's `headers`: an iterable of `(name, value)` byte pairs, in practice a
//! list of 2-tuples, which is read without creating index objects; and what its Content-Type
//! says of the body (JSON or not).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};

/// Calls `visit(name, value)` for each header pair, in order, until it returns `Ok(true)`.
pub fn visit_headers(
    headers: &Bound<'_, PyAny>,
    mut visit: impl FnMut(&[u8], &[u8]) -> PyResult<bool>,
) -> PyResult<()> {
    let mut one = |pair: &Bound<'_, PyAny>| -> PyResult<bool> {
        if let Ok(pair) = pair.cast::<PyTuple>() {
            if pair.len() != 2 {
                return Err(PyValueError::new_err(
                    "an ASGI header is a (name, value) pair",
                ));
            }
            let name = pair.get_borrowed_item(0)?;
            let value = pair.get_borrowed_item(1)?;
            return visit(
                name.cast::<PyBytes>()?.as_bytes(),
                value.cast::<PyBytes>()?.as_bytes(),
            );
        }
        let (name, value) = (pair.get_item(0)?, pair.get_item(1)?);
        visit(
            name.cast::<PyBytes>()?.as_bytes(),
            value.cast::<PyBytes>()?.as_bytes(),
        )
    };
    if let Ok(list) = headers.cast::<PyList>() {
        for pair in list.iter() {
            if one(&pair)? {
                break;
            }
        }
    } else {
        for pair in headers.try_iter()? {
            if one(&pair?)? {
                break;
            }
        }
    }
    Ok(())
}

/// FastAPI's rule for parsing a body as JSON: its Content-Type is JSON, or it has none and
/// the app is not strict about content types.
pub fn is_json_request(headers: &Bound<'_, PyAny>, strict: bool) -> PyResult<bool> {
    let mut is_json = !strict;
    visit_headers(headers, |name, value| {
        let found = name.eq_ignore_ascii_case(b"content-type");
        if found {
            is_json = fasterapi_core::http::media::is_json(value);
        }
        Ok(found)
    })?;
    Ok(is_json)
}
