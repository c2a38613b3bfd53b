//! WebSocket for the native server, for Python: the handshake's answers (`websocket_check`,
//! `WebSocketSession.accept`, `websocket_reject`) and `WebSocketSession`, one connection's
//! framing and permessage-deflate, with the events it hands out (`WebSocketMessage`,
//! `WebSocketClose`).
//! The protocol itself is fasterapi-core's `ws` module; this layer only converts to and from
//! Python objects.

use fasterapi_core::ws::{self, Event, Session};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString};

use crate::http::parser::{header_slices, owned_headers, with_defaults};

/// The server side of one WebSocket connection, after the 101 response. `feed` it the socket's
/// bytes and get back the events they complete: `WebSocketMessage`s, and a `WebSocketClose`
/// last. After a `WebSocketClose` `closed` is true: write the output, then close the socket.
/// Each send returns the bytes to write now, pongs and close replies included; once a close
/// frame was sent or received, sends send nothing (check `closed`).
#[pyclass(module = "FasterAPI._core")]
pub struct WebSocketSession {
    session: Session,
    max_message_size: usize,
    per_message_deflate: bool,
}

#[pymethods]
impl WebSocketSession {
    #[new]
    #[pyo3(signature = (max_message_size = 16 * 1024 * 1024, per_message_deflate = false))]
    fn new(max_message_size: usize, per_message_deflate: bool) -> Self {
        WebSocketSession {
            session: Session::new(max_message_size),
            max_message_size,
            per_message_deflate,
        }
    }

    /// The `101 Switching Protocols` response accepting the handshake in `headers`, with
    /// `Sec-WebSocket-Protocol: subprotocol` if given, `Sec-WebSocket-Extensions` if
    /// permessage-deflate was offered and is on, then `extra_headers`; from then on the session
    /// compresses if it was agreed. ValueError if the handshake is invalid (see
    /// `websocket_check`) or a header holds CR, LF or NUL.
    #[pyo3(signature = (headers, subprotocol = None, extra_headers = None))]
    fn accept<'py>(
        &mut self,
        py: Python<'py>,
        headers: &Bound<'py, PyAny>,
        subprotocol: Option<&str>,
        extra_headers: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let request = owned_headers(headers, |_| true)?;
        let request = header_slices(&request);
        let key =
            ws::check_handshake(&request).map_err(|e| PyValueError::new_err(e.to_string()))?;
        let deflate = self
            .per_message_deflate
            .then(|| ws::deflate::negotiate(&request))
            .flatten();
        let extension = deflate.map(|params| params.header_value());
        let mut extra = match extra_headers {
            Some(extra) => owned_headers(extra, |_| true)?,
            None => Vec::new(),
        };
        if let Some(value) = extension {
            extra.insert(
                0,
                (b"sec-websocket-extensions".to_vec(), value.into_bytes()),
            );
        }
        let headers = header_slices(&extra);
        let response =
            with_defaults(|defaults| ws::handshake_response(&key, subprotocol, &headers, defaults))
                .map_err(|e| PyValueError::new_err(e.to_string()))?;
        self.session = Session::with_deflate(self.max_message_size, deflate);
        Ok(PyBytes::new(py, &response))
    }

    /// Whether permessage-deflate is in use (agreed in `accept`).
    #[getter]
    fn compressed(&self) -> bool {
        self.session.deflate().is_some()
    }

    /// Adds bytes read from the socket; returns every event they complete (possibly none).
    fn feed<'py>(&mut self, py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyList>> {
        self.session.feed(data);
        let events = PyList::empty(py);
        while let Some(event) = self.session.next_event() {
            let event = match event {
                Event::Text(text) => message(py, PyString::new(py, &text).into_any())?,
                Event::Binary(data) => message(py, PyBytes::new(py, &data).into_any())?,
                Event::Close { code, reason } => close(py, code, reason, false)?,
                Event::Error { code, reason } => close(py, code, reason, true)?,
            };
            events.append(event)?;
        }
        Ok(events)
    }

    /// A text message: the bytes to write (empty once closing).
    fn send_text<'py>(&mut self, py: Python<'py>, text: &str) -> Bound<'py, PyBytes> {
        // Refused (Closed) once a close frame was sent or received: nothing to send then.
        let _ = self.session.send_text(text);
        self.take_output(py)
    }

    /// A binary message: the bytes to write (empty once closing).
    fn send_bytes<'py>(&mut self, py: Python<'py>, data: &[u8]) -> Bound<'py, PyBytes> {
        let _ = self.session.send_binary(data);
        self.take_output(py)
    }

    /// A ping for keep-alive: the bytes to write (empty once closing).
    fn ping<'py>(&mut self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let _ = self.session.ping();
        self.take_output(py)
    }

    /// Starts the close handshake: the close frame's bytes (nothing if a close frame was already
    /// sent or received). ValueError for a code other than 1000-1003, 1007-1014, 3000-4999, or a
    /// reason over 123 bytes in UTF-8.
    #[pyo3(signature = (code = 1000, reason = ""))]
    fn close<'py>(
        &mut self,
        py: Python<'py>,
        code: i64,
        reason: &str,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let code = u16::try_from(code)
            .map_err(|_| PyValueError::new_err(format!("invalid WebSocket close code {code}")))?;
        self.session
            .close(code, reason)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(self.take_output(py))
    }

    /// The bytes to write now (possibly empty), e.g. a pong after `feed`.
    fn take_output<'py>(&mut self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.session.take_output())
    }

    /// The close handshake is done or the connection failed: write the output, then close.
    #[getter]
    fn closed(&self) -> bool {
        self.session.is_closed()
    }
}

/// A message from the client: `data` is a str for a text message, bytes for a binary one.
#[pyclass(module = "FasterAPI._core", frozen, get_all)]
pub struct WebSocketMessage {
    data: Py<PyAny>,
}

fn message<'py>(py: Python<'py>, data: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let data = data.unbind();
    Ok(Bound::new(py, WebSocketMessage { data })?.into_any())
}

/// The end of the connection for the app: the client's close frame (`code` 1005 if it had
/// none; the reply is in `take_output()`) or, when `error`, a protocol violation (`code` and
/// `reason` are those of the close frame in `take_output()`).
#[pyclass(module = "FasterAPI._core", frozen, get_all)]
pub struct WebSocketClose {
    code: u16,
    reason: String,
    error: bool,
}

fn close(py: Python<'_>, code: u16, reason: String, error: bool) -> PyResult<Bound<'_, PyAny>> {
    let event = WebSocketClose {
        code,
        reason,
        error,
    };
    Ok(Bound::new(py, event)?.into_any())
}

/// None if `headers` (the request's `(name, value)` pairs) are a valid version-13 handshake with a
/// good `Sec-WebSocket-Key`; else the whole response to write before closing: 426 (with
/// `Sec-WebSocket-Version: 13`) for another version, 400 for a missing or bad key.
#[pyfunction]
pub fn websocket_check<'py>(
    py: Python<'py>,
    headers: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, PyBytes>>> {
    let owned = owned_headers(headers, |_| true)?;
    Ok(match ws::check_handshake(&header_slices(&owned)) {
        Ok(_) => None,
        Err(err) => Some(PyBytes::new(
            py,
            &with_defaults(|defaults| err.response(defaults)),
        )),
    })
}

/// The whole response refusing a handshake (the app closed before accepting), then the
/// connection closes: `status` (400-599; 403 by default) with `{"detail": <its reason phrase>}`.
#[pyfunction]
#[pyo3(signature = (status = 403))]
pub fn websocket_reject(py: Python<'_>, status: i64) -> PyResult<Bound<'_, PyBytes>> {
    let status = match u16::try_from(status) {
        Ok(status @ 400..=599) => status,
        _ => {
            return Err(PyValueError::new_err(format!(
                "a WebSocket rejection status is 400-599, not {status}"
            )))
        }
    };
    let detail = ws::rejection_detail(status);
    let response = with_defaults(|defaults| ws::rejection_response(status, detail, &[], defaults))
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(PyBytes::new(py, &response))
}

/// Adds `WebSocketSession` and its events, `websocket_check` and `websocket_reject` to
/// `FasterAPI._core`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<WebSocketSession>()?;
    m.add_class::<WebSocketMessage>()?;
    m.add_class::<WebSocketClose>()?;
    m.add_function(wrap_pyfunction!(websocket_check, m)?)?;
    m.add_function(wrap_pyfunction!(websocket_reject, m)?)?;
    Ok(())
}
