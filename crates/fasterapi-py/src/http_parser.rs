//! The native server's HTTP/1.1 framing, for Python: `HttpParser` turns a connection's bytes into
//! request events, and the module functions write response heads and chunks. The parsing itself
//! is fasterapi-core's `http` module; this layer only converts to and from Python objects.

use std::cell::RefCell;

use fasterapi_core::http::{
    parse_head, write_chunk, write_head, BodyFraming, ChunkedDecoder, DateCache, Framing,
    HttpError, Limits,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};

use crate::headers::visit_headers;
use crate::json::write_str;

enum State {
    /// Waiting for a request head.
    Head,
    /// `n` body bytes still to come.
    Length(u64),
    Chunked(ChunkedDecoder),
    /// The body is complete: the next event is "end".
    End,
    /// A protocol error was reported; the connection is over.
    Failed,
}

/// Parses one connection's requests, one at a time. `feed` bytes as they arrive, then call
/// `next_event` until it returns None:
/// `("head", method, path, raw_path, query, http_minor, headers, keep_alive, expect_continue)`,
/// then `("body", bytes)` pieces, then `("end",)`; or `("error", status, response_bytes)`,
/// after which the connection must be closed.
#[pyclass(module = "FasterAPI._core")]
pub struct HttpParser {
    buf: Vec<u8>,
    pos: usize,
    limits: Limits,
    state: State,
}

#[pymethods]
impl HttpParser {
    #[new]
    fn new(max_body: u64) -> Self {
        HttpParser {
            buf: Vec::new(),
            pos: 0,
            limits: Limits {
                max_body,
                ..Limits::default()
            },
            state: State::Head,
        }
    }

    fn feed(&mut self, data: &[u8]) {
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        } else if self.pos > 64 * 1024 && self.pos * 2 > self.buf.len() {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// Bytes received and not yet handed out as events.
    #[getter]
    fn buffered(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn next_event<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        let pending = &self.buf[self.pos..];
        match &mut self.state {
            State::Failed => Ok(None),
            State::End => {
                self.state = State::Head;
                Ok(Some(PyTuple::new(py, ["end"])?))
            }
            State::Head => {
                if pending.is_empty() {
                    return Ok(None);
                }
                match parse_head(pending, &self.limits) {
                    Ok(None) => Ok(None),
                    Err(err) => self.fail(py, &err).map(Some),
                    Ok(Some((head, used))) => {
                        self.pos += used;
                        self.state = match head.framing {
                            Framing::None | Framing::Length(0) => State::End,
                            Framing::Length(n) => State::Length(n),
                            Framing::Chunked => {
                                State::Chunked(ChunkedDecoder::new(self.limits.max_body))
                            }
                        };
                        let headers = PyList::empty(py);
                        for (name, value) in &head.headers {
                            headers.append((PyBytes::new(py, name), PyBytes::new(py, value)))?;
                        }
                        let event = (
                            "head",
                            head.method,
                            head.path,
                            PyBytes::new(py, &head.raw_path),
                            PyBytes::new(py, &head.query),
                            head.http_minor,
                            headers,
                            head.keep_alive,
                            head.expect_continue,
                        );
                        Ok(Some(event.into_pyobject(py)?))
                    }
                }
            }
            State::Length(left) => {
                if pending.is_empty() {
                    return Ok(None);
                }
                let take = pending
                    .len()
                    .min(usize::try_from(*left).unwrap_or(usize::MAX));
                let data = PyBytes::new(py, &pending[..take]);
                *left -= take as u64;
                if *left == 0 {
                    self.state = State::End;
                }
                self.pos += take;
                Ok(Some(("body", data).into_pyobject(py)?))
            }
            State::Chunked(decoder) => {
                if pending.is_empty() {
                    return Ok(None);
                }
                let mut data = Vec::new();
                let used = match decoder.decode(pending, &mut data) {
                    Ok(used) => used,
                    Err(err) => return self.fail(py, &err).map(Some),
                };
                let done = decoder.is_done();
                self.pos += used;
                if done {
                    self.state = State::End;
                }
                if data.is_empty() {
                    // Only framing was read: "end" if the body is over, else wait for more.
                    return if done { self.next_event(py) } else { Ok(None) };
                }
                Ok(Some(("body", PyBytes::new(py, &data)).into_pyobject(py)?))
            }
        }
    }
}

impl HttpParser {
    fn fail<'py>(&mut self, py: Python<'py>, err: &HttpError) -> PyResult<Bound<'py, PyTuple>> {
        self.state = State::Failed;
        let response = with_date(|date| fasterapi_core::http::error_response(err, date));
        ("error", err.status(), PyBytes::new(py, &response)).into_pyobject(py)
    }
}

thread_local! {
    static DATE: RefCell<DateCache> = RefCell::new(DateCache::new());
}

fn with_date<T>(f: impl FnOnce(&[u8]) -> T) -> T {
    DATE.with(|date| f(date.borrow_mut().get()))
}

/// The bytes of a response head. `framing`: a Content-Length (>= 0), -1 for chunked, or -2
/// for no body framing at all (1xx/204/304, or a body that ends when the connection closes).
#[pyfunction]
pub fn response_head<'py>(
    py: Python<'py>,
    http_minor: u8,
    status: u16,
    headers: &Bound<'py, PyAny>,
    keep_alive: bool,
    framing: i64,
) -> PyResult<Bound<'py, PyBytes>> {
    let mut owned: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    visit_headers(headers, |name, value| {
        owned.push((name.to_vec(), value.to_vec()));
        Ok(false)
    })?;
    let pairs: Vec<(&[u8], &[u8])> = owned
        .iter()
        .map(|(n, v)| (n.as_slice(), v.as_slice()))
        .collect();
    let framing = match framing {
        -1 => BodyFraming::Chunked,
        n if n < 0 => BodyFraming::None,
        n => BodyFraming::Length(n as u64),
    };
    let mut out = Vec::with_capacity(256);
    with_date(|date| {
        write_head(
            &mut out, http_minor, status, &pairs, date, keep_alive, framing,
        )
    })
    .map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(PyBytes::new(py, &out))
}

/// One chunk of a chunked response body.
#[pyfunction]
pub fn chunk<'py>(py: Python<'py>, data: &[u8]) -> Bound<'py, PyBytes> {
    let mut out = Vec::with_capacity(data.len() + 12);
    write_chunk(&mut out, data);
    PyBytes::new(py, &out)
}

/// A complete JSON error response `{"detail": detail}` that closes the connection.
#[pyfunction]
pub fn error_response<'py>(py: Python<'py>, status: u16, detail: &str) -> Bound<'py, PyBytes> {
    let mut body = b"{\"detail\":".to_vec();
    write_str(detail, &mut body);
    body.push(b'}');
    let headers: [(&[u8], &[u8]); 1] = [(b"content-type", b"application/json")];
    let mut out = Vec::with_capacity(256 + body.len());
    let framing = BodyFraming::Length(body.len() as u64);
    with_date(|date| write_head(&mut out, 1, status, &headers, date, false, framing))
        .expect("constant headers are valid");
    out.extend_from_slice(&body);
    PyBytes::new(py, &out)
}
