//! Form bodies for Python. fasterapi-core parses them (`params::form`, `params::multipart`);
//! this layer turns the fields into Python objects and runs a form route's text parameters
//! through a parameter plan (source "form"), so they are coerced and checked in Rust as query
//! parameters are.

use std::borrow::Cow;

use fasterapi_core::params::form::{parse_form, Field, FormLimits, Value};
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};

use crate::plan::{Plan, RequestParts};

create_exception!(
    _core,
    FormError,
    PyValueError,
    "A form body that cannot be read (malformed, or over a limit); str(exc) is the 400 detail."
);

fn limits(max_files: usize, max_fields: usize, max_part_size: usize) -> FormLimits {
    FormLimits {
        max_files,
        max_fields,
        max_part_size,
    }
}

/// The fields of `body` sent with `content_type`, or FormError.
fn fields<'a>(
    body: &'a [u8],
    content_type: Option<&[u8]>,
    limits: &FormLimits,
) -> PyResult<Vec<Field<'a>>> {
    parse_form(content_type, body, limits).map_err(|err| FormError::new_err(err.detail()))
}

/// `[(name, value), ...]`: a text field's value is a str, a file's a tuple `(filename,
/// headers, start, end)`, its header pairs as bytes and its data `body[start:end]`.
fn items<'py>(py: Python<'py>, fields: &[Field<'_>]) -> PyResult<Bound<'py, PyList>> {
    let items = PyList::empty(py);
    for field in fields {
        let name = PyString::new(py, &field.name);
        let value = match &field.value {
            Value::Text(text) => PyString::new(py, text).into_any(),
            Value::File(file) => {
                let headers = PyList::empty(py);
                for (header, value) in &file.headers {
                    headers
                        .append((PyBytes::new(py, header.as_bytes()), PyBytes::new(py, value)))?;
                }
                let end = file.offset + file.data.len();
                (file.filename.as_str(), headers, file.offset, end)
                    .into_pyobject(py)?
                    .into_any()
            }
        };
        items.append(PyTuple::new(py, [name.into_any(), value])?)?;
    }
    Ok(items)
}

/// `parse_form_body(body, content_type, max_files=1000, max_fields=1000, max_part_size=1 MiB)`:
/// every field of a form body (see `items`), for `Request.form()`; none when the Content-Type
/// (bytes or None) is not a form's. Raises FormError.
#[pyfunction]
#[pyo3(signature = (body, content_type, max_files=1000, max_fields=1000, max_part_size=1024 * 1024))]
pub fn parse_form_body<'py>(
    py: Python<'py>,
    body: &[u8],
    content_type: Option<&[u8]>,
    max_files: usize,
    max_fields: usize,
    max_part_size: usize,
) -> PyResult<Bound<'py, PyList>> {
    let limits = limits(max_files, max_fields, max_part_size);
    items(py, &fields(body, content_type, &limits)?)
}

/// What a form route does with its body: parse it, extract its text parameters (`specs`,
/// compiled as a plan) and, if `items`, hand every field to Python (files, models, other
/// types), as `parse_form` gives them.
#[pyclass(frozen, module = "FasterAPI._core")]
pub struct FormReader {
    plan: Plan,
    items: bool,
    limits: FormLimits,
}

#[pymethods]
impl FormReader {
    #[new]
    #[pyo3(signature = (specs, items, max_files=1000, max_fields=1000, max_part_size=1024 * 1024))]
    fn new(
        specs: Vec<Bound<'_, PyDict>>,
        items: bool,
        max_files: usize,
        max_fields: usize,
        max_part_size: usize,
    ) -> PyResult<Self> {
        Ok(FormReader {
            plan: Plan::compile(&specs)?,
            items,
            limits: limits(max_files, max_fields, max_part_size),
        })
    }

    /// Parses `body` (sent with `content_type`, bytes or None) and puts its text parameters'
    /// values into `kwargs`: `(items, errors)`, items None unless asked for, errors None or
    /// FastAPI's error dicts. Raises FormError.
    fn read<'py>(
        &self,
        py: Python<'py>,
        body: &[u8],
        content_type: Option<&[u8]>,
        kwargs: &Bound<'py, PyDict>,
    ) -> PyResult<(Option<Bound<'py, PyList>>, Bound<'py, PyAny>)> {
        let fields = fields(body, content_type, &self.limits)?;
        let items = if self.items {
            Some(items(py, &fields)?)
        } else {
            None
        };
        let mut errors = Vec::new();
        if !self.plan.params.is_empty() {
            let form = fields
                .into_iter()
                .filter_map(|field| match field.value {
                    Value::Text(text) => Some((field.name, text)),
                    Value::File(_) => None,
                })
                .collect::<Vec<(Cow<'_, str>, Cow<'_, str>)>>();
            let parts = RequestParts {
                path_params: Vec::new(),
                query: Vec::new(),
                headers: Vec::new(),
                form,
            };
            self.plan.extract(py, &parts, kwargs, &mut errors)?;
        }
        let errors = if errors.is_empty() {
            py.None().into_bound(py)
        } else {
            PyList::new(py, errors)?.into_any()
        };
        Ok((items, errors))
    }
}
