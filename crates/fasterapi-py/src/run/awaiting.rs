//! Awaiting Python awaitables from Rust: what `await x` does, for the Rust coroutines
//! (`AsgiCall`, `RouteRun`) that step the awaitables they need themselves.

use pyo3::exceptions::{PyStopIteration, PyTypeError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyType;

/// What stepping an awaitable gave.
pub enum Sent<'py> {
    /// It suspended on this value (a future, or None for a bare yield).
    Yield(Bound<'py, PyAny>),
    /// It finished with this value.
    Return(Bound<'py, PyAny>),
}

/// The iterator that `await awaitable` steps: a coroutine itself, else its `__await__()`.
pub fn awaitable_iter<'py>(awaitable: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let (is_coroutine, is_generator) = coroutine_or_generator(&awaitable)?;
    let py = awaitable.py();
    if is_coroutine || (is_generator && is_iterable_coroutine(&awaitable)?) {
        return Ok(awaitable);
    }
    match awaitable.getattr(pyo3::intern!(py, "__await__")) {
        Ok(method) => method.call0(),
        Err(_) => Err(PyTypeError::new_err(format!(
            "object {} can't be used in 'await' expression",
            awaitable.get_type().name()?
        ))),
    }
}

/// Whether `object`'s type is exactly the native coroutine type, or the generator type.
#[cfg(not(feature = "abi3"))]
fn coroutine_or_generator(object: &Bound<'_, PyAny>) -> PyResult<(bool, bool)> {
    let ptr = object.as_ptr();
    // SAFETY: type checks on a live object, which we hold.
    Ok(unsafe {
        (
            ffi::PyCoro_CheckExact(ptr) != 0,
            ffi::PyGen_CheckExact(ptr) != 0,
        )
    })
}

/// The same in the limited API (the `abi3` feature), which has no PyCoro/PyGen checks: the
/// type compared with `types.CoroutineType` and `types.GeneratorType`.
#[cfg(feature = "abi3")]
fn coroutine_or_generator(object: &Bound<'_, PyAny>) -> PyResult<(bool, bool)> {
    use pyo3::sync::PyOnceLock;
    static COROUTINE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    static GENERATOR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    let py = object.py();
    let kind = object.get_type();
    Ok((
        kind.is(COROUTINE.import(py, "types", "CoroutineType")?),
        kind.is(GENERATOR.import(py, "types", "GeneratorType")?),
    ))
}

/// A generator made by a `@types.coroutine` function, which `await` accepts.
fn is_iterable_coroutine(generator: &Bound<'_, PyAny>) -> PyResult<bool> {
    const CO_ITERABLE_COROUTINE: i64 = 0x0100;
    let py = generator.py();
    let code = generator.getattr(pyo3::intern!(py, "gi_code"))?;
    let flags: i64 = code.getattr(pyo3::intern!(py, "co_flags"))?.extract()?;
    Ok(flags & CO_ITERABLE_COROUTINE != 0)
}

/// Sends `input` into `sub` (or throws it in), as `await` does.
pub fn step_into<'py>(
    sub: &Bound<'py, PyAny>,
    input: PyResult<Bound<'py, PyAny>>,
) -> PyResult<Sent<'py>> {
    let py = sub.py();
    let value = match input {
        Ok(value) => value,
        Err(err) => return throw_into(sub, err),
    };
    let mut result: *mut ffi::PyObject = std::ptr::null_mut();
    // SAFETY: `sub` and `value` are live; PyIter_Send gives a new reference in `result` unless
    // it fails, when the error is set.
    let status = unsafe { ffi::PyIter_Send(sub.as_ptr(), value.as_ptr(), &mut result) };
    match status {
        ffi::PySendResult::PYGEN_RETURN => {
            Ok(Sent::Return(unsafe { Bound::from_owned_ptr(py, result) }))
        }
        ffi::PySendResult::PYGEN_NEXT => {
            Ok(Sent::Yield(unsafe { Bound::from_owned_ptr(py, result) }))
        }
        ffi::PySendResult::PYGEN_ERROR => Err(PyErr::fetch(py)),
    }
}

/// `sub.throw(err)`: the value it then suspends on, or its result if it finishes.
fn throw_into<'py>(sub: &Bound<'py, PyAny>, err: PyErr) -> PyResult<Sent<'py>> {
    let py = sub.py();
    let Ok(throw) = sub.getattr(pyo3::intern!(py, "throw")) else {
        return Err(err);
    };
    match throw.call1((err.into_value(py),)) {
        Ok(value) => Ok(Sent::Yield(value)),
        Err(stop) if stop.is_instance_of::<PyStopIteration>(py) => {
            let value = stop.value(py).getattr(pyo3::intern!(py, "value"))?;
            Ok(Sent::Return(value))
        }
        Err(err) => Err(err),
    }
}

/// A coroutine's `send(value)`, for a Rust coroutine that goes on by `resume` (Some(value) it
/// suspends on, None when it is over): StopIteration at the end.
pub fn send_value<'py>(
    started: bool,
    value: Bound<'py, PyAny>,
    resume: impl FnOnce(PyResult<Bound<'py, PyAny>>) -> PyResult<Option<Py<PyAny>>>,
) -> PyResult<Py<PyAny>> {
    if !started && !value.is_none() {
        return Err(PyTypeError::new_err(
            "can't send non-None value to a just-started coroutine",
        ));
    }
    resume(Ok(value))?.ok_or_else(|| PyStopIteration::new_err(()))
}

/// A coroutine's `throw(typ, val=None, tb=None)`, as `send_value`: the exception is `val` if
/// it is already a `typ`, else `typ(val)`; `typ()` without a value; `typ` itself when it is an
/// exception object.
pub fn throw_value<'py>(
    typ: Bound<'py, PyAny>,
    val: Option<Bound<'py, PyAny>>,
    resume: impl FnOnce(PyResult<Bound<'py, PyAny>>) -> PyResult<Option<Py<PyAny>>>,
) -> PyResult<Py<PyAny>> {
    let exc = match val {
        Some(val) if !val.is_none() && typ.is_instance_of::<PyType>() => {
            if val.is_instance(&typ)? {
                val
            } else {
                typ.call1((val,))?
            }
        }
        _ if typ.is_instance_of::<PyType>() => typ.call0()?,
        _ => typ,
    };
    resume(Err(PyErr::from_value(exc)))?.ok_or_else(|| PyStopIteration::new_err(()))
}
