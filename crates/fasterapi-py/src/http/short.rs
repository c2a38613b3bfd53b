//! The native server's short path: a request to a native route whose whole body has arrived is
//! answered inside the parser's call (`HttpParser.serve`), with no Python object made for it
//! but those of the route's own run; a request that needs more goes on in Python.
//!
//! The route's run (`crate::run::runner`) gets a [`ShortDoor`]: it encodes the response in Rust
//! and writes it to the transport. Whatever the short door cannot do (a Request, a response
//! that sends itself, an exception for the app's handlers, a handler that suspends) promotes
//! the request to the connection's `NativeCycle` (FasterAPI.server.native), made then, from
//! where the run is: the run goes on with it as its door, and a run that suspends is adopted
//! by the connection's host task.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use fasterapi_core::compress::policy::Headers;
use fasterapi_core::cors::Preflight;
use fasterapi_core::http::{status_has_no_body, RequestHead};
use pyo3::exceptions::PyRuntimeError;
#[cfg(not(feature = "abi3"))]
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyString};
use pyo3::{PyTraverseError, PyVisit};

use super::events::{py_bool, RouteEvent};
use super::parser::{encode_whole, header_slices, NativeRequest};
use crate::compress::GzipAnswer;
use crate::cors::CorsSend;
use crate::headers::visit_headers;
use crate::json::write_value;
use crate::middleware::secure::SecurityHeaders;
use crate::route::call::RouteCall;
use crate::run::runner::{Door, RouteRun, Runner};

/// What `HttpParser.serve` did with the next request.
pub const NOT_SERVED: u8 = 0;
/// Answered; the connection goes on.
pub const ANSWERED: u8 = 1;
/// Answered with a response that ends the connection.
pub const ANSWERED_CLOSE: u8 = 2;
/// Handed to Python, which finished it or goes on with it (the connection's `cycle`).
pub const IN_PYTHON: u8 = 3;

/// One connection's short path, made by its protocol (FasterAPI.server.protocol.HttpProtocol)
/// once connected.
#[pyclass(module = "FasterAPI._core", frozen)]
pub struct ShortPath {
    /// The protocol: `host_task()`, `promote(...)` and `short_answered(...)` are asked of it.
    conn: Py<PyAny>,
    /// The transport's `write`.
    write: Py<PyAny>,
    /// The event loop, to enter the host task in.
    event_loop: Py<PyAny>,
    /// The context each request's own context is copied from.
    context: Py<PyAny>,
    /// Whether the protocol hears of each response written (`short_answered`): for the access
    /// log, and to count requests towards --limit-max-requests.
    report: bool,
    /// How the last response the short door wrote went: ANSWERED or ANSWERED_CLOSE (or
    /// NOT_SERVED: none was written).
    answered: AtomicU8,
}

#[pymethods]
impl ShortPath {
    #[new]
    fn new(
        conn: Py<PyAny>,
        write: Py<PyAny>,
        event_loop: Py<PyAny>,
        context: Py<PyAny>,
        report: bool,
    ) -> Self {
        ShortPath {
            conn,
            write,
            event_loop,
            context,
            report,
            answered: AtomicU8::new(NOT_SERVED),
        }
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.conn)?;
        visit.call(&self.write)?;
        visit.call(&self.event_loop)?;
        visit.call(&self.context)
    }
}

/// A request's headers as FasterAPI's own security schemes read them (security.HEADER_SCHEMES:
/// `request.headers.get(name)`), with no ASGI header list nor `Headers` made: `headers` is
/// the view itself.
#[pyclass(module = "FasterAPI._core", frozen)]
pub struct HeaderView {
    /// Names lowercased, as the parser gives them.
    pairs: Headers,
}

#[pymethods]
impl HeaderView {
    #[getter]
    fn headers(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// The first value of header `key` (any case), decoded as Latin-1; else `default`.
    #[pyo3(signature = (key, default=None))]
    fn get<'py>(
        &self,
        py: Python<'py>,
        key: &str,
        default: Option<Bound<'py, PyAny>>,
    ) -> Bound<'py, PyAny> {
        let key = key.as_bytes();
        let found = self
            .pairs
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(key));
        match (found, default) {
            (Some((_, value)), _) => {
                let text: String = value.iter().map(|&b| char::from(b)).collect();
                PyString::new(py, &text).into_any()
            }
            (None, Some(default)) => default,
            (None, None) => py.None().into_bound(py),
        }
    }

    fn __contains__(&self, key: &str) -> bool {
        let key = key.as_bytes();
        self.pairs
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case(key))
    }
}

/// A request the short path serves: its route's call and parameters as extracted.
pub struct Routed {
    pub call: Arc<RouteCall>,
    pub kwargs: Py<PyDict>,
    pub errors: Py<PyAny>,
    /// What the route's run reads the body by (`events::body_media`).
    pub media: Py<PyAny>,
    pub cors: Option<Py<CorsSend>>,
    /// GZipMiddleware, when the server runs the app's.
    pub gzip: Option<Py<GzipAnswer>>,
    /// SecurityHeadersMiddleware's headers, when the server runs the app's.
    pub security: Option<Py<SecurityHeaders>>,
    pub head: RequestHead,
    /// Its body is streamed to the route as it arrives (`Entry::streams_body`).
    pub streamed: bool,
}

/// Runs `routed`'s route with `raw` as its body (see the module's docs); what became of it.
pub fn serve(
    py: Python<'_>,
    short: &Bound<'_, ShortPath>,
    routed: Routed,
    raw: Bound<'_, PyBytes>,
) -> PyResult<u8> {
    let path = short.get();
    path.answered.store(NOT_SERVED, Ordering::Relaxed);
    let head = routed.head;
    let door = ShortDoor {
        short: short.clone().unbind(),
        http_minor: head.http_minor,
        keep_alive: head.keep_alive,
        head_only: head.method == "HEAD",
        cors: routed.cors,
        gzip: routed.gzip,
        security: routed.security,
        head: Some(head),
    };
    let mut runner = Runner::new(
        routed.call,
        Door::Short(Box::new(door)),
        routed.kwargs,
        routed.errors,
        raw.into_any().unbind(),
        routed.media,
    );
    let task = path
        .conn
        .bind(py)
        .call_method0(pyo3::intern!(py, "host_task"))?;
    let context = copy_context(py, &path.context)?;
    let outcome = in_task(py, path, &task, &context, || runner.start(py))?;
    match outcome {
        Ok(None) => {}
        Ok(Some(yielded)) => {
            let cycle = runner.promote(py)?.expect("a native door");
            let run = Py::new(py, RouteRun::started(runner))?;
            cycle.call_method1(pyo3::intern!(py, "adopt"), (run, yielded, context))?;
        }
        Err(err) => {
            let cycle = runner.promote(py)?.expect("a native door");
            cycle.call_method1(pyo3::intern!(py, "failed"), (err.into_value(py),))?;
        }
    }
    Ok(match path.answered.load(Ordering::Relaxed) {
        NOT_SERVED => IN_PYTHON,
        answered => answered,
    })
}

/// Answers a CORS preflight (`HttpParser.serve`): the app's CORSMiddleware's answer, as a
/// PlainTextResponse.
pub fn preflight(
    py: Python<'_>,
    short: &Bound<'_, ShortPath>,
    answer: &Preflight,
    head: RequestHead,
) -> PyResult<u8> {
    let door = ShortDoor {
        short: short.clone().unbind(),
        http_minor: head.http_minor,
        keep_alive: head.keep_alive,
        head_only: false,
        cors: None,
        gzip: None,
        security: None,
        head: Some(head),
    };
    let mut headers = header_slices(&answer.headers);
    headers.push((b"content-type", b"text/plain; charset=utf-8"));
    let out = door.encode(answer.status, &headers, &answer.body)?;
    door.write(py, PyBytes::new(py, &out).as_any())?;
    Ok(short.get().answered.load(Ordering::Relaxed))
}

/// A fresh copy of `context`.
#[cfg(not(feature = "abi3"))]
fn copy_context<'py>(py: Python<'py>, context: &Py<PyAny>) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: `context` is a contextvars.Context (the protocol's); PyContext_Copy returns a new
    // reference, or NULL with an exception set.
    unsafe { Bound::from_owned_ptr_or_err(py, ffi::PyContext_Copy(context.as_ptr())) }
}

/// The same in the limited API (the `abi3` feature), which has no PyContext_Copy:
/// `context.copy()`.
#[cfg(feature = "abi3")]
fn copy_context<'py>(py: Python<'py>, context: &Py<PyAny>) -> PyResult<Bound<'py, PyAny>> {
    context.bind(py).call_method0(pyo3::intern!(py, "copy"))
}

/// Runs `f` inside `context`, with `task` entered as the loop's current task (as a task's
/// step runs): `asyncio.current_task()`, timeouts and contextvars work as in any handler.
fn in_task<'py, T>(
    py: Python<'py>,
    path: &ShortPath,
    task: &Bound<'py, PyAny>,
    context: &Bound<'py, PyAny>,
    f: impl FnOnce() -> T,
) -> PyResult<T> {
    static ENTER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    static LEAVE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let enter = ENTER.import(py, "asyncio.tasks", "_enter_task")?;
    let leave = LEAVE.import(py, "asyncio.tasks", "_leave_task")?;
    let event_loop = path.event_loop.bind(py);
    in_context(py, context, || {
        enter.call1((event_loop, task))?;
        let result = f();
        leave.call1((event_loop, task))?;
        Ok(result)
    })?
}

/// `f()` with `context` entered (as `context.run(f)`).
#[cfg(not(feature = "abi3"))]
fn in_context<T>(py: Python<'_>, context: &Bound<'_, PyAny>, f: impl FnOnce() -> T) -> PyResult<T> {
    // SAFETY: `context` is a fresh Context, entered here and exited below.
    if unsafe { ffi::PyContext_Enter(context.as_ptr()) } != 0 {
        return Err(PyErr::fetch(py));
    }
    let result = f();
    // SAFETY: as above.
    if unsafe { ffi::PyContext_Exit(context.as_ptr()) } != 0 {
        return Err(PyErr::fetch(py));
    }
    Ok(result)
}

/// The same in the limited API (the `abi3` feature), which has no PyContext_Enter/Exit:
/// `context.run(trampoline)`, the trampoline a Python function that calls `f` once.
#[cfg(feature = "abi3")]
fn in_context<T>(py: Python<'_>, context: &Bound<'_, PyAny>, f: impl FnOnce() -> T) -> PyResult<T> {
    use pyo3::types::PyCFunction;
    use std::sync::Mutex;
    /// `&mut dyn FnMut()` with its lifetime erased, to go into the 'static trampoline.
    struct Erased(*mut (dyn FnMut() + 'static));
    // SAFETY: only called under the GIL, on the thread that made it (inside `context.run`).
    unsafe impl Send for Erased {}
    let (mut f, mut result) = (Some(f), None);
    let mut call = || result = f.take().map(|f| f());
    let call: &mut dyn FnMut() = &mut call;
    // SAFETY: the pointer is taken out of `slot` (so used once at most) only while
    // `context.run` runs, below, while `call` is alive; the slot is emptied before it returns.
    let erased = Erased(unsafe { std::mem::transmute::<&mut dyn FnMut(), _>(call) });
    let slot = Arc::new(Mutex::new(Some(erased)));
    let take = |slot: &Mutex<Option<Erased>>| slot.lock().ok().and_then(|mut call| call.take());
    let inner = slot.clone();
    let trampoline = PyCFunction::new_closure(py, None, None, move |_, _| {
        if let Some(Erased(call)) = take(&inner) {
            // SAFETY: see above.
            unsafe { (*call)() };
        }
    })?;
    let ran = context.call_method1(pyo3::intern!(py, "run"), (trampoline,));
    take(&slot);
    ran?;
    Ok(result.expect("Context.run calls the trampoline"))
}

/// The short path's door of a route's run: encodes the response and writes it itself.
pub struct ShortDoor {
    short: Py<ShortPath>,
    /// The request's head, until the request is promoted.
    head: Option<RequestHead>,
    cors: Option<Py<CorsSend>>,
    gzip: Option<Py<GzipAnswer>>,
    security: Option<Py<SecurityHeaders>>,
    http_minor: u8,
    keep_alive: bool,
    head_only: bool,
}

const JSON_TYPE: (&[u8], &[u8]) = (b"content-type", b"application/json");

impl ShortDoor {
    /// The handler's injected Response (FasterAPI.responses.inject_response), or None.
    pub fn prepare<'py>(
        &self,
        py: Python<'py>,
        route: &Py<PyAny>,
        values: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        static INJECT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        let inject = INJECT.import(py, "FasterAPI.responses", "inject_response")?;
        inject.call1((route, values))
    }

    /// The request's head (until it is promoted).
    fn head(&self) -> PyResult<&RequestHead> {
        self.head
            .as_ref()
            .ok_or_else(|| PyRuntimeError::new_err("the request was promoted"))
    }

    /// What one of FasterAPI's security schemes reads of the request: a `HeaderView`.
    pub fn header_view<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let head = self.head()?;
        let view = HeaderView {
            pairs: head.headers.clone(),
        };
        Ok(Bound::new(py, view)?.into_any())
    }

    /// The whole response for a JSON-encodable result.
    pub fn json<'py>(
        &self,
        py: Python<'py>,
        content: &Bound<'py, PyAny>,
        status: u16,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut body = Vec::with_capacity(128);
        write_value(content, &mut body, 0)?;
        let out = match (&self.cors, &self.gzip, &self.security) {
            (None, None, None) => self.encode(status, &[JSON_TYPE], &body)?,
            (Some(cors), None, None) => {
                let headers = cors.get().merged([JSON_TYPE].into_iter());
                self.encode(status, &header_slices(&headers), &body)?
            }
            _ => {
                let headers = vec![(JSON_TYPE.0.to_vec(), JSON_TYPE.1.to_vec())];
                self.through_middleware(py, status, headers, body)?
            }
        };
        Ok(PyBytes::new(py, &out).into_any())
    }

    /// The whole response for a Response whose body is all there is; an app's
    /// `Connection: close` is honoured (the server writes Connection itself).
    pub fn whole<'py>(
        &mut self,
        py: Python<'py>,
        response: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let status: u16 = response
            .getattr(pyo3::intern!(py, "status_code"))?
            .extract()?;
        let mut own = Vec::new();
        let raw = response.getattr(pyo3::intern!(py, "raw_headers"))?;
        visit_headers(&raw, |name, value| {
            if name.eq_ignore_ascii_case(b"connection") {
                if value.to_ascii_lowercase().windows(5).any(|w| w == b"close") {
                    self.keep_alive = false;
                }
            } else if !name.eq_ignore_ascii_case(b"content-length") {
                own.push((name.to_vec(), value.to_vec()));
            }
            Ok(false)
        })?;
        let body = response.getattr(pyo3::intern!(py, "body"))?;
        let body = body.cast::<PyBytes>()?.as_bytes();
        let out = self.through_middleware(py, status, own, body.to_vec())?;
        Ok(PyBytes::new(py, &out).into_any())
    }

    /// A whole response through the app's middleware that the server runs itself (security
    /// headers, CORS, GZip), innermost first, as NativeCycle._encode.
    fn through_middleware(
        &self,
        py: Python<'_>,
        status: u16,
        mut headers: Headers,
        mut body: Vec<u8>,
    ) -> PyResult<Vec<u8>> {
        if let Some(security) = &self.security {
            security.get().add_to(&mut headers);
        }
        let gzip = self.gzip.as_ref().map(|gzip| gzip.get());
        if let Some(gzip) = gzip.filter(|gzip| !gzip.is_outer()) {
            (headers, body) = self.gzip(py, gzip, status, headers, body);
        }
        if let Some(cors) = &self.cors {
            headers = cors
                .get()
                .merged(headers.iter().map(|(n, v)| (&n[..], &v[..])));
        }
        if let Some(gzip) = gzip.filter(|gzip| gzip.is_outer()) {
            (headers, body) = self.gzip(py, gzip, status, headers, body);
        }
        self.encode(status, &header_slices(&headers), &body)
    }

    /// GZipMiddleware's answer; to a HEAD request it sees the empty body the response sends
    /// (and so, with its Content-Length kept, usually leaves it as it is).
    fn gzip(
        &self,
        py: Python<'_>,
        gzip: &GzipAnswer,
        status: u16,
        headers: Headers,
        body: Vec<u8>,
    ) -> (Headers, Vec<u8>) {
        let seen: &[u8] = if self.head_only { b"" } else { &body };
        let lowered: Vec<_> = headers
            .iter()
            .map(|(name, value)| (name.to_ascii_lowercase(), value.clone()))
            .collect();
        match gzip.apply_to(py, status, &lowered, seen) {
            Some(changed) => changed,
            None => (headers, body),
        }
    }

    fn encode(&self, status: u16, headers: &[(&[u8], &[u8])], body: &[u8]) -> PyResult<Vec<u8>> {
        let mut out = Vec::with_capacity(192 + body.len());
        let framing = !status_has_no_body(status);
        encode_whole(
            &mut out,
            status,
            headers,
            body,
            framing,
            self.http_minor,
            self.keep_alive,
            self.head_only,
        )?;
        Ok(out)
    }

    /// Writes the response (and logs it).
    pub fn write(&self, py: Python<'_>, response: &Bound<'_, PyAny>) -> PyResult<()> {
        let path = self.short.get();
        // (the transport may be closed already, by an earlier write that failed: the client
        // is gone, and the connection ends)
        let written = path.write.bind(py).call1((response,)).is_ok();
        let answered = if self.keep_alive && written {
            ANSWERED
        } else {
            ANSWERED_CLOSE
        };
        path.answered.store(answered, Ordering::Relaxed);
        if path.report {
            let head = self.head()?;
            let bytes = response.cast::<PyBytes>()?.as_bytes();
            let status: u16 = std::str::from_utf8(&bytes[9..12])
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let head_end = bytes
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map_or(bytes.len(), |at| at + 4);
            let query = PyBytes::new(py, &head.query);
            // every X-Forwarded-For, joined in order: the client, behind a trusted proxy
            let mut forwarded_for: Option<Vec<u8>> = None;
            for (name, value) in head.headers.iter() {
                if name.as_slice() == b"x-forwarded-for" {
                    let joined = forwarded_for.get_or_insert_with(Vec::new);
                    if !joined.is_empty() {
                        joined.extend_from_slice(b", ");
                    }
                    joined.extend_from_slice(value);
                }
            }
            let forwarded_for = forwarded_for.map(|value| PyBytes::new(py, &value));
            path.conn.bind(py).call_method1(
                pyo3::intern!(py, "short_answered"),
                (
                    &head.method,
                    &head.path,
                    query,
                    head.http_minor,
                    status,
                    bytes.len() - head_end,
                    forwarded_for,
                ),
            )?;
        }
        Ok(())
    }

    /// The request as the connection's `NativeCycle`, made now: the door of the rest of the
    /// run. The run's state so far is handed over (`written`: the response is out).
    pub fn promote(
        &mut self,
        py: Python<'_>,
        call: &Arc<RouteCall>,
        values: &Py<PyDict>,
        errors: &Py<PyAny>,
        media: &Py<PyAny>,
        raw: &Py<PyAny>,
    ) -> PyResult<Py<PyAny>> {
        let Some(head) = self.head.take() else {
            return Err(PyRuntimeError::new_err("the request was promoted already"));
        };
        let path = self.short.get();
        let written = path.answered.load(Ordering::Relaxed) != NOT_SERVED;
        let event = RouteEvent {
            call: call.clone(),
            route: call.route.clone_ref(py),
            kwargs: values.clone_ref(py),
            errors: errors.clone_ref(py),
            media: media.clone_ref(py),
            request: Py::new(py, NativeRequest::new(head))?,
            complete: py_bool(py, true),
            streamed: false,
            cors: self.cors.take(),
            gzip: self.gzip.take(),
            security: self.security.take(),
        };
        let promote = pyo3::intern!(py, "promote");
        let cycle = path
            .conn
            .bind(py)
            .call_method1(promote, (event, raw, written))?;
        Ok(cycle.unbind())
    }

    pub fn traverse(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.short)?;
        visit.call(&self.cors)?;
        visit.call(&self.gzip)?;
        visit.call(&self.security)
    }
}
