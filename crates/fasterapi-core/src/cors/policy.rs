//! A CORS policy, compiled once from CORSMiddleware's options: whether a request is a
//! preflight and its answer (200 "OK" or 400 "Disallowed CORS ..."), and the headers another
//! request's response gets, as Starlette 1.x's CORSMiddleware (and FasterAPI's Python one)
//! give them. Matching an `allow_origin_regex` is the caller's (Python's `re`, for the same
//! answers): it passes whether the origin matched.

/// A header as it goes out: its lower-case name and its value.
pub type Header = (Vec<u8>, Vec<u8>);

/// The methods `allow_methods=["*"]` stands for.
const ALL_METHODS: [&str; 8] = [
    "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY",
];
/// Headers a browser sends without asking (the CORS-safelisted request headers).
const SAFELISTED_HEADERS: [&str; 4] = [
    "Accept",
    "Accept-Language",
    "Content-Language",
    "Content-Type",
];
const PREFLIGHT_VARY: &str = "Origin, Access-Control-Request-Method, \
    Access-Control-Request-Headers, Access-Control-Request-Private-Network";

/// CORSMiddleware's options.
#[derive(Debug, Clone, Default)]
pub struct CorsConfig {
    pub allow_origins: Vec<String>,
    pub allow_methods: Vec<String>,
    pub allow_headers: Vec<String>,
    pub allow_credentials: bool,
    pub allow_private_network: bool,
    pub expose_headers: Vec<String>,
    pub max_age: i64,
}

/// What a request's headers say about CORS (the first value of each).
#[derive(Debug, Default, Clone, Copy)]
pub struct CorsRequest<'a> {
    pub origin: Option<&'a [u8]>,
    pub request_method: Option<&'a [u8]>,
    pub request_headers: Option<&'a [u8]>,
    pub private_network: bool,
}

impl<'a> CorsRequest<'a> {
    /// Reads one header (its name in lower case, as ASGI and the native parser give them).
    pub fn see(&mut self, name: &[u8], value: &'a [u8]) {
        let slot = match name {
            b"origin" => &mut self.origin,
            b"access-control-request-method" => &mut self.request_method,
            b"access-control-request-headers" => &mut self.request_headers,
            b"access-control-request-private-network" => {
                self.private_network = true;
                return;
            }
            _ => return,
        };
        if slot.is_none() {
            *slot = Some(value);
        }
    }
}

/// A preflight's answer: a plain-text response.
#[derive(Debug, PartialEq, Eq)]
pub struct Preflight {
    pub status: u16,
    pub body: Vec<u8>,
    /// The CORS headers (Content-Type and Content-Length are the response's).
    pub headers: Vec<Header>,
}

#[derive(Debug, Clone)]
pub struct CorsPolicy {
    allow_all_origins: bool,
    allow_origins: Vec<Vec<u8>>,
    allow_methods: Vec<Vec<u8>>,
    allow_all_headers: bool,
    /// Lower case, the safelisted ones included.
    allow_headers: Vec<String>,
    allow_credentials: bool,
    allow_private_network: bool,
    /// With credentials, `*` is not allowed: the request's own origin is sent back.
    preflight_explicit_allow_origin: bool,
    simple: Vec<Header>,
    preflight: Vec<Header>,
}

fn header(name: &str, value: &str) -> Header {
    (
        name.to_ascii_lowercase().into_bytes(),
        value.as_bytes().to_vec(),
    )
}

impl CorsPolicy {
    pub fn new(config: &CorsConfig) -> Self {
        let allow_all_origins = config.allow_origins.iter().any(|o| o == "*");
        let allow_methods: Vec<String> = if config.allow_methods.iter().any(|m| m == "*") {
            ALL_METHODS.iter().map(|m| m.to_string()).collect()
        } else {
            config.allow_methods.clone()
        };
        let allow_all_headers = config.allow_headers.iter().any(|h| h == "*");
        let mut headers: Vec<String> = SAFELISTED_HEADERS
            .iter()
            .map(|h| h.to_string())
            .chain(config.allow_headers.iter().cloned())
            .collect();
        headers.sort();
        headers.dedup();
        let preflight_explicit_allow_origin = !allow_all_origins || config.allow_credentials;

        let mut simple = Vec::new();
        if allow_all_origins {
            simple.push(header("Access-Control-Allow-Origin", "*"));
        }
        if config.allow_credentials {
            simple.push(header("Access-Control-Allow-Credentials", "true"));
        }
        if !config.expose_headers.is_empty() {
            let exposed = config.expose_headers.join(", ");
            simple.push(header("Access-Control-Expose-Headers", &exposed));
        }

        let mut preflight = vec![header("Vary", PREFLIGHT_VARY)];
        if !preflight_explicit_allow_origin {
            preflight.push(header("Access-Control-Allow-Origin", "*"));
        }
        preflight.push(header(
            "Access-Control-Allow-Methods",
            &allow_methods.join(", "),
        ));
        preflight.push(header(
            "Access-Control-Max-Age",
            &config.max_age.to_string(),
        ));
        if !allow_all_headers {
            preflight.push(header("Access-Control-Allow-Headers", &headers.join(", ")));
        }
        if config.allow_credentials {
            preflight.push(header("Access-Control-Allow-Credentials", "true"));
        }
        CorsPolicy {
            allow_all_origins,
            allow_origins: config
                .allow_origins
                .iter()
                .map(|o| o.as_bytes().to_vec())
                .collect(),
            allow_methods: allow_methods.into_iter().map(String::into_bytes).collect(),
            allow_all_headers,
            allow_headers: headers.iter().map(|h| h.to_lowercase()).collect(),
            allow_credentials: config.allow_credentials,
            allow_private_network: config.allow_private_network,
            preflight_explicit_allow_origin,
            simple,
            preflight,
        }
    }

    /// Whether `origin` is allowed without the regex: all are, or it is listed.
    pub fn lists_origin(&self, origin: &[u8]) -> bool {
        self.allow_all_origins || self.allow_origins.iter().any(|o| o == origin)
    }

    /// An `OPTIONS` request with an Origin and Access-Control-Request-Method.
    pub fn is_preflight(method: &str, request: &CorsRequest<'_>) -> bool {
        method == "OPTIONS" && request.origin.is_some() && request.request_method.is_some()
    }

    /// The answer to a preflight request; `origin_allowed`: its origin is listed or matches
    /// the regex.
    pub fn preflight(&self, request: &CorsRequest<'_>, origin_allowed: bool) -> Preflight {
        let mut headers = self.preflight.clone();
        let mut failures = Vec::new();
        if origin_allowed {
            if self.preflight_explicit_allow_origin {
                let origin = request.origin.unwrap_or_default().to_vec();
                set(&mut headers, b"access-control-allow-origin", origin);
            }
        } else {
            failures.push("origin");
        }
        let method = request.request_method.unwrap_or_default();
        if !self.allow_methods.iter().any(|m| m == method) {
            failures.push("method");
        }
        if let Some(requested) = request.request_headers {
            if self.allow_all_headers {
                set(
                    &mut headers,
                    b"access-control-allow-headers",
                    requested.to_vec(),
                );
            } else {
                let requested = latin1_lower(requested);
                let refused = requested
                    .split(',')
                    .any(|h| !self.allow_headers.iter().any(|a| a == h.trim()));
                if refused {
                    failures.push("headers");
                }
            }
        }
        if request.private_network {
            if self.allow_private_network {
                let allow = b"true".to_vec();
                set(&mut headers, b"access-control-allow-private-network", allow);
            } else {
                failures.push("private-network");
            }
        }
        if failures.is_empty() {
            return Preflight {
                status: 200,
                body: b"OK".to_vec(),
                headers,
            };
        }
        Preflight {
            status: 400,
            body: format!("Disallowed CORS {}", failures.join(", ")).into_bytes(),
            headers,
        }
    }

    /// The headers any other response gets, set over its own (besides `Origin` added to its
    /// Vary, `merge`): the simple ones when the request has an Origin, and that origin itself
    /// where it must be named.
    pub fn response_headers(&self, origin: Option<&[u8]>, origin_allowed: bool) -> Vec<Header> {
        let Some(origin) = origin else {
            return Vec::new();
        };
        let mut added = self.simple.clone();
        let explicit = if self.allow_all_origins {
            self.allow_credentials
        } else {
            origin_allowed
        };
        if explicit {
            set(&mut added, b"access-control-allow-origin", origin.to_vec());
        }
        added
    }
}

/// A response's headers with the CORS headers `added` over them: those of the same names are
/// replaced, and `Origin` joins the values of its Vary headers, which become one (last).
pub fn merge<'a>(
    headers: impl Iterator<Item = (&'a [u8], &'a [u8])>,
    added: &[Header],
) -> Vec<Header> {
    let mut kept = Vec::new();
    let mut vary: Vec<u8> = Vec::new();
    for (name, value) in headers {
        if name == b"vary" {
            vary.extend_from_slice(value);
            vary.extend_from_slice(b", ");
        } else if !added.iter().any(|(n, _)| n == name) {
            kept.push((name.to_vec(), value.to_vec()));
        }
    }
    vary.extend_from_slice(b"Origin");
    kept.extend(added.iter().cloned());
    kept.push((b"vary".to_vec(), vary));
    kept
}

/// Sets `name` in `headers`, in place if it is there (a dict's assignment), else at the end.
fn set(headers: &mut Vec<Header>, name: &[u8], value: Vec<u8>) {
    match headers.iter_mut().find(|(n, _)| n == name) {
        Some(pair) => pair.1 = value,
        None => headers.push((name.to_vec(), value)),
    }
}

/// Latin-1 bytes as a lower-case string (as Python's `.decode("latin-1").lower()`, for
/// ASCII letters).
fn latin1_lower(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| (b as char).to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> CorsConfig {
        CorsConfig {
            allow_origins: vec!["https://a.com".into()],
            allow_methods: vec!["GET".into(), "POST".into()],
            allow_headers: vec!["X-Custom".into()],
            expose_headers: vec!["X-Total".into()],
            max_age: 100,
            ..CorsConfig::default()
        }
    }

    fn request<'a>(
        origin: &'a [u8],
        method: &'a [u8],
        headers: Option<&'a [u8]>,
    ) -> CorsRequest<'a> {
        CorsRequest {
            origin: Some(origin),
            request_method: Some(method),
            request_headers: headers,
            private_network: false,
        }
    }

    #[test]
    fn a_preflight_from_a_listed_origin_is_allowed() {
        let policy = CorsPolicy::new(&config());
        let req = request(b"https://a.com", b"POST", Some(b"x-custom, Content-Type"));
        let answer = policy.preflight(&req, policy.lists_origin(b"https://a.com"));
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body, b"OK");
        let names: Vec<&[u8]> = answer.headers.iter().map(|(n, _)| n.as_slice()).collect();
        assert_eq!(
            names,
            [
                &b"vary"[..],
                b"access-control-allow-methods",
                b"access-control-max-age",
                b"access-control-allow-headers",
                b"access-control-allow-origin",
            ]
        );
        assert_eq!(
            answer.headers[3].1,
            b"Accept, Accept-Language, Content-Language, Content-Type, X-Custom"
        );
        assert_eq!(answer.headers[4].1, b"https://a.com");
    }

    #[test]
    fn a_preflight_names_every_failure() {
        let policy = CorsPolicy::new(&config());
        let mut req = request(b"https://b.com", b"PUT", Some(b"x-other"));
        req.private_network = true;
        let answer = policy.preflight(&req, policy.lists_origin(b"https://b.com"));
        assert_eq!(answer.status, 400);
        assert_eq!(
            answer.body,
            b"Disallowed CORS origin, method, headers, private-network"
        );
        assert!(!answer
            .headers
            .iter()
            .any(|(n, _)| n == b"access-control-allow-origin"));
    }

    #[test]
    fn any_origin_with_credentials_names_the_origin_and_mirrors_headers() {
        let policy = CorsPolicy::new(&CorsConfig {
            allow_origins: vec!["*".into()],
            allow_methods: vec!["*".into()],
            allow_headers: vec!["*".into()],
            allow_credentials: true,
            max_age: 600,
            ..CorsConfig::default()
        });
        let req = request(b"https://x.org", b"QUERY", Some(b"X-Anything"));
        let answer = policy.preflight(&req, true);
        assert_eq!(answer.status, 200);
        let get = |name: &[u8]| {
            answer
                .headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(
            get(b"access-control-allow-origin").unwrap(),
            b"https://x.org"
        );
        assert_eq!(get(b"access-control-allow-headers").unwrap(), b"X-Anything");
        let added = policy.response_headers(Some(b"https://x.org"), true);
        assert_eq!(
            added,
            vec![
                header("Access-Control-Allow-Origin", "https://x.org"),
                header("Access-Control-Allow-Credentials", "true"),
            ]
        );
    }

    #[test]
    fn responses_get_the_simple_headers_and_vary() {
        let policy = CorsPolicy::new(&config());
        let added = policy.response_headers(Some(b"https://a.com"), true);
        let own: Vec<(&[u8], &[u8])> = vec![
            (b"content-type", b"application/json"),
            (b"vary", b"Accept-Encoding"),
            (b"access-control-allow-origin", b"stale"),
        ];
        let merged = merge(own.into_iter(), &added);
        assert_eq!(
            merged,
            vec![
                header("content-type", "application/json"),
                header("Access-Control-Expose-Headers", "X-Total"),
                header("Access-Control-Allow-Origin", "https://a.com"),
                (b"vary".to_vec(), b"Accept-Encoding, Origin".to_vec()),
            ]
        );
        // no Origin: nothing but Vary
        assert!(policy.response_headers(None, false).is_empty());
        let refused = policy.response_headers(Some(b"https://b.com"), false);
        assert_eq!(
            refused,
            vec![header("Access-Control-Expose-Headers", "X-Total")]
        );
    }
}
