//! Builds validation errors in FastAPI's shape:
//! `{"type", "loc", "msg", "input", "ctx"?}`, with `loc` a tuple such as `("query", "n")`.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

/// The location of a value: its source (`"query"`), its name and, in a list, its index.
pub struct Loc<'a> {
    pub source: &'a str,
    pub name: &'a Py<PyAny>,
    pub index: Option<usize>,
}

impl Loc<'_> {
    fn to_tuple<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let source = pyo3::types::PyString::new(py, self.source).into_any();
        let name = self.name.bind(py).clone();
        match self.index {
            Some(i) => PyTuple::new(py, [source, name, i.into_pyobject(py)?.into_any()]),
            None => PyTuple::new(py, [source, name]),
        }
    }
}

/// One error dict; `ctx` is added only when given.
pub fn error<'py>(
    py: Python<'py>,
    kind: &str,
    loc: &Loc<'_>,
    msg: &str,
    input: Bound<'py, PyAny>,
    ctx: Option<Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyDict>> {
    let err = PyDict::new(py);
    err.set_item(pyo3::intern!(py, "type"), kind)?;
    err.set_item(pyo3::intern!(py, "loc"), loc.to_tuple(py)?)?;
    err.set_item(pyo3::intern!(py, "msg"), msg)?;
    err.set_item(pyo3::intern!(py, "input"), input)?;
    if let Some(ctx) = ctx {
        err.set_item(pyo3::intern!(py, "ctx"), ctx)?;
    }
    Ok(err)
}

/// FastAPI's error for a required value that is absent.
pub fn missing<'py>(py: Python<'py>, loc: &Loc<'_>) -> PyResult<Bound<'py, PyDict>> {
    error(
        py,
        "missing",
        loc,
        "Field required",
        py.None().into_bound(py),
        None,
    )
}
