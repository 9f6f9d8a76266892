//! A local push service as browsers' vendors run them (RFC 8030): it takes `POST /push/{device}`,
//! checks the sender's VAPID token (RFC 8292) against the key in the request, and, holding each
//! device's private key and auth secret as a browser does, decrypts the `aes128gcm` body
//! (RFC 8291) to keep what the device would show. A device marked gone answers 410.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hkdf::Hkdf;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use sha2::Sha256;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// A browser's side of a subscription.
pub struct Device {
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    secret: SecretKey,
    auth_bytes: [u8; 16],
}

/// What a device received: the decrypted payload and the headers it came with.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub device: String,
    pub payload: serde_json::Value,
    pub ttl: Option<String>,
    /// The `sub` claim of the sender's token.
    pub subject: String,
    /// The key the sender signed with (`k=`).
    pub sender_key: String,
}

/// A device's private key and auth secret, as its browser keeps them.
type DeviceKeys = (SecretKey, [u8; 16]);

#[derive(Clone, Default)]
pub struct PushService {
    pub base: String,
    devices: Arc<Mutex<HashMap<String, DeviceKeys>>>,
    gone: Arc<Mutex<HashSet<String>>>,
    pub delivered: Arc<Mutex<Vec<Delivered>>>,
    /// Requests refused, with the reason.
    pub refused: Arc<Mutex<Vec<String>>>,
}

fn key_bytes(seed: u8) -> [u8; 32] {
    let mut b = [seed; 32];
    b[0] = 1;
    b
}

impl PushService {
    pub async fn start() -> PushService {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let service = PushService { base: format!("http://{}", listener.local_addr().unwrap()), ..Default::default() };
        let app = Router::new().route("/push/{device}", post(receive)).with_state(service.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        service
    }

    /// A new browser subscription on this service; `seed` makes its keys.
    pub fn device(&self, name: &str, seed: u8) -> Device {
        let secret = SecretKey::from_slice(&key_bytes(seed)).unwrap();
        let auth_bytes = [seed.wrapping_mul(7); 16];
        self.devices.lock().unwrap().insert(name.to_string(), (secret.clone(), auth_bytes));
        Device {
            endpoint: format!("{}/push/{name}", self.base),
            p256dh: B64.encode(secret.public_key().to_encoded_point(false).as_bytes()),
            auth: B64.encode(auth_bytes),
            secret,
            auth_bytes,
        }
    }

    /// From now on the device's subscription is gone (the customer cleared it in the browser).
    pub fn forget(&self, name: &str) {
        self.gone.lock().unwrap().insert(name.to_string());
    }

    pub fn received(&self, device: &str) -> Vec<Delivered> {
        self.delivered.lock().unwrap().iter().filter(|d| d.device == device).cloned().collect()
    }
}

impl Device {
    /// Decrypts a body sent to this device, as the browser does.
    pub fn decrypt(&self, body: &[u8]) -> Result<Vec<u8>, String> {
        decrypt(&self.secret, &self.auth_bytes, body)
    }
}

fn decrypt(secret: &SecretKey, auth: &[u8; 16], body: &[u8]) -> Result<Vec<u8>, String> {
    if body.len() < 21 + 65 + 17 {
        return Err("body too short".into());
    }
    let salt = &body[..16];
    let record_size = u32::from_be_bytes(body[16..20].try_into().unwrap());
    let id_len = body[20] as usize;
    if id_len != 65 || record_size < 18 {
        return Err(format!("header: idlen {id_len}, rs {record_size}"));
    }
    let sender = &body[21..86];
    let sender_key = PublicKey::from_sec1_bytes(sender).map_err(|_| "keyid is not a P-256 key")?;
    let shared = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), sender_key.as_affine());
    let mut info = b"WebPush: info\0".to_vec();
    info.extend_from_slice(secret.public_key().to_encoded_point(false).as_bytes());
    info.extend_from_slice(sender);
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(auth), shared.raw_secret_bytes().as_slice()).expand(&info, &mut ikm).unwrap();
    let hk = Hkdf::<Sha256>::new(Some(salt), &ikm);
    let (mut cek, mut nonce) = ([0u8; 16], [0u8; 12]);
    hk.expand(b"Content-Encoding: aes128gcm\0", &mut cek).unwrap();
    hk.expand(b"Content-Encoding: nonce\0", &mut nonce).unwrap();
    let plain = Aes128Gcm::new_from_slice(&cek)
        .unwrap()
        .decrypt(Nonce::from_slice(&nonce), &body[86..])
        .map_err(|_| "the record does not open")?;
    // The last record ends with the delimiter 2, then zero padding.
    let end = plain.iter().rposition(|b| *b != 0).ok_or("no delimiter")?;
    if plain[end] != 2 {
        return Err(format!("delimiter {} instead of 2", plain[end]));
    }
    Ok(plain[..end].to_vec())
}

/// Checks `vapid t=…, k=…`: an ES256 JWT for this service's origin, valid now and for at most a
/// day, signed by `k`. Returns (subject, k).
fn check_vapid(header: &str, origin: &str) -> Result<(String, String), String> {
    let rest = header.strip_prefix("vapid t=").ok_or("not a vapid authorization")?;
    let (token, k) = rest.split_once(", k=").ok_or("no k=")?;
    let parts: Vec<&str> = token.split('.').collect();
    let [head, claims, sig] = parts.as_slice() else { return Err("token is not three parts".into()) };
    let head: serde_json::Value =
        serde_json::from_slice(&B64.decode(head).map_err(|_| "header base64")?).map_err(|_| "header json")?;
    if head["alg"] != "ES256" {
        return Err(format!("alg {}", head["alg"]));
    }
    let key = VerifyingKey::from_sec1_bytes(&B64.decode(k).map_err(|_| "k base64")?).map_err(|_| "k is not a key")?;
    let signature = Signature::from_slice(&B64.decode(sig).map_err(|_| "signature base64")?).map_err(|_| "signature")?;
    key.verify(format!("{head_b64}.{claims}", head_b64 = parts[0]).as_bytes(), &signature).map_err(|_| "bad signature")?;
    let claims: serde_json::Value =
        serde_json::from_slice(&B64.decode(claims).map_err(|_| "claims base64")?).map_err(|_| "claims json")?;
    if claims["aud"] != origin {
        return Err(format!("aud {} is not {origin}", claims["aud"]));
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let exp = claims["exp"].as_i64().ok_or("no exp")?;
    if exp <= now || exp > now + 86_400 {
        return Err(format!("exp {exp} outside the next day"));
    }
    Ok((claims["sub"].as_str().unwrap_or("").to_string(), k.to_string()))
}

async fn receive(State(s): State<PushService>, Path(device): Path<String>, h: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| h.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    if s.gone.lock().unwrap().contains(&device) {
        return StatusCode::GONE;
    }
    let refuse = |why: String| {
        s.refused.lock().unwrap().push(why);
        StatusCode::BAD_REQUEST
    };
    let (subject, sender_key) = match check_vapid(&header("authorization").unwrap_or_default(), &s.base) {
        Ok(v) => v,
        Err(e) => {
            s.refused.lock().unwrap().push(e);
            return StatusCode::UNAUTHORIZED;
        }
    };
    if header("content-encoding").as_deref() != Some("aes128gcm") {
        return refuse("content-encoding".into());
    }
    if header("ttl").is_none() {
        return refuse("no TTL".into());
    }
    let Some((secret, auth)) = s.devices.lock().unwrap().get(&device).cloned() else { return StatusCode::NOT_FOUND };
    let plain = match decrypt(&secret, &auth, &body) {
        Ok(p) => p,
        Err(e) => return refuse(e),
    };
    let payload = serde_json::from_slice(&plain).unwrap_or(serde_json::Value::Null);
    s.delivered.lock().unwrap().push(Delivered { device, payload, ttl: header("ttl"), subject, sender_key });
    StatusCode::CREATED
}
