//! A local server that answers like Sepidar's e-commerce web service (API level 111,
//! generation 101): device registration with the AES handshake under the serial, the RSA
//! public key as `<RSAKeyValue>` XML, sign-in with the MD5 of the password, and listings of
//! customers, items and invoices that check every request's encrypted arbitrary code and token.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Encrypt, RsaPrivateKey};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

pub const SERIAL: &str = "10051234";
pub const USER: &str = "philia";
pub const PASSWORD: &str = "s3pidar-pass";
const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.sepidar-test-token";

#[derive(Default)]
pub struct Books {
    pub customers: Vec<Value>,
    pub items: Vec<Value>,
    pub invoices: Vec<Value>,
    /// Requests answered, as `METHOD path status`.
    pub requests: Vec<String>,
    /// Answer every listing with this status instead (a service that is down).
    pub failing: Option<u16>,
}

#[derive(Clone)]
pub struct SepidarServer {
    pub base: String,
    pub books: Arc<Mutex<Books>>,
    key: Arc<RsaPrivateKey>,
}

type Answer = (StatusCode, Json<Value>);

fn refuse(status: StatusCode, message: &str) -> Answer {
    (status, Json(json!({ "Message": message })))
}

impl SepidarServer {
    pub async fn start() -> SepidarServer {
        let key = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 1024).expect("an RSA key");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = SepidarServer {
            base: format!("http://{}", listener.local_addr().unwrap()),
            books: Arc::new(Mutex::new(Books::default())),
            key: Arc::new(key),
        };
        let app = axum::Router::new()
            .route("/api/General/GenerationVersion/", get(version))
            .route("/api/Devices/Register/", post(register))
            .route("/api/Users/Login/", post(login))
            .route("/api/Customers/", get(|s: State<SepidarServer>, h: HeaderMap| listing(s, h, "Customers")))
            .route("/api/Items/", get(|s: State<SepidarServer>, h: HeaderMap| listing(s, h, "Items")))
            .route("/api/Invoices/", get(|s: State<SepidarServer>, h: HeaderMap| listing(s, h, "Invoices")))
            .with_state(server.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        server
    }

    fn log(&self, what: String) {
        self.books.lock().unwrap().requests.push(what);
    }

    /// Checks the headers every request after registration carries: the generation, the
    /// integration id, and the arbitrary code encrypted with the service's public key.
    fn check_signed(&self, headers: &HeaderMap) -> Result<(), Answer> {
        let h = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
        if h("GenerationVersion") != "101" {
            return Err(refuse(StatusCode::BAD_REQUEST, "GenerationVersion is not 101"));
        }
        if h("IntegrationID") != &SERIAL[..4] {
            return Err(refuse(StatusCode::UNAUTHORIZED, "unknown IntegrationID"));
        }
        let code: Vec<u8> = (0..16)
            .filter_map(|i| u8::from_str_radix(h("ArbitraryCode").replace('-', "").get(i * 2..i * 2 + 2)?, 16).ok())
            .collect();
        let sealed = B64.decode(h("EncArbitraryCode")).unwrap_or_default();
        match self.key.decrypt(Pkcs1v15Encrypt, &sealed) {
            Ok(opened) if code.len() == 16 && opened == code => Ok(()),
            _ => Err(refuse(StatusCode::UNAUTHORIZED, "EncArbitraryCode does not match ArbitraryCode")),
        }
    }
}

async fn version() -> Json<Value> {
    Json(json!({ "GenerationVersion": 101, "LockNumber": "31415" }))
}

async fn register(State(s): State<SepidarServer>, Json(body): Json<Value>) -> Answer {
    let key = format!("{SERIAL}{SERIAL}").into_bytes();
    let field = |name: &str| B64.decode(body[name].as_str().unwrap_or("")).unwrap_or_default();
    let opened = philia_connectors::aes_decrypt(&key, &field("IV"), &field("Cypher"));
    let id = body["IntegrationID"].as_i64().map(|n| n.to_string());
    if opened.as_deref().ok() != Some(&SERIAL.as_bytes()[..4]) || id.as_deref() != Some(&SERIAL[..4]) {
        s.log("POST Register 400".into());
        return refuse(StatusCode::BAD_REQUEST, "the device is not registered with this serial");
    }
    let xml = format!(
        "<RSAKeyValue><Modulus>{}</Modulus><Exponent>{}</Exponent></RSAKeyValue>",
        B64.encode(s.key.n().to_bytes_be()),
        B64.encode(s.key.e().to_bytes_be())
    );
    let iv = [9u8; 16];
    s.log("POST Register 201".into());
    (
        StatusCode::CREATED,
        Json(json!({
            "Cypher": B64.encode(philia_connectors::aes_encrypt(&key, &iv, xml.as_bytes())),
            "IV": B64.encode(iv),
            "DeviceTitle": "Philia"
        })),
    )
}

async fn login(State(s): State<SepidarServer>, headers: HeaderMap, Json(body): Json<Value>) -> Answer {
    if let Err(refusal) = s.check_signed(&headers) {
        s.log(format!("POST Login {}", refusal.0.as_u16()));
        return refusal;
    }
    if body["UserName"] != USER || body["PasswordHash"] != philia_connectors::password_hash(PASSWORD) {
        s.log("POST Login 401".into());
        return refuse(StatusCode::UNAUTHORIZED, "نام کاربری یا رمز عبور اشتباه است");
    }
    s.log("POST Login 201".into());
    (StatusCode::CREATED, Json(json!({ "Token": TOKEN, "UserID": 3, "Title": "Philia", "CanRegisterInvoice": false })))
}

async fn listing(State(s): State<SepidarServer>, headers: HeaderMap, resource: &'static str) -> Answer {
    let answer = if let Err(refusal) = s.check_signed(&headers) {
        refusal
    } else if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&format!("Bearer {TOKEN}")) {
        refuse(StatusCode::UNAUTHORIZED, "sign in first")
    } else {
        let books = s.books.lock().unwrap();
        match books.failing {
            Some(code) => refuse(StatusCode::from_u16(code).unwrap(), "the service is stopped"),
            None => {
                let list = match resource {
                    "Customers" => &books.customers,
                    "Items" => &books.items,
                    _ => &books.invoices,
                };
                (StatusCode::OK, Json(Value::Array(list.clone())))
            }
        }
    };
    s.log(format!("GET {resource} {}", answer.0.as_u16()));
    answer
}
