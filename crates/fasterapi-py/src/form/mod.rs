//! Form bodies for Python. fasterapi-core parses them (`params::form`, `params::multipart`);
//! this layer turns the fields into Python objects and runs a form route's text parameters
//! through a parameter plan (source "form"), so they are coerced and checked in Rust as query
//! parameters are.

use std::borrow::Cow;

use fasterapi_core::params::fields::{Field, FormLimits, Value};
use fasterapi_core::params::form::{form_kind, parse_form, FormKind};
use fasterapi_core::params::multipart_stream::{MultipartStream, PartEvent};
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};

use crate::route::plan::{Plan, RequestParts};

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
        let texts = fields
            .into_iter()
            .filter_map(|field| match field.value {
                Value::Text(text) => Some((field.name, text)),
                Value::File(_) => None,
            })
            .collect();
        Ok((items, self.extract(py, texts, kwargs)?))
    }

    /// As `read`, for a form already parsed as it arrived (`MultipartParser`): puts the text
    /// parameters' values from `texts` (`[(name, value), ...]`) into `kwargs`; returns the
    /// errors, or None.
    fn read_texts<'py>(
        &self,
        py: Python<'py>,
        texts: Vec<(String, String)>,
        kwargs: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let texts = texts
            .into_iter()
            .map(|(name, value)| (Cow::Owned(name), Cow::Owned(value)))
            .collect();
        self.extract(py, texts, kwargs)
    }
}

impl FormReader {
    /// Runs the text parameters' plan on the form's text fields: None, or the error list.
    fn extract<'py>(
        &self,
        py: Python<'py>,
        form: Vec<(Cow<'_, str>, Cow<'_, str>)>,
        kwargs: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut errors = Vec::new();
        if !self.plan.params.is_empty() {
            let parts = RequestParts {
                path_params: Vec::new(),
                query: Vec::new(),
                headers: Vec::new(),
                form,
            };
            self.plan.extract(py, &parts, kwargs, &mut errors)?;
        }
        Ok(if errors.is_empty() {
            py.None().into_bound(py)
        } else {
            PyList::new(py, errors)?.into_any()
        })
    }
}

/// A multipart body parsed as it arrives (fasterapi-core's `multipart_stream`): `feed(data)`
/// and `finish()` return the events found, in order: `("text", name, value)`, `("file", name,
/// filename, headers)` (header pairs as bytes), `("data", bytes)` (the file begun last),
/// `("end",)`. Raises FormError.
#[pyclass(module = "FasterAPI._core")]
pub struct MultipartParser {
    stream: MultipartStream,
}

#[pymethods]
impl MultipartParser {
    fn feed<'py>(&mut self, py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyList>> {
        let mut events = Vec::new();
        let fed = self.stream.feed(data, &mut events);
        let list = event_list(py, events)?;
        fed.map_err(|err| FormError::new_err(err.detail()))?;
        Ok(list)
    }

    fn finish<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let mut events = Vec::new();
        let finished = self.stream.finish(&mut events);
        let list = event_list(py, events)?;
        finished.map_err(|err| FormError::new_err(err.detail()))?;
        Ok(list)
    }
}

fn event_list<'py>(py: Python<'py>, events: Vec<PartEvent>) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for event in events {
        let item = match event {
            PartEvent::Text { name, value } => ("text", name, value).into_pyobject(py)?,
            PartEvent::FileStart {
                name,
                filename,
                headers,
            } => {
                let pairs = PyList::empty(py);
                for (header, value) in &headers {
                    pairs.append((PyBytes::new(py, header.as_bytes()), PyBytes::new(py, value)))?;
                }
                ("file", name, filename, pairs).into_pyobject(py)?
            }
            PartEvent::FileData(data) => ("data", PyBytes::new(py, &data)).into_pyobject(py)?,
            PartEvent::FileEnd => ("end",).into_pyobject(py)?,
        };
        list.append(item)?;
    }
    Ok(list)
}

/// `multipart_parser(content_type, max_files=1000, max_fields=1000, max_part_size=1 MiB)`: a
/// MultipartParser for a body sent with `content_type`, or None when it is not multipart.
/// Raises FormError (a multipart type without a boundary).
#[pyfunction]
#[pyo3(signature = (content_type, max_files=1000, max_fields=1000, max_part_size=1024 * 1024))]
pub fn multipart_parser(
    content_type: &[u8],
    max_files: usize,
    max_fields: usize,
    max_part_size: usize,
) -> PyResult<Option<MultipartParser>> {
    match form_kind(content_type).map_err(|err| FormError::new_err(err.detail()))? {
        FormKind::Multipart { boundary, charset } => Ok(Some(MultipartParser {
            stream: MultipartStream::new(
                &boundary,
                charset,
                limits(max_files, max_fields, max_part_size),
            ),
        })),
        _ => Ok(None),
    }
}

/// Adds `FormReader`, `parse_form_body`, `MultipartParser`, `multipart_parser` and `FormError`
/// to `FasterAPI._core`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<FormReader>()?;
    m.add_function(wrap_pyfunction!(parse_form_body, m)?)?;
    m.add_class::<MultipartParser>()?;
    m.add_function(wrap_pyfunction!(multipart_parser, m)?)?;
    m.add("FormError", m.py().get_type::<FormError>())?;
    Ok(())
}
