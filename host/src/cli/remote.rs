//! The client behind `arbiter module` and `arbiter policy`: one request to a running
//! server with a bearer token, and the server's error bodies turned into [`RemoteError`].

use std::fmt;
use std::time::Duration;

use arbiter::api::NEXT_CURSOR;
use serde_json::Value;
use ureq::http;

/// Where the server is and who is asking; shared by every remote command.
#[derive(Debug, Clone, clap::Args)]
pub struct ServerArgs {
    /// The server's base URL.
    #[arg(
        long,
        env = "ARBITER_SERVER",
        default_value = "http://127.0.0.1:8080",
        value_name = "URL"
    )]
    server: String,
    /// The bearer token: the operator's, or a seller's for its own shop.
    #[arg(
        long,
        env = "ARBITER_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    token: Option<String>,
}

/// Why a remote command failed.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// The server answered with its `{"error": {...}}` body.
    #[error("{0}")]
    Api(ApiFailure),
    /// The server answered an error status without the usual body.
    #[error("the server at {server} answered {status}: {body}")]
    Unexpected {
        server: String,
        status: u16,
        body: String,
    },
    /// No answer: connection refused, unknown host, timeout, TLS.
    #[error("could not reach the server at {server}: {detail}")]
    Unreachable { server: String, detail: String },
    /// The URL or a header could not be made into a request.
    #[error("{0}")]
    BadRequest(String),
}

/// The server's `{"error": {"code", "message", "field"}}`.
#[derive(Debug)]
pub struct ApiFailure {
    pub code: String,
    pub message: String,
    pub field: Option<String>,
}

impl fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        match &self.field {
            Some(field) => write!(f, " (field {field})"),
            None => Ok(()),
        }
    }
}

/// A 2xx answer: its status and JSON body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

/// A page of NDJSON lines and where the next starts.
#[derive(Debug)]
pub struct LinesPage {
    pub text: String,
    pub next_cursor: Option<String>,
}

/// The largest body read from the server (a page of exported decisions).
const MAX_BODY: u64 = 256 << 20;

/// A blocking client for one server.
#[derive(Debug)]
pub struct Client {
    agent: ureq::Agent,
    server: String,
    token: Option<String>,
}

impl Client {
    pub fn new(args: &ServerArgs) -> Result<Self, RemoteError> {
        let server = args.server.trim().trim_end_matches('/');
        if !(server.starts_with("http://") || server.starts_with("https://")) {
            return Err(RemoteError::BadRequest(format!(
                "the server `{server}` is not an http:// or https:// URL"
            )));
        }
        let config = ureq::Agent::config_builder()
            // Error statuses carry the body that says why; read it rather than fail.
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            // An upload is compiled before it is answered.
            .timeout_global(Some(Duration::from_secs(120)))
            .build();
        Ok(Self {
            agent: ureq::Agent::new_with_config(config),
            server: server.to_owned(),
            token: args
                .token
                .as_deref()
                .map(str::trim)
                .filter(|token| !token.is_empty())
                .map(str::to_owned),
        })
    }

    pub fn get(&self, path: &str) -> Result<Reply, RemoteError> {
        self.request(http::Method::GET, path, None)
    }

    /// Sends `body` as JSON.
    pub fn send_json(
        &self,
        method: http::Method,
        path: &str,
        body: &Value,
    ) -> Result<Reply, RemoteError> {
        let bytes = body.to_string().into_bytes();
        self.request(method, path, Some(("application/json", bytes)))
    }

    /// Sends `bytes` as they are, with `headers` besides.
    pub fn send_bytes(
        &self,
        method: http::Method,
        path: &str,
        bytes: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> Result<Reply, RemoteError> {
        let response = self.send(
            method,
            path,
            Some(("application/octet-stream", bytes)),
            "application/json",
            headers,
        )?;
        self.json_reply(response)
    }

    /// A page of NDJSON at `path` and the cursor of the next (the `Arbiter-Next-Cursor`
    /// header), if there is one.
    pub fn get_lines(&self, path: &str) -> Result<LinesPage, RemoteError> {
        let response = self.send(http::Method::GET, path, None, "application/x-ndjson", &[])?;
        let next_cursor = response
            .headers()
            .get(NEXT_CURSOR)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let (status, text) = self.read(response)?;
        if (200..300).contains(&status) {
            return Ok(LinesPage { text, next_cursor });
        }
        Err(self.api_error(status, &text))
    }

    fn request(
        &self,
        method: http::Method,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<Reply, RemoteError> {
        let response = self.send(method, path, body, "application/json", &[])?;
        self.json_reply(response)
    }

    /// A JSON answer, or the error its status and body say.
    fn json_reply(&self, response: http::Response<ureq::Body>) -> Result<Reply, RemoteError> {
        let (status, text) = self.read(response)?;
        if (200..300).contains(&status) {
            let body = match text.trim() {
                "" => Value::Null,
                text => serde_json::from_str(text).map_err(|error| RemoteError::Unexpected {
                    server: self.server.clone(),
                    status,
                    body: format!("not JSON ({error}): {}", excerpt(text)),
                })?,
            };
            return Ok(Reply { status, body });
        }
        Err(self.api_error(status, &text))
    }

    fn send(
        &self,
        method: http::Method,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
        accept: &str,
        headers: &[(&str, &str)],
    ) -> Result<http::Response<ureq::Body>, RemoteError> {
        let url = format!("{}{path}", self.server);
        let mut builder = http::Request::builder()
            .method(method)
            .uri(&url)
            .header(http::header::ACCEPT, accept);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        if let Some(token) = &self.token {
            builder = builder.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let bad = |error: http::Error| RemoteError::BadRequest(format!("{url}: {error}"));
        match body {
            Some((content_type, bytes)) => {
                let request = builder
                    .header(http::header::CONTENT_TYPE, content_type)
                    .body(bytes)
                    .map_err(bad)?;
                self.agent.run(request)
            }
            None => self.agent.run(builder.body(()).map_err(bad)?),
        }
        .map_err(|error| self.failed(error))
    }

    /// The status and the whole body of `response`.
    fn read(&self, response: http::Response<ureq::Body>) -> Result<(u16, String), RemoteError> {
        let status = response.status().as_u16();
        let text = response
            .into_body()
            .into_with_config()
            .limit(MAX_BODY)
            .read_to_string()
            .map_err(|error| self.failed(error))?;
        Ok((status, text))
    }

    /// The error an error status's body says.
    fn api_error(&self, status: u16, text: &str) -> RemoteError {
        let mut error = parse_error(&self.server, status, text);
        if let (RemoteError::Api(failure), None) = (&mut error, &self.token)
            && failure.code == "unauthorized"
        {
            failure
                .message
                .push_str(" (no token given: --token or ARBITER_TOKEN)");
        }
        error
    }

    fn failed(&self, error: ureq::Error) -> RemoteError {
        match error {
            ureq::Error::BadUri(detail) => {
                RemoteError::BadRequest(format!("the server `{}`: {detail}", self.server))
            }
            ureq::Error::Http(detail) => {
                RemoteError::BadRequest(format!("the server `{}`: {detail}", self.server))
            }
            other => RemoteError::Unreachable {
                server: self.server.clone(),
                detail: other.to_string(),
            },
        }
    }
}

/// The server's error body, or what it answered instead.
fn parse_error(server: &str, status: u16, text: &str) -> RemoteError {
    let body: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let error = &body["error"];
    match (error["code"].as_str(), error["message"].as_str()) {
        (Some(code), Some(message)) => RemoteError::Api(ApiFailure {
            code: code.to_owned(),
            message: message.to_owned(),
            field: error["field"]
                .as_str()
                .filter(|field| !field.is_empty())
                .map(str::to_owned),
        }),
        _ => RemoteError::Unexpected {
            server: server.to_owned(),
            status,
            body: excerpt(text),
        },
    }
}

/// At most a few hundred characters of a body, for an error message.
fn excerpt(text: &str) -> String {
    const MAX: usize = 300;
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_owned(),
    }
}

/// One path segment, percent-encoded: a shop id may hold any character.
pub fn segment(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                encoded.push(char::from(byte));
            }
            other => encoded.push_str(&format!("%{other:02X}")),
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_name_code_message_and_field() {
        let text = r#"{"error":{"code":"settings_rejected","message":"promo_max: must be greater than 0","field":"promo_max"}}"#;
        let error = parse_error("http://x", 422, text);
        assert_eq!(
            error.to_string(),
            "settings_rejected: promo_max: must be greater than 0 (field promo_max)"
        );
        let text = r#"{"error":{"code":"unauthorized","message":"a valid bearer token is required","field":null}}"#;
        assert_eq!(
            parse_error("http://x", 401, text).to_string(),
            "unauthorized: a valid bearer token is required"
        );
        let text = r#"{"error":{"code":"invalid_request","message":"bad","field":""}}"#;
        assert_eq!(
            parse_error("http://x", 400, text).to_string(),
            "invalid_request: bad"
        );
    }

    #[test]
    fn other_error_bodies_are_shown_as_they_are() {
        let error = parse_error("http://x", 502, "Bad Gateway");
        assert_eq!(
            error.to_string(),
            "the server at http://x answered 502: Bad Gateway"
        );
    }

    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(segment("shop-1.a_b~"), "shop-1.a_b~");
        assert_eq!(segment("a/b c"), "a%2Fb%20c");
        assert_eq!(segment("цвет"), "%D1%86%D0%B2%D0%B5%D1%82");
    }
}
