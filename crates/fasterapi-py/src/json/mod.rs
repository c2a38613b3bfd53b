//! JSON encoder for handler return values. Builtins (dict, list, tuple, str, int,
//! float, bool, None and their subclasses) are written directly, and so is JSON already
//! encoded in a `msgspec.Raw` (a response model's output); anything else is handed to a
//! Python `default` hook (FasterAPI.encoders) that turns it into builtins.

use std::cell::Cell;

use pyo3::buffer::PyBuffer;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use pyo3::Borrowed;

/// Deeper nesting than this is refused (as a cycle guard) instead of overflowing the stack.
const MAX_DEPTH: u32 = 256;

static DEFAULT_HOOK: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Installs the hook that converts non-builtin values; called once by FasterAPI.encoders.
#[pyfunction]
pub fn set_json_default(py: Python<'_>, hook: Py<PyAny>) -> PyResult<()> {
    DEFAULT_HOOK
        .set(py, hook)
        .map_err(|_| PyValueError::new_err("the JSON default hook is already set"))
}

/// Encodes `obj` to compact UTF-8 JSON bytes.
#[pyfunction]
pub fn encode_json<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    to_bytes(obj)
}

thread_local! {
    /// A buffer reused from one encoding to the next. It is taken while in use, so an
    /// encoding nested in the default hook simply gets a fresh one.
    static SCRATCH: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// `encode_json` for Rust callers.
pub fn to_bytes<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    let mut out = SCRATCH.take();
    out.clear();
    let encoded = write_value(obj, &mut out, 0).map(|()| PyBytes::new(obj.py(), &out));
    if out.capacity() <= 64 * 1024 {
        SCRATCH.set(out); // a rare huge one is not kept
    }
    encoded
}

/// Appends the JSON text of `obj` to `out`. Exact builtin types are recognised by their
/// type pointer first (the common case, and the cheapest test); subclasses after that.
pub fn write_value(obj: &Bound<'_, PyAny>, out: &mut Vec<u8>, depth: u32) -> PyResult<()> {
    if depth > MAX_DEPTH {
        return Err(PyValueError::new_err(
            "JSON nesting too deep (circular reference?)",
        ));
    }
    let ty = obj.get_type_ptr();
    // SAFETY: only the addresses of CPython's static type objects are taken, never read.
    let is = |t: *mut ffi::PyTypeObject| std::ptr::eq(ty, t);
    unsafe {
        if is(&raw mut ffi::PyUnicode_Type) {
            write_py_str(obj.cast_unchecked::<PyString>(), out);
            return Ok(());
        }
        if is(&raw mut ffi::PyLong_Type) {
            return write_int(obj.cast_unchecked::<PyInt>(), out);
        }
        if is(&raw mut ffi::PyFloat_Type) {
            write_float(obj.cast_unchecked::<PyFloat>().value(), out);
            return Ok(());
        }
        if is(&raw mut ffi::PyDict_Type) {
            return write_dict(obj.cast_unchecked::<PyDict>(), out, depth);
        }
        if is(&raw mut ffi::PyList_Type) {
            return write_seq(obj.cast_unchecked::<PyList>().iter(), out, depth);
        }
        if is(&raw mut ffi::PyBool_Type) {
            out.extend_from_slice(if obj.is_truthy()? { b"true" } else { b"false" });
            return Ok(());
        }
    }
    if obj.is_none() {
        out.extend_from_slice(b"null");
    } else if let Ok(s) = obj.cast::<PyString>() {
        write_py_str(s, out);
    } else if let Ok(b) = obj.cast::<PyBool>() {
        out.extend_from_slice(if b.is_true() { b"true" } else { b"false" });
    } else if let Ok(i) = obj.cast::<PyInt>() {
        write_int(i, out)?;
    } else if let Ok(f) = obj.cast::<PyFloat>() {
        write_float(f.value(), out);
    } else if let Ok(d) = obj.cast::<PyDict>() {
        write_dict(d, out, depth)?;
    } else if let Ok(l) = obj.cast::<PyList>() {
        write_seq(l.iter(), out, depth)?;
    } else if let Ok(t) = obj.cast::<PyTuple>() {
        write_seq(t.iter(), out, depth)?;
    } else if obj.get_type().is(raw_type(obj.py())?) {
        // JSON already encoded (what a pydantic response model's serializer gives)
        let buffer = PyBuffer::<u8>::get(obj)?;
        out.extend_from_slice(&buffer.to_vec(obj.py())?);
    } else {
        let hook = DEFAULT_HOOK
            .get(obj.py())
            .ok_or_else(|| PyTypeError::new_err("JSON default hook not installed"))?;
        let plain = hook.bind(obj.py()).call1((obj,))?;
        write_value(&plain, out, depth + 1)?;
    }
    Ok(())
}

/// `msgspec.Raw`: a buffer of encoded JSON, written as it is.
fn raw_type(py: Python<'_>) -> PyResult<&Bound<'_, pyo3::types::PyType>> {
    static RAW: PyOnceLock<Py<pyo3::types::PyType>> = PyOnceLock::new();
    RAW.import(py, "msgspec", "Raw")
}

fn write_dict(d: &Bound<'_, PyDict>, out: &mut Vec<u8>, depth: u32) -> PyResult<()> {
    let py = d.py();
    out.push(b'{');
    let (mut pos, mut key, mut value) = (0, std::ptr::null_mut(), std::ptr::null_mut());
    let mut first = true;
    // SAFETY: PyDict_Next lends references that stay valid while the dict is unchanged. A
    // str key and an exact str/int/float/bool/None value are written without running any
    // Python code, so they are used as lent; anything else may run Python code (a key's
    // str(), the default hook) that could change the dict, so it is held first.
    while unsafe { ffi::PyDict_Next(d.as_ptr(), &mut pos, &mut key, &mut value) } != 0 {
        if !first {
            out.push(b',');
        }
        first = false;
        let (k, v) = unsafe { (Borrowed::from_ptr(py, key), Borrowed::from_ptr(py, value)) };
        if k.is_exact_instance_of::<PyString>() {
            write_py_str(&unsafe { k.cast_unchecked::<PyString>() }.to_owned(), out);
        } else {
            write_key(&k.to_owned(), out)?;
        }
        out.push(b':');
        if is_plain_scalar(&v) {
            write_value(&v, out, depth + 1)?;
        } else {
            write_value(&v.to_owned(), out, depth + 1)?;
        }
    }
    out.push(b'}');
    Ok(())
}

/// An exact str, int, float, bool or None: written without running Python code.
fn is_plain_scalar(v: &Bound<'_, PyAny>) -> bool {
    v.is_none()
        || v.is_exact_instance_of::<PyString>()
        || v.is_exact_instance_of::<PyInt>()
        || v.is_exact_instance_of::<PyFloat>()
        || v.is_exact_instance_of::<PyBool>()
}

/// Object keys are strings; numbers, booleans and None become their JSON text, as json.dumps does.
fn write_key(k: &Bound<'_, PyAny>, out: &mut Vec<u8>) -> PyResult<()> {
    if let Ok(s) = k.cast::<PyString>() {
        write_py_str(s, out);
        return Ok(());
    }
    let mut text = Vec::new();
    if k.is_none()
        || k.is_instance_of::<PyBool>()
        || k.is_instance_of::<PyInt>()
        || k.is_instance_of::<PyFloat>()
    {
        write_value(k, &mut text, 0)?;
    } else {
        text.extend_from_slice(k.str()?.to_str()?.as_bytes());
    }
    write_str(std::str::from_utf8(&text).unwrap_or_default(), out);
    Ok(())
}

fn write_seq<'py>(
    items: impl Iterator<Item = Bound<'py, PyAny>>,
    out: &mut Vec<u8>,
    depth: u32,
) -> PyResult<()> {
    out.push(b'[');
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_value(&item, out, depth + 1)?;
    }
    out.push(b']');
    Ok(())
}

fn write_int(i: &Bound<'_, PyInt>, out: &mut Vec<u8>) -> PyResult<()> {
    match i.extract::<i64>() {
        Ok(n) => out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
        Err(_) => out.extend_from_slice(i.str()?.to_str()?.as_bytes()),
    }
    Ok(())
}

/// Finite floats in the shortest round-trip form (zmij: ryu's output, faster, with Python's `e+NN`);
/// NaN and infinities become null, as pydantic does.
fn write_float(f: f64, out: &mut Vec<u8>) {
    if !f.is_finite() {
        out.extend_from_slice(b"null");
    } else if f.fract() == 0.0 && f.abs() < 1e16 {
        out.extend_from_slice(itoa::Buffer::new().format(f as i64).as_bytes());
        out.extend_from_slice(b".0");
    } else {
        out.extend_from_slice(zmij::Buffer::new().format_finite(f).as_bytes());
    }
}

/// Writes a JSON string, escaping quotes, backslashes and control characters; UTF-8 is kept as is.
/// A Python str as a JSON string. One holding a lone surrogate (`"\\udc80"` in a request's
/// JSON decodes to one) has no UTF-8 form: its surrogates are written as U+FFFD, so an
/// error that echoes such input is still answered.
fn write_py_str(s: &Bound<'_, PyString>, out: &mut Vec<u8>) {
    match s.to_str() {
        Ok(text) => write_str(text, out),
        Err(_) => {
            let units: Vec<u16> = s
                .call_method1("encode", ("utf-16-le", "surrogatepass"))
                .and_then(|b| b.extract::<Vec<u8>>())
                .unwrap_or_default()
                .chunks_exact(2)
                .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
                .collect();
            let text: String = char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect();
            write_str(&text, out);
        }
    }
}

pub fn write_str(s: &str, out: &mut Vec<u8>) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let bytes = s.as_bytes();
    if !bytes.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\') {
        out.extend_from_slice(bytes); // nothing to escape, as is usual
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if escape.is_empty() {
            out.extend_from_slice(format!("\\u{b:04x}").as_bytes());
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Adds `encode_json` and `set_json_default` to `FasterAPI._core`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(encode_json, m)?)?;
    m.add_function(wrap_pyfunction!(set_json_default, m)?)?;
    Ok(())
}
