//! The native server's HTTP/1.1 framing, for Python: `HttpParser` turns a connection's bytes into
//! request events ([`super::events`]), and the module functions write response heads and chunks.
//! The parsing itself is fasterapi-core's `http` module; this layer only converts to and from
//! Python objects.

use std::cell::RefCell;

use fasterapi_core::cors::Preflight;
use fasterapi_core::http::{
    parse_head, status_has_no_body, write_chunk, write_head, BodyFraming, ChunkedDecoder, Defaults,
    Framing, HttpError, Limits, RequestHead, ServerHeaders,
};
use fasterapi_core::route::Lookup;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use super::events::{
    body_framing, body_media, py_bool, BodyEvent, EndEvent, ErrorEvent, HeadEvent, RouteEvent,
    UpgradeEvent,
};
use super::short::{self, Routed, ShortPath};
use crate::cors::CorsAnswer;
use crate::headers::visit_headers;
use crate::json::{write_str, write_value};
use crate::route::dispatch::{run_plan, Dispatcher};
use crate::route::plan::HeaderSource;

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
    /// A WebSocket handshake was reported: the bytes after it are WebSocket frames, for
    /// `take_buffered`, not requests.
    Upgraded,
}

/// Parses one connection's requests, one at a time. `feed` bytes as they arrive, then call
/// `next_event` until it returns None: a `HeadEvent`, or, for a route of `dispatcher` marked
/// native, a `RouteEvent` with the parameters already extracted; then, unless the route event is
/// `complete` (no body), `BodyEvent` pieces, then an `EndEvent`; or an `ErrorEvent`, after which
/// the connection must be closed.
/// A GET asking for a WebSocket upgrade (`Connection: upgrade`, `Upgrade: websocket`; with or
/// without a dispatcher) is instead an `UpgradeEvent`; the parser is then done (`next_event`
/// returns None, `buffered` is 0) and `take_buffered()` returns the bytes the client sent after
/// its handshake, the start of its WebSocket frames.
#[pyclass(module = "FasterAPI._core")]
pub struct HttpParser {
    buf: Vec<u8>,
    pos: usize,
    limits: Limits,
    state: State,
    dispatcher: Option<Py<Dispatcher>>,
    /// The largest body accepted (413 past it), but for a multipart upload to a form route,
    /// which is parsed as it arrives and spooled to disk (see `streams_to_disk`).
    max_body: u64,
    /// CR and LF bytes skipped before the next request head (see `skip_empty_lines`).
    skipped: usize,
}

/// How many CR/LF bytes may precede a request (RFC 9112 §2.2 asks to skip at least one empty
/// line): a few empty lines between requests are dropped, more are a 400.
const MAX_EMPTY_LINE_BYTES: usize = 8;
/// The largest body read whole for a route that may read it as it arrives
/// (`Entry::streams_body`: a form, a Request); a larger or chunked one is streamed to it.
const SMALL_BODY: u64 = 256 * 1024;

/// A request head the native server routed itself; the ASGI view of it is built only on demand.
#[pyclass(module = "FasterAPI._core", frozen)]
pub struct NativeRequest {
    head: RequestHead,
}

impl NativeRequest {
    pub(crate) fn new(head: RequestHead) -> Self {
        NativeRequest { head }
    }
}

#[pymethods]
impl NativeRequest {
    #[getter]
    fn http_minor(&self) -> u8 {
        self.head.http_minor
    }

    #[getter]
    fn keep_alive(&self) -> bool {
        self.head.keep_alive
    }

    #[getter]
    fn expect_continue(&self) -> bool {
        self.head.expect_continue
    }

    #[getter]
    fn method(&self) -> &str {
        &self.head.method
    }

    /// The declared Content-Length; None for a chunked body (or none).
    #[getter]
    fn content_length(&self) -> Option<u64> {
        match self.head.framing {
            Framing::Length(n) => Some(n),
            _ => None,
        }
    }

    /// The request's `HeadEvent`, to build an ASGI scope from.
    fn head_event(&self, py: Python<'_>) -> PyResult<HeadEvent> {
        HeadEvent::new(py, &self.head)
    }
}

#[pymethods]
impl HttpParser {
    #[new]
    #[pyo3(signature = (max_body, dispatcher=None))]
    fn new(max_body: u64, dispatcher: Option<Py<Dispatcher>>) -> Self {
        HttpParser {
            dispatcher,
            buf: Vec::new(),
            pos: 0,
            max_body,
            // the body limit is applied once the head is routed (`body_limit`)
            limits: Limits {
                max_body: u64::MAX,
                ..Limits::default()
            },
            state: State::Head,
            skipped: 0,
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

    /// Bytes received and not yet handed out as events (empty lines between requests aside);
    /// 0 after a "websocket" event.
    #[getter]
    fn buffered(&mut self) -> usize {
        if matches!(self.state, State::Upgraded) {
            return 0;
        }
        self.skip_empty_lines();
        self.buf.len() - self.pos
    }

    /// Every byte fed and not yet handed out as events, removed from the parser: after a
    /// "websocket" event, the frames the client sent right behind its handshake.
    fn take_buffered<'py>(&mut self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let rest = PyBytes::new(py, &self.buf[self.pos..]);
        self.buf.clear();
        self.pos = 0;
        rest
    }

    /// Answers the next request by the short path ([`super::short`]) when it can: a request
    /// to a native route whose whole body is in, with neither `Expect: 100-continue` nor a
    /// chunked body. What became of it: `short::NOT_SERVED` (none complete, or one for
    /// `next_event`, which parses it again), `ANSWERED`, `ANSWERED_CLOSE` or `IN_PYTHON`.
    fn serve(slf: &Bound<'_, Self>, short: &Bound<'_, ShortPath>) -> PyResult<u8> {
        let py = slf.py();
        // (the parser is not borrowed while the route runs: its code may ask it how much
        // is buffered)
        let taken = slf.borrow_mut().take_short(py)?;
        match taken {
            None => Ok(short::NOT_SERVED),
            Some(Taken::Route(routed, raw)) => short::serve(py, short, routed, raw),
            Some(Taken::Preflight(answer, head)) => short::preflight(py, short, &answer, head),
        }
    }

    fn next_event<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.skip_empty_lines();
        let pending = &self.buf[self.pos..];
        match &mut self.state {
            State::Failed | State::Upgraded => Ok(None),
            State::End => {
                self.state = State::Head;
                Ok(Some(EndEvent::get(py)?))
            }
            State::Head => {
                if pending.is_empty() {
                    return Ok(None);
                }
                if self.skipped >= MAX_EMPTY_LINE_BYTES && matches!(pending[0], b'\r' | b'\n') {
                    let err = HttpError::BadRequest("Too many empty lines before the request");
                    return self.fail(py, &err).map(Some);
                }
                match parse_head(pending, &self.limits) {
                    Ok(None) => Ok(None),
                    Err(err) => self.fail(py, &err).map(Some),
                    Ok(Some((head, used))) => {
                        self.pos += used;
                        self.skipped = 0;
                        if head.websocket {
                            self.state = State::Upgraded;
                            let event = UpgradeEvent::new(py, &head)?;
                            return Ok(Some(Bound::new(py, event)?.into_any()));
                        }
                        self.follow_dispatcher(py);
                        let limit = self.body_limit(py, &head);
                        self.state = match head.framing {
                            Framing::None | Framing::Length(0) => State::End,
                            Framing::Length(n) if n > limit => {
                                return self.fail(py, &HttpError::BodyTooLarge).map(Some);
                            }
                            Framing::Length(n) => State::Length(n),
                            Framing::Chunked => State::Chunked(ChunkedDecoder::new(limit)),
                        };
                        let head = match &self.dispatcher {
                            Some(dispatcher) => {
                                // A request without a body is complete at once: no "end" event.
                                let complete = matches!(self.state, State::End);
                                match route_event(py, dispatcher, head, complete)? {
                                    Ok(event) => {
                                        if complete {
                                            self.state = State::Head;
                                        }
                                        return Ok(Some(event));
                                    }
                                    Err(head) => head,
                                }
                            }
                            None => head,
                        };
                        let event = HeadEvent::new(py, &head)?;
                        Ok(Some(Bound::new(py, event)?.into_any()))
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
                let data = PyBytes::new(py, &pending[..take]).unbind();
                *left -= take as u64;
                if *left == 0 {
                    self.state = State::End;
                }
                self.pos += take;
                Ok(Some(Bound::new(py, BodyEvent { data })?.into_any()))
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
                let data = PyBytes::new(py, &data).unbind();
                Ok(Some(Bound::new(py, BodyEvent { data })?.into_any()))
            }
        }
    }
}

impl HttpParser {
    /// The next request, taken out of the buffer, if the short path can serve it.
    fn take_short<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Taken<'py>>> {
        if !matches!(self.state, State::Head) {
            return Ok(None);
        }
        self.skip_empty_lines();
        let pending = &self.buf[self.pos..];
        if pending.is_empty() || matches!(pending[0], b'\r' | b'\n') {
            return Ok(None);
        }
        let Ok(Some((head, used))) = parse_head(pending, &self.limits) else {
            return Ok(None);
        };
        let length = match head.framing {
            Framing::None => 0,
            Framing::Length(n) if n <= self.max_body => n as usize,
            _ => return Ok(None),
        };
        if head.websocket || head.expect_continue || pending.len() - used < length {
            return Ok(None);
        }
        self.follow_dispatcher(py);
        let Some(dispatcher) = &self.dispatcher else {
            return Ok(None);
        };
        if let Some(answer) = preflight(py, dispatcher, &head)? {
            self.pos += used + length; // (a preflight's body, if any, is dropped)
            self.skipped = 0;
            return Ok(Some(Taken::Preflight(answer, head)));
        }
        let routed = match route_request(py, dispatcher, head)? {
            Ok(routed) if routed.call.max_body.is_none_or(|max| length as u64 <= max) => routed,
            _ => return Ok(None),
        };
        if routed.streamed {
            return Ok(None); // (its body is not read whole)
        }
        let start = self.pos + used;
        let call = &routed.call;
        let raw = if call.body.is_some() || call.steps.is_some() || call.request {
            PyBytes::new(py, &self.buf[start..start + length])
        } else {
            PyBytes::new(py, b"")
        };
        self.pos = start + length;
        self.skipped = 0;
        Ok(Some(Taken::Route(routed, raw)))
    }

    /// Drops the CRLFs a client may send between requests (RFC 9112 §2.2), so they neither
    /// count as a request begun nor keep an idle connection from its keep-alive timeout.
    /// At most MAX_EMPTY_LINE_BYTES in all before one request: past that they stay in the
    /// buffer, and `next_event` refuses them.
    fn skip_empty_lines(&mut self) {
        if matches!(self.state, State::Head) {
            let pending = &self.buf[self.pos..];
            let empty = pending
                .iter()
                .take(MAX_EMPTY_LINE_BYTES - self.skipped)
                .take_while(|&&b| b == b'\r' || b == b'\n')
                .count();
            self.pos += empty;
            self.skipped += empty;
        }
    }

    /// Moves on to the dispatcher the app compiled last (its routes or dependency overrides
    /// changed since the server started).
    fn follow_dispatcher(&mut self, py: Python<'_>) {
        while let Some(next) = self.dispatcher.as_ref().and_then(|d| {
            d.bind(py)
                .borrow()
                .successor
                .as_ref()
                .map(|s| s.clone_ref(py))
        }) {
            self.dispatcher = Some(next);
        }
    }

    /// The body limit of the request `head`: the server's, but none for a multipart body sent
    /// to a form route of the app, which is parsed as it arrives and its files written to disk
    /// (FasterAPI._http.forms.stream_form): memory does not grow with it. The app's `max_body_size`
    /// still applies to it.
    fn body_limit(&self, py: Python<'_>, head: &RequestHead) -> u64 {
        let Some(dispatcher) = &self.dispatcher else {
            return self.max_body;
        };
        let multipart = head.headers.iter().any(|(name, value)| {
            name == b"content-type"
                && value.len() >= 19
                && value[..19].eq_ignore_ascii_case(b"multipart/form-data")
        });
        if !multipart {
            return self.max_body;
        }
        let dispatcher = dispatcher.bind(py).borrow();
        match dispatcher.router.lookup(&head.method, &head.path) {
            Lookup::Found { value: entry, .. }
                if entry.call.body.as_ref().is_some_and(|body| body.form) =>
            {
                u64::MAX
            }
            _ => self.max_body,
        }
    }

    fn fail<'py>(&mut self, py: Python<'py>, err: &HttpError) -> PyResult<Bound<'py, PyAny>> {
        self.state = State::Failed;
        let response =
            with_defaults(|defaults| fasterapi_core::http::error_response(err, defaults));
        let event = ErrorEvent {
            status: err.status(),
            response: PyBytes::new(py, &response).unbind(),
        };
        Ok(Bound::new(py, event)?.into_any())
    }
}

/// The `RouteEvent` for a head whose route the native server may call directly; the head
/// back when the route is not native (or there is none).
fn route_event<'py>(
    py: Python<'py>,
    dispatcher: &Py<Dispatcher>,
    head: RequestHead,
    complete: bool,
) -> PyResult<Result<Bound<'py, PyAny>, RequestHead>> {
    let routed = match route_request(py, dispatcher, head)? {
        Ok(found) => found,
        Err(head) => return Ok(Err(head)),
    };
    let event = RouteEvent {
        route: routed.call.route.clone_ref(py),
        call: routed.call,
        cors: routed.cors,
        gzip: routed.gzip,
        security: routed.security,
        kwargs: routed.kwargs,
        errors: routed.errors,
        media: routed.media,
        request: Py::new(py, NativeRequest { head: routed.head })?,
        complete: py_bool(py, complete),
        streamed: routed.streamed,
    };
    Ok(Ok(Bound::new(py, event)?.into_any()))
}

/// A request the short path serves, taken out of the parser's buffer.
enum Taken<'py> {
    /// For a native route: its body as read.
    Route(Routed, Bound<'py, PyBytes>),
    /// A CORS preflight, answered by the app's CORSMiddleware that the server runs.
    Preflight(Preflight, RequestHead),
}

/// The answer to a CORS preflight from the app's CORSMiddleware, when the server runs it
/// without GZip/CompressMiddleware nor SecurityHeadersMiddleware (and the request's Host
/// passes TrustedHostMiddleware, if any): None for any other request.
fn preflight(
    py: Python<'_>,
    dispatcher: &Py<Dispatcher>,
    head: &RequestHead,
) -> PyResult<Option<Preflight>> {
    if head.method != "OPTIONS" {
        return Ok(None);
    }
    let dispatcher = dispatcher.bind(py).borrow();
    let Some(stack) = dispatcher.server_stack.as_ref().map(|stack| stack.get()) else {
        return Ok(None);
    };
    let Some(cors) = &stack.cors else {
        return Ok(None);
    };
    if stack.has_gzip() || stack.security.is_some() || !stack.host_allowed(&head.headers) {
        // GZipMiddleware may compress the answer, SecurityHeadersMiddleware add to it,
        // TrustedHostMiddleware answer instead: the Python stack words it
        return Ok(None);
    }
    let answer = cors.get().answer(py, &head.method, |see| {
        for (name, value) in &head.headers {
            see(name, value);
        }
        Ok(())
    })?;
    Ok(match answer {
        CorsAnswer::Preflight(answer) => Some(answer),
        CorsAnswer::Headers(_) => None,
    })
}

/// A head whose route the native server may call directly, routed and its parameters
/// extracted, with the GZipMiddleware its responses go through; the head back when the route
/// is not native (or there is none).
fn route_request(
    py: Python<'_>,
    dispatcher: &Py<Dispatcher>,
    head: RequestHead,
) -> PyResult<Result<Routed, RequestHead>> {
    let dispatcher = dispatcher.bind(py).borrow();
    if !dispatcher.overrides_current(py)? {
        return Ok(Err(head)); // the ASGI path compiles the routes again
    }
    let lookup = dispatcher.router.lookup(&head.method, &head.path);
    let Lookup::Found {
        value: entry,
        params,
    } = lookup
    else {
        return Ok(Err(head));
    };
    if !entry.native {
        return Ok(Err(head));
    }
    let stack = dispatcher.server_stack.as_ref().map(|stack| stack.get());
    if stack.is_some_and(|stack| !stack.host_allowed(&head.headers)) {
        return Ok(Err(head)); // TrustedHostMiddleware answers it
    }
    let gzip = stack.and_then(|stack| stack.gzip(py, &head.headers));
    let cors = match stack.and_then(|stack| stack.cors.as_ref()) {
        Some(cors) => {
            let answer = cors.get().answer(py, &head.method, |see| {
                for (name, value) in &head.headers {
                    see(name, value);
                }
                Ok(())
            })?;
            match answer {
                // a preflight is answered by the ASGI door
                CorsAnswer::Preflight(_) => return Ok(Err(head)),
                CorsAnswer::Headers(headers) => Some(Py::new(py, headers)?),
            }
        }
        None => None,
    };
    let kwargs = PyDict::new(py);
    let headers = HeaderSource::Raw(&head.headers);
    let errors = run_plan(py, entry, &params, &head.query, headers, &kwargs)?;
    let content_type = head
        .headers
        .iter()
        .find(|(name, _)| name == b"content-type")
        .map(|(_, value)| value.as_slice());
    let is_json = entry.call.body.is_some()
        && match content_type {
            Some(value) => fasterapi_core::http::media::is_json(value),
            None => !entry.strict_content_type,
        };
    let routed = Routed {
        streamed: entry.streams_body
            && match head.framing {
                Framing::None => false,
                Framing::Length(n) => n > SMALL_BODY,
                Framing::Chunked => true,
            },
        media: body_media(py, &entry.call, content_type, is_json),
        call: entry.call.clone(),
        kwargs: kwargs.unbind(),
        errors: errors.unbind(),
        cors,
        gzip,
        security: stack.and_then(|stack| stack.security.as_ref().map(|s| s.clone_ref(py))),
        head,
    };
    Ok(Ok(routed))
}

thread_local! {
    /// The headers the server serving on this thread adds to its responses: one thread serves
    /// one server (a process, or a sub-interpreter's thread), which sets them as it starts.
    static DEFAULTS: RefCell<ServerHeaders> = RefCell::new(ServerHeaders::default());
}

/// `f` with the headers this thread's server adds to a response now (date, server, `--header`).
pub(crate) fn with_defaults<T>(f: impl FnOnce(Defaults<'_>) -> T) -> T {
    DEFAULTS.with(|defaults| f(defaults.borrow_mut().get()))
}

/// Sets the headers the native server serving on this thread adds to every response the app
/// did not set them on: `date` (`--date-header`), `server: fasterapi` (`--server-header`) and
/// `headers` (`--header NAME:VALUE`; a `server` among them names the server instead).
#[pyfunction]
#[pyo3(signature = (*, date, server, headers))]
pub fn set_server_headers(
    date: bool,
    server: bool,
    headers: Vec<(Vec<u8>, Vec<u8>)>,
) -> PyResult<()> {
    let own = ServerHeaders::new(date, server, headers)
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    DEFAULTS.with(|defaults| *defaults.borrow_mut() = own);
    Ok(())
}

/// The bytes of a response head. `framing`: a Content-Length, `Framing.CHUNKED`, or
/// `Framing.NONE` for no body framing at all (1xx/204/304, or a body that ends when the
/// connection closes).
#[pyfunction]
pub fn response_head<'py>(
    py: Python<'py>,
    http_minor: u8,
    status: u16,
    headers: &Bound<'py, PyAny>,
    keep_alive: bool,
    framing: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyBytes>> {
    let owned = owned_headers(headers, |_| true)?;
    let pairs = header_slices(&owned);
    let framing = body_framing(framing)?;
    let mut out = Vec::with_capacity(256);
    with_defaults(|defaults| {
        write_head(
            &mut out, http_minor, status, &pairs, defaults, keep_alive, framing,
        )
    })
    .map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(PyBytes::new(py, &out))
}

/// The app's header pairs that `keep` accepts (by name), copied out of Python.
pub(crate) fn owned_headers(
    headers: &Bound<'_, PyAny>,
    keep: impl Fn(&[u8]) -> bool,
) -> PyResult<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut owned = Vec::new();
    visit_headers(headers, |name, value| {
        if keep(name) {
            owned.push((name.to_vec(), value.to_vec()));
        }
        Ok(false)
    })?;
    Ok(owned)
}

pub(crate) fn header_slices(owned: &[(Vec<u8>, Vec<u8>)]) -> Vec<(&[u8], &[u8])> {
    owned
        .iter()
        .map(|(n, v)| (n.as_slice(), v.as_slice()))
        .collect()
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
    whole(py, 1, status, &headers, &body, false, false)
}

/// A whole response (head and body) for a handler's JSON-encodable result: the native server's
/// answer for a normal route, in one call. `head_only` (a HEAD request) leaves the body out.
/// `headers`, if given, are its headers instead of the Content-Type alone (the Content-Length
/// is added).
#[pyfunction]
#[pyo3(signature = (content, status, http_minor, keep_alive, head_only, headers=None))]
pub fn json_response<'py>(
    content: &Bound<'py, PyAny>,
    status: u16,
    http_minor: u8,
    keep_alive: bool,
    head_only: bool,
    headers: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let mut body = Vec::with_capacity(128);
    write_value(content, &mut body, 0)?;
    let py = content.py();
    let Some(headers) = headers else {
        let headers: [(&[u8], &[u8]); 1] = [(b"content-type", b"application/json")];
        return Ok(whole(
            py, http_minor, status, &headers, &body, keep_alive, head_only,
        ));
    };
    let owned = owned_headers(headers, |_| true)?;
    let pairs = header_slices(&owned);
    Ok(whole(
        py, http_minor, status, &pairs, &body, keep_alive, head_only,
    ))
}

/// A whole response from a Response object's status, raw header pairs and body.
#[pyfunction]
pub fn whole_response<'py>(
    py: Python<'py>,
    status: u16,
    headers: &Bound<'py, PyAny>,
    body: &[u8],
    http_minor: u8,
    keep_alive: bool,
    head_only: bool,
) -> PyResult<Bound<'py, PyBytes>> {
    // The body's real length is written, whatever Content-Length the app set; but an
    // answer to HEAD without a body keeps the length it declares (the GET's), as the ASGI
    // path does.
    let mut owned = owned_headers(headers, |_| true)?;
    let declared = head_only
        && body.is_empty()
        && owned.iter().any(|(name, value)| {
            name.eq_ignore_ascii_case(b"content-length")
                && std::str::from_utf8(value).is_ok_and(|v| v.trim().parse::<u64>().is_ok())
        });
    if !declared {
        owned.retain(|(name, _)| !name.eq_ignore_ascii_case(b"content-length"));
    }
    let pairs = header_slices(&owned);
    let mut out = Vec::with_capacity(256 + body.len());
    let framing = !status_has_no_body(status) && !declared;
    encode_whole(
        &mut out, status, &pairs, body, framing, http_minor, keep_alive, head_only,
    )?;
    Ok(PyBytes::new(py, &out))
}

/// Writes a whole response to `out`: the head (with a Content-Length when `framing`, else
/// none: 1xx, 204, 304) and the body, left out for a HEAD request (`head_only`). A header
/// that cannot be written (a CR or LF in it) is a ValueError.
#[allow(clippy::too_many_arguments)]
pub(crate) fn encode_whole(
    out: &mut Vec<u8>,
    status: u16,
    headers: &[(&[u8], &[u8])],
    body: &[u8],
    framing: bool,
    http_minor: u8,
    keep_alive: bool,
    head_only: bool,
) -> PyResult<()> {
    let framing = if framing {
        BodyFraming::Length(body.len() as u64)
    } else {
        BodyFraming::None
    };
    with_defaults(|defaults| {
        write_head(
            out, http_minor, status, headers, defaults, keep_alive, framing,
        )
    })
    .map_err(|e| PyValueError::new_err(e.to_string()))?;
    if !head_only && framing != BodyFraming::None {
        out.extend_from_slice(body);
    }
    Ok(())
}

fn whole<'py>(
    py: Python<'py>,
    http_minor: u8,
    status: u16,
    headers: &[(&[u8], &[u8])],
    body: &[u8],
    keep_alive: bool,
    head_only: bool,
) -> Bound<'py, PyBytes> {
    let mut out = Vec::with_capacity(160 + body.len());
    let framing = BodyFraming::Length(body.len() as u64);
    with_defaults(|defaults| {
        write_head(
            &mut out, http_minor, status, headers, defaults, keep_alive, framing,
        )
    })
    .expect("constant headers are valid");
    if !head_only {
        out.extend_from_slice(body);
    }
    PyBytes::new(py, &out)
}
