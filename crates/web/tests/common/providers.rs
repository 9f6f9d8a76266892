//! Local servers that speak the providers' wire formats: Kavenegar, IPPanel Edge, Mailgun, a
//! generic HTTP SMS panel, and SMTP. They answer with the bodies the providers document
//! (crates/channels/tests/fixtures) and keep every request they received.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const KAVENEGAR_SEND: &str = include_str!("../../../channels/tests/fixtures/kavenegar/sms_send_response.json");
const IPPANEL_SEND: &str = include_str!("../../../channels/tests/fixtures/ippanel/edge_send_success_response.json");
const IPPANEL_401: &str = include_str!("../../../channels/tests/fixtures/ippanel/edge_error_401_response.json");
const MAILGUN_SEND: &str = include_str!("../../../channels/tests/fixtures/mailgun/send_response.json");

/// One request a provider received.
#[derive(Debug, Clone)]
pub struct Received {
    pub provider: &'static str,
    /// The path (it carries Kavenegar's key).
    pub path: String,
    /// Form or JSON fields, flattened to text.
    pub fields: HashMap<String, String>,
    pub headers: HashMap<String, String>,
}

#[derive(Clone, Default)]
pub struct Providers {
    pub base: String,
    pub received: Arc<Mutex<Vec<Received>>>,
    /// Kavenegar answers this many sends with HTTP 502 before it accepts again.
    pub fail_next: Arc<AtomicI64>,
    next_id: Arc<AtomicI64>,
}

/// The number Kavenegar calls invalid (error 411).
pub const INVALID_RECEPTOR: &str = "09129999999";

fn form(body: &Bytes) -> HashMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

fn headers(h: &HeaderMap) -> HashMap<String, String> {
    h.iter().map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string())).collect()
}

impl Providers {
    pub fn sent(&self, provider: &str) -> Vec<Received> {
        self.received.lock().unwrap().iter().filter(|r| r.provider == provider).cloned().collect()
    }

    fn keep(&self, provider: &'static str, path: String, fields: HashMap<String, String>, h: &HeaderMap) {
        self.received.lock().unwrap().push(Received { provider, path, fields, headers: headers(h) });
    }
}

async fn kavenegar(
    State(p): State<Providers>,
    Path((key, method)): Path<(String, String)>,
    h: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let fields = form(&body);
    if method == "status.json" {
        let entries: Vec<Value> = fields["messageid"]
            .split(',')
            .map(|id| json!({"messageid": id.parse::<i64>().unwrap(), "status": 10, "statustext": "رسیده به گیرنده"}))
            .collect();
        return (StatusCode::OK, json!({"return": {"status": 200, "message": "تایید شد"}, "entries": entries}).to_string());
    }
    if key != "kv-test-key" {
        return (
            StatusCode::FORBIDDEN,
            json!({"return": {"status": 403, "message": "کد شناسائی API-Key معتبر نمیباشد"}, "entries": null}).to_string(),
        );
    }
    if p.fail_next.fetch_sub(1, Ordering::SeqCst) > 0 {
        return (StatusCode::BAD_GATEWAY, "<html>502 Bad Gateway</html>".to_string());
    }
    p.fail_next.store(0, Ordering::SeqCst);
    if fields.get("receptor").map(String::as_str) == Some(INVALID_RECEPTOR) {
        p.keep("kavenegar", format!("/v1/{key}/sms/{method}"), fields, &h);
        return (
            StatusCode::from_u16(411).unwrap(),
            json!({"return": {"status": 411, "message": "گیرنده نامعتبر است"}, "entries": null}).to_string(),
        );
    }
    p.keep("kavenegar", format!("/v1/{key}/sms/{method}"), fields, &h);
    // The documented answer, with a fresh message id.
    let mut answer: Value = serde_json::from_str(KAVENEGAR_SEND).unwrap();
    answer["entries"] = json!([answer["entries"][0].clone()]);
    answer["entries"][0]["messageid"] = json!(8_792_343 + p.next_id.fetch_add(1, Ordering::SeqCst));
    (StatusCode::OK, answer.to_string())
}

async fn ippanel(State(p): State<Providers>, h: HeaderMap, body: Bytes) -> impl IntoResponse {
    if h.get("authorization").and_then(|v| v.to_str().ok()) != Some("ip-test-key") {
        return (StatusCode::UNAUTHORIZED, IPPANEL_401.to_string());
    }
    let v: Value = serde_json::from_slice(&body).unwrap();
    let fields = v.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.to_string())).collect();
    p.keep("ippanel", "/api/send".into(), fields, &h);
    (StatusCode::OK, IPPANEL_SEND.to_string())
}

async fn mailgun(State(p): State<Providers>, Path(domain): Path<String>, h: HeaderMap, body: Bytes) -> impl IntoResponse {
    p.keep("mailgun", format!("/v3/{domain}/messages"), form(&body), &h);
    (StatusCode::OK, MAILGUN_SEND.to_string())
}

async fn generic(State(p): State<Providers>, h: HeaderMap, body: Bytes) -> impl IntoResponse {
    p.keep("generic", "/generic/send".into(), form(&body), &h);
    (StatusCode::OK, json!({"result": {"id": "g-77"}}).to_string())
}

/// Starts the HTTP providers on one local port.
pub async fn start() -> Providers {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut p = Providers { base: format!("http://{}", listener.local_addr().unwrap()), ..Default::default() };
    p.next_id = Arc::new(AtomicI64::new(0));
    let app = Router::new()
        .route("/v1/{key}/sms/{method}", post(kavenegar))
        .route(
            "/v1/{key}/verify/lookup.json",
            post(|| async {
                (StatusCode::OK, include_str!("../../../channels/tests/fixtures/kavenegar/verify_lookup_response.json"))
            }),
        )
        .route("/api/send", post(ippanel))
        .route("/v3/{domain}/messages", post(mailgun))
        .route("/generic/send", post(generic))
        .with_state(p.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    p
}

/// A received email: the envelope and the raw message.
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
    /// Whether it came over TLS (from the first byte, or after STARTTLS).
    pub tls: bool,
}

/// How the local SMTP server protects its sessions.
#[derive(Clone)]
pub enum SmtpMode {
    Plain,
    /// Offers STARTTLS after EHLO and takes mail only once the session is encrypted.
    Starttls(tokio_rustls::TlsAcceptor),
    /// TLS from the first byte.
    Tls(tokio_rustls::TlsAcceptor),
}

/// A small SMTP server (RFC 5321 without extensions): enough for a client to deliver mail.
pub async fn smtp() -> (u16, Arc<Mutex<Vec<Mail>>>) {
    smtp_with(SmtpMode::Plain).await
}

/// A certificate for `localhost` signed by nobody but itself, as a business's own mail server may
/// have: the acceptor that serves it and its PEM, which a client must be told to trust.
pub fn self_signed_localhost() -> (tokio_rustls::TlsAcceptor, String) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(made.signing_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![made.cert.der().clone()], key)
        .unwrap();
    (tokio_rustls::TlsAcceptor::from(Arc::new(config)), made.cert.pem())
}

pub async fn smtp_with(mode: SmtpMode) -> (u16, Arc<Mutex<Vec<Mail>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mails: Arc<Mutex<Vec<Mail>>> = Default::default();
    let store = mails.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else { return };
            let (store, mode) = (store.clone(), mode.clone());
            tokio::spawn(async move {
                match mode {
                    SmtpMode::Plain => {
                        session(socket, &store, false, false, true).await;
                    }
                    SmtpMode::Starttls(acceptor) => {
                        if let Some(socket) = session(socket, &store, true, false, true).await
                            && let Ok(secure) = acceptor.accept(socket).await
                        {
                            session(secure, &store, false, true, false).await;
                        }
                    }
                    SmtpMode::Tls(acceptor) => {
                        if let Ok(secure) = acceptor.accept(socket).await {
                            session(secure, &store, false, true, true).await;
                        }
                    }
                }
            });
        }
    });
    (port, mails)
}

/// One SMTP session over `stream`. Returns the stream when the client asked for STARTTLS (after
/// the go-ahead), for the caller to encrypt and serve again; `None` when the session ended.
async fn session<S>(stream: S, store: &Arc<Mutex<Vec<Mail>>>, offer_starttls: bool, tls: bool, greet: bool) -> Option<S>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut lines = BufReader::new(stream);
    // After STARTTLS the client speaks first (EHLO again); a new connection hears the greeting.
    if greet {
        let _ = lines.get_mut().write_all(b"220 localhost ESMTP test\r\n").await;
    }
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
            return None;
        }
        let command = line.trim_end().to_string();
        let upper = command.to_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            if offer_starttls {
                b"250-localhost\r\n250-STARTTLS\r\n250 8BITMIME\r\n"
            } else {
                b"250-localhost\r\n250 8BITMIME\r\n"
            }
        } else if upper == "STARTTLS" && offer_starttls {
            let _ = lines.get_mut().write_all(b"220 ready to start TLS\r\n").await;
            return Some(lines.into_inner());
        } else if upper.starts_with("MAIL FROM:") && offer_starttls {
            b"530 5.7.0 must issue a STARTTLS command first\r\n"
        } else if upper.starts_with("HELO") || upper.starts_with("RSET") || upper.starts_with("NOOP") {
            b"250 OK\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = command[10..].trim().trim_matches(['<', '>']).to_string();
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            let rcpt = command[8..].trim().trim_matches(['<', '>']).to_string();
            if rcpt.starts_with("nobody@") {
                b"550 5.1.1 no such mailbox\r\n"
            } else {
                to.push(rcpt);
                b"250 OK\r\n"
            }
        } else if upper == "DATA" {
            let _ = lines.get_mut().write_all(b"354 end with <CRLF>.<CRLF>\r\n").await;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return None;
                }
                if line == ".\r\n" {
                    break;
                }
                data.push_str(line.strip_prefix('.').filter(|_| line.starts_with("..")).unwrap_or(&line));
            }
            store.lock().unwrap().push(Mail { from: from.clone(), to: std::mem::take(&mut to), data, tls });
            b"250 OK queued\r\n"
        } else if upper == "QUIT" {
            let _ = lines.get_mut().write_all(b"221 bye\r\n").await;
            return None;
        } else {
            b"502 not implemented\r\n"
        };
        let _ = lines.get_mut().write_all(reply).await;
    }
}
