//! A route's parameter plan: compiled once from the specs Python works out at
//! registration, executed per request to pull path, query, header and cookie
//! values, coerce them and collect FastAPI-shaped errors. A form route's text fields are a
//! plan of their own (source "form"), run once its body is parsed (see `crate::form`).

use std::borrow::Cow;

use fasterapi_core::params::coerce::{self, Int};
use fasterapi_core::params::constraints::{NumberBounds, Regex, StringRules, Violation};
use fasterapi_core::params::{cookie, query};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use smallvec::{smallvec, SmallVec};

use super::errors::{self, Loc};
use crate::headers::visit_headers;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Path,
    Query,
    Header,
    Cookie,
    /// A text field of a form body; its errors are located in the body, as FastAPI's.
    Form,
}

impl Source {
    fn name(self) -> &'static str {
        match self {
            Self::Path => "path",
            Self::Query => "query",
            Self::Header => "header",
            Self::Cookie => "cookie",
            Self::Form => "body",
        }
    }
}

/// How a text value becomes a Python value.
enum Kind {
    Str,
    Int,
    Float,
    Bool,
    Bytes,
    /// Enum members or Literal values, matched by their text form.
    Choice {
        options: Vec<(String, Py<PyAny>)>,
        error_type: String,
        expected: String,
    },
    /// A Python converter (UUID, datetime, Decimal...) that raises ValueError(type, msg).
    Convert(Py<PyAny>),
    /// A Python validator given every `(name, value)` pair of the source, which returns
    /// `(value, errors)`: parameter models, alias choices and types only pydantic reads
    /// (FasterAPI._compiler.param_models).
    Validate(Py<PyAny>),
}

/// One parameter of a route.
pub struct ParamSpec {
    name: Py<PyString>,
    source: Source,
    key: String,
    loc_name: Py<PyAny>,
    kind: Kind,
    many: bool,
    required: bool,
    default: Py<PyAny>,
    bounds: NumberBounds,
    strings: StringRules,
    /// The constraint values as the user wrote them, for messages and `ctx`.
    limits: Py<PyDict>,
}

/// The raw text values found for a parameter; inline (no allocation) for a single value.
type Found<'a> = SmallVec<[Cow<'a, str>; 1]>;

/// Everything a request offers to the plan, parsed lazily and at most once.
pub struct RequestParts<'a> {
    pub path_params: Vec<(&'a str, &'a str)>,
    pub query: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    pub headers: Vec<(Vec<u8>, String)>,
    /// A form body's text fields, in order.
    pub form: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

pub struct Plan {
    pub params: Vec<ParamSpec>,
    pub needs_query: bool,
    pub needs_headers: bool,
}

impl Plan {
    pub fn compile(specs: &[Bound<'_, PyDict>]) -> PyResult<Plan> {
        let params = specs
            .iter()
            .map(ParamSpec::compile)
            .collect::<PyResult<Vec<_>>>()?;
        let needs_query = params.iter().any(|p| p.source == Source::Query);
        let needs_headers = params
            .iter()
            .any(|p| matches!(p.source, Source::Header | Source::Cookie));
        Ok(Plan {
            params,
            needs_query,
            needs_headers,
        })
    }

    /// Fills `kwargs` with coerced values; appends an error dict per invalid or missing value.
    pub fn extract<'py>(
        &self,
        py: Python<'py>,
        parts: &RequestParts<'_>,
        kwargs: &Bound<'py, PyDict>,
        errors: &mut Vec<Bound<'py, PyDict>>,
    ) -> PyResult<()> {
        let cookies: Vec<(&str, &str)> = if self.params.iter().any(|p| p.source == Source::Cookie) {
            parts
                .headers
                .iter()
                .filter(|(k, _)| k == b"cookie")
                .flat_map(|(_, v)| cookie::parse_cookies(v))
                .collect()
        } else {
            Vec::new()
        };
        for spec in &self.params {
            if let Kind::Validate(validate) = &spec.kind {
                spec.validate(py, validate.bind(py), parts, &cookies, kwargs, errors)?;
                continue;
            }
            let found = spec.find(parts, &cookies);
            spec.apply(py, found, kwargs, errors)?;
        }
        Ok(())
    }
}

fn get_opt<'py>(d: &Bound<'py, PyDict>, key: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
    Ok(d.get_item(key)?.filter(|v| !v.is_none()))
}

fn get_req<'py>(d: &Bound<'py, PyDict>, key: &str) -> PyResult<Bound<'py, PyAny>> {
    d.get_item(key)?
        .ok_or_else(|| PyValueError::new_err(format!("parameter spec lacks '{key}'")))
}

impl ParamSpec {
    fn compile(d: &Bound<'_, PyDict>) -> PyResult<ParamSpec> {
        let py = d.py();
        let source = match get_req(d, "source")?.extract::<String>()?.as_str() {
            "path" => Source::Path,
            "query" => Source::Query,
            "header" => Source::Header,
            "cookie" => Source::Cookie,
            "form" => Source::Form,
            other => {
                return Err(PyValueError::new_err(format!(
                    "unknown parameter source {other}"
                )))
            }
        };
        let kind = match get_req(d, "kind")?.extract::<String>()?.as_str() {
            "str" => Kind::Str,
            "int" => Kind::Int,
            "float" => Kind::Float,
            "bool" => Kind::Bool,
            "bytes" => Kind::Bytes,
            "choice" => Kind::Choice {
                options: get_req(d, "choices")?.extract()?,
                error_type: get_req(d, "choice_error")?.extract()?,
                expected: get_req(d, "expected")?.extract()?,
            },
            "convert" => Kind::Convert(get_req(d, "converter")?.unbind()),
            "validate" => Kind::Validate(get_req(d, "validate")?.unbind()),
            other => {
                return Err(PyValueError::new_err(format!(
                    "unknown parameter kind {other}"
                )))
            }
        };
        let limits = PyDict::new(py);
        let number = |key: &str| -> PyResult<Option<f64>> {
            let Some(v) = get_opt(d, key)? else {
                return Ok(None);
            };
            limits.set_item(key, &v)?;
            Ok(Some(v.extract::<f64>()?))
        };
        let bounds = NumberBounds {
            gt: number("gt")?,
            ge: number("ge")?,
            lt: number("lt")?,
            le: number("le")?,
        };
        let length = |key: &str| -> PyResult<Option<usize>> {
            let Some(v) = get_opt(d, key)? else {
                return Ok(None);
            };
            limits.set_item(key, &v)?;
            Ok(Some(v.extract::<usize>()?))
        };
        let (min_length, max_length) = (length("min_length")?, length("max_length")?);
        let pattern =
            match get_opt(d, "pattern")? {
                Some(p) => {
                    let text: String = p.extract()?;
                    limits.set_item("pattern", &p)?;
                    Some(Regex::new(&text).map_err(|e| {
                        PyValueError::new_err(format!("invalid pattern {text:?}: {e}"))
                    })?)
                }
                None => None,
            };
        Ok(ParamSpec {
            name: get_req(d, "name")?.cast_into::<PyString>()?.unbind(),
            source,
            key: get_req(d, "key")?.extract()?,
            loc_name: get_req(d, "loc_name")?.unbind(),
            kind,
            many: get_req(d, "many")?.is_truthy()?,
            required: get_req(d, "required")?.is_truthy()?,
            default: get_req(d, "default")?.unbind(),
            bounds,
            strings: StringRules {
                min_length,
                max_length,
                pattern,
            },
            limits: limits.unbind(),
        })
    }

    /// The text values for this parameter: all of them for a list, else the one that counts
    /// (the last repeated query key and cookie, the first header, as Starlette reads them).
    fn find<'a>(&self, parts: &'a RequestParts<'a>, cookies: &[(&'a str, &'a str)]) -> Found<'a> {
        let key = self.key.as_str();
        let mut all: Found<'a> = match self.source {
            Source::Path => parts
                .path_params
                .iter()
                .filter(|(k, _)| *k == key)
                .map(|(_, v)| Cow::Borrowed(*v))
                .collect(),
            Source::Query => parts
                .query
                .iter()
                .filter(|(k, _)| k == key)
                .map(|(_, v)| Cow::Borrowed(v.as_ref()))
                .collect(),
            Source::Header => parts
                .headers
                .iter()
                .filter(|(k, _)| k == key.as_bytes())
                .map(|(_, v)| Cow::Borrowed(v.as_str()))
                .collect(),
            Source::Cookie => cookies
                .iter()
                .filter(|(k, _)| *k == key)
                .map(|(_, v)| Cow::Borrowed(*v))
                .collect(),
            Source::Form => parts
                .form
                .iter()
                .filter(|(k, _)| k == key)
                .map(|(_, v)| Cow::Borrowed(v.as_ref()))
                .collect(),
        };
        if !self.many && all.len() > 1 {
            let keep = if self.source == Source::Header {
                0
            } else {
                all.len() - 1
            };
            all = smallvec![all.swap_remove(keep)];
        }
        // An empty form field is an absent one, as FastAPI reads forms (not in a list).
        if self.source == Source::Form && !self.many && all.first().is_some_and(|v| v.is_empty()) {
            all.clear();
        }
        all
    }

    /// Runs a `Kind::Validate` parameter: its validator gets all the pairs of the source
    /// (header names lowercased) and gives back the value, or the errors.
    fn validate<'py>(
        &self,
        py: Python<'py>,
        validate: &Bound<'py, PyAny>,
        parts: &RequestParts<'_>,
        cookies: &[(&str, &str)],
        kwargs: &Bound<'py, PyDict>,
        errors: &mut Vec<Bound<'py, PyDict>>,
    ) -> PyResult<()> {
        let pairs = PyList::empty(py);
        match self.source {
            Source::Path => {
                for (k, v) in &parts.path_params {
                    pairs.append((*k, *v))?;
                }
            }
            Source::Query => {
                for (k, v) in &parts.query {
                    pairs.append((k.as_ref(), v.as_ref()))?;
                }
            }
            Source::Header => {
                for (k, v) in &parts.headers {
                    let name: String = k.iter().map(|&b| b as char).collect();
                    pairs.append((name, v.as_str()))?;
                }
            }
            Source::Cookie => {
                for (k, v) in cookies {
                    pairs.append((*k, *v))?;
                }
            }
            Source::Form => {
                for (k, v) in &parts.form {
                    pairs.append((k.as_ref(), v.as_ref()))?;
                }
            }
        }
        let (value, found): (Bound<'py, PyAny>, Bound<'py, PyList>) =
            validate.call1((pairs,))?.extract()?;
        if found.is_empty() {
            return kwargs.set_item(self.name.bind(py), value);
        }
        for error in found.iter() {
            errors.push(error.cast_into::<PyDict>()?);
        }
        Ok(())
    }

    fn apply<'py>(
        &self,
        py: Python<'py>,
        found: Found<'_>,
        kwargs: &Bound<'py, PyDict>,
        errors: &mut Vec<Bound<'py, PyDict>>,
    ) -> PyResult<()> {
        let name = self.name.bind(py);
        if found.is_empty() {
            let loc = Loc {
                source: self.source.name(),
                name: &self.loc_name,
                index: None,
            };
            return if self.required {
                errors.push(errors::missing(py, &loc)?);
                Ok(())
            } else {
                kwargs.set_item(name, fresh_default(self.default.bind(py))?)
            };
        }
        if !self.many {
            let loc = Loc {
                source: self.source.name(),
                name: &self.loc_name,
                index: None,
            };
            if let Some(v) = self.coerce(py, &found[0], &loc, errors)? {
                kwargs.set_item(name, v)?;
            }
            return Ok(());
        }
        let values = PyList::empty(py);
        let before = errors.len();
        for (i, text) in found.iter().enumerate() {
            let loc = Loc {
                source: self.source.name(),
                name: &self.loc_name,
                index: Some(i),
            };
            if let Some(v) = self.coerce(py, text, &loc, errors)? {
                values.append(v)?;
            }
        }
        if errors.len() == before {
            kwargs.set_item(name, values)?;
        }
        Ok(())
    }

    /// Coerces one text value; on failure pushes the error and returns None.
    fn coerce<'py>(
        &self,
        py: Python<'py>,
        text: &str,
        loc: &Loc<'_>,
        errors: &mut Vec<Bound<'py, PyDict>>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let input = || PyString::new(py, text).into_any();
        let fail = |e: coerce::CoerceError,
                    errors: &mut Vec<Bound<'py, PyDict>>|
         -> PyResult<Option<Bound<'py, PyAny>>> {
            errors.push(errors::error(
                py,
                e.kind(),
                loc,
                e.message(),
                input(),
                None,
            )?);
            Ok(None)
        };
        let value = match &self.kind {
            Kind::Str => {
                if let Err(v) = self.strings.check(text) {
                    return self.violation(py, v, loc, input(), errors);
                }
                input()
            }
            Kind::Bytes => PyBytes::new(py, text.as_bytes()).into_any(),
            Kind::Bool => match coerce::parse_bool(text) {
                Ok(b) => pyo3::types::PyBool::new(py, b).to_owned().into_any(),
                Err(e) => return fail(e, errors),
            },
            Kind::Int => match coerce::parse_int(text) {
                Ok(Int::Small(n)) => {
                    if let Err(v) = self.bounds.check(n as f64) {
                        return self.violation(py, v, loc, input(), errors);
                    }
                    n.into_pyobject(py)?.into_any()
                }
                Ok(Int::Big(digits)) => {
                    if let Err(v) = self.bounds.check(coerce::big_int_approx(digits)) {
                        return self.violation(py, v, loc, input(), errors);
                    }
                    py.get_type::<pyo3::types::PyInt>().call1((digits,))?
                }
                Err(e) => return fail(e, errors),
            },
            Kind::Float => match coerce::parse_float(text) {
                Ok(f) => {
                    if let Err(v) = self.bounds.check(f) {
                        return self.violation(py, v, loc, input(), errors);
                    }
                    pyo3::types::PyFloat::new(py, f).into_any()
                }
                Err(e) => return fail(e, errors),
            },
            Kind::Choice {
                options,
                error_type,
                expected,
            } => match options.iter().find(|(label, _)| label == text) {
                Some((_, v)) => v.bind(py).clone(),
                None => {
                    let ctx = PyDict::new(py);
                    ctx.set_item("expected", expected)?;
                    let msg = format!("Input should be {expected}");
                    errors.push(errors::error(
                        py,
                        error_type,
                        loc,
                        &msg,
                        input(),
                        Some(ctx),
                    )?);
                    return Ok(None);
                }
            },
            Kind::Validate(_) => unreachable!("a validated parameter is never coerced alone"),
            Kind::Convert(func) => match func.bind(py).call1((text,)) {
                Ok(v) => v,
                Err(err) if err.is_instance_of::<pyo3::exceptions::PyException>(py) => {
                    let (kind, msg, ctx) = converter_error(py, &err);
                    errors.push(errors::error(py, &kind, loc, &msg, input(), ctx)?);
                    return Ok(None);
                }
                Err(err) => return Err(err),
            },
        };
        Ok(Some(value))
    }

    fn violation<'py>(
        &self,
        py: Python<'py>,
        violation: Violation,
        loc: &Loc<'_>,
        input: Bound<'py, PyAny>,
        errors: &mut Vec<Bound<'py, PyDict>>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let key = violation.ctx_key();
        let limit = self
            .limits
            .bind(py)
            .get_item(key)?
            .unwrap_or_else(|| py.None().into_bound(py));
        let msg = violation.message(limit.str()?.to_str()?);
        let ctx = PyDict::new(py);
        ctx.set_item(key, limit)?;
        errors.push(errors::error(
            py,
            violation.kind(),
            loc,
            &msg,
            input,
            Some(ctx),
        )?);
        Ok(None)
    }
}

/// The (type, message, ctx) of a converter's error: FasterAPI's converters raise
/// `ValueError(type, message[, ctx])`; anything else is reported as pydantic words a plain
/// ValueError, so bad input is a 422, never a 500.
fn converter_error<'py>(
    py: Python<'py>,
    err: &PyErr,
) -> (String, String, Option<Bound<'py, PyDict>>) {
    let value = err.value(py);
    let worded = || -> PyResult<(String, String, Option<Bound<'py, PyDict>>)> {
        let args = value.getattr("args")?.cast_into::<PyTuple>()?;
        let kind: String = args.get_item(0)?.extract()?;
        let msg: String = args.get_item(1)?.extract()?;
        let ctx = match args.len() {
            2 => None,
            3 => Some(args.get_item(2)?.cast_into::<PyDict>()?),
            _ => return Err(PyValueError::new_err("not a converter error")),
        };
        Ok((kind, msg, ctx))
    };
    if err.is_instance_of::<PyValueError>(py) {
        if let Ok(found) = worded() {
            return found;
        }
    }
    let text = value.str().map(|s| s.to_string()).unwrap_or_default();
    let ctx = PyDict::new(py);
    let _ = ctx.set_item("error", &text);
    (
        "value_error".to_owned(),
        format!("Value error, {text}"),
        Some(ctx),
    )
}

/// A default that is a list or dict is copied, so one request cannot change the next one's.
fn fresh_default<'py>(default: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    if let Ok(list) = default.cast::<PyList>() {
        return Ok(PyList::new(default.py(), list.iter())?.into_any());
    }
    if let Ok(dict) = default.cast::<PyDict>() {
        return Ok(dict.copy()?.into_any());
    }
    Ok(default.clone())
}

/// Where a request's headers come from: an ASGI scope's list, or the native server's parser.
pub enum HeaderSource<'h, 'py> {
    Asgi(Option<&'h Bound<'py, PyAny>>),
    Raw(&'h [(Vec<u8>, Vec<u8>)]),
}

/// Parses the parts of a request the plan needs: query pairs and decoded headers.
pub fn request_parts<'a>(
    plan: &Plan,
    path_params: Vec<(&'a str, &'a str)>,
    query_string: &'a [u8],
    headers: HeaderSource<'_, '_>,
) -> PyResult<RequestParts<'a>> {
    let query = if plan.needs_query {
        query::parse_query(query_string)
    } else {
        Vec::new()
    };
    let mut decoded = Vec::new();
    // Latin-1, as Starlette decodes header values.
    let mut push = |name: &[u8], value: &[u8]| {
        decoded.push((
            name.to_ascii_lowercase(),
            value.iter().map(|&b| b as char).collect(),
        ));
    };
    if plan.needs_headers {
        match headers {
            HeaderSource::Asgi(Some(headers)) => visit_headers(headers, |name, value| {
                push(name, value);
                Ok(false)
            })?,
            HeaderSource::Asgi(None) => {}
            HeaderSource::Raw(pairs) => pairs.iter().for_each(|(n, v)| push(n, v)),
        }
    }
    Ok(RequestParts {
        path_params,
        query,
        headers: decoded,
        form: Vec::new(),
    })
}
