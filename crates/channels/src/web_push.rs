//! Web Push: a message encrypted for one browser (RFC 8291, `aes128gcm` of RFC 8188) and posted
//! to the push service the browser named in its subscription, signed with the sender's VAPID key
//! (RFC 8292). The push service answers 201 when it took the message and 404 or 410 when the
//! subscription is gone.

use crate::{Accepted, Secret, SendError, by_status, unreachable};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes128Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hkdf::Hkdf;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// A sender's VAPID identity. The public key is what browsers subscribe with
/// (`applicationServerKey`); a subscription made with one key only takes messages signed by it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebPush {
    /// Who to contact about these messages: `mailto:` or `https:` (push services may ask).
    pub subject: String,
    /// The P-256 public key, uncompressed, base64url.
    pub public_key: String,
    /// The P-256 private scalar, base64url.
    pub private_key: Secret,
}

/// Where one browser takes messages: its subscription as `PushSubscription.toJSON()` gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushTarget {
    pub endpoint: String,
    /// The browser's P-256 public key, uncompressed, base64url.
    pub p256dh: String,
    /// The browser's 16-byte authentication secret, base64url.
    pub auth: String,
}

impl PushTarget {
    /// Problems with a subscription a browser handed over, as (field, message). Push services
    /// are reached over https; plain http is taken only on this machine's own addresses.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        match reqwest::Url::parse(&self.endpoint) {
            Ok(url) if url.scheme() == "https" && url.host_str().is_some() => {}
            Ok(url) if url.scheme() == "http" && is_loopback(&url) => {}
            _ => out.push(("endpoint", "must be an https address".to_string())),
        }
        match decode("p256dh", &self.p256dh) {
            Ok(b) if PublicKey::from_sec1_bytes(&b).is_ok() && b.len() == 65 => {}
            Ok(_) => out.push(("p256dh", "is not an uncompressed P-256 public key".to_string())),
            Err(e) => out.push(("p256dh", e)),
        }
        match decode("auth", &self.auth) {
            Ok(b) if b.len() == 16 => {}
            Ok(_) => out.push(("auth", "must be 16 bytes".to_string())),
            Err(e) => out.push(("auth", e)),
        }
        out
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The largest payload a push service must take is 4096 bytes of body; the header and the
/// padding delimiter and tag leave this much for the message itself.
pub const MAX_PAYLOAD: usize = 4096 - 86 - 17;
/// How long the push service keeps a message for a browser that is offline.
const TTL_SECONDS: u32 = 4 * 86_400;
/// How long a VAPID signature is valid (RFC 8292 allows at most 24 hours).
const TOKEN_SECONDS: i64 = 12 * 3600;

fn decode(field: &str, value: &str) -> Result<Vec<u8>, String> {
    B64.decode(value.trim().trim_end_matches('=')).map_err(|_| format!("{field} is not base64url"))
}

fn random_secret() -> SecretKey {
    use rand::RngCore;
    loop {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        // A scalar of zero or past the group order is refused; the loop almost never repeats.
        if let Ok(key) = SecretKey::from_slice(&bytes) {
            return key;
        }
    }
}

fn public_bytes(key: &PublicKey) -> Vec<u8> {
    key.to_encoded_point(false).as_bytes().to_vec()
}

impl WebPush {
    /// A new key pair.
    pub fn generate(subject: String) -> Self {
        let secret = random_secret();
        WebPush {
            subject,
            public_key: B64.encode(public_bytes(&secret.public_key())),
            private_key: Secret::new(B64.encode(secret.to_bytes())),
        }
    }

    pub(crate) fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if !(self.subject.starts_with("mailto:") || self.subject.starts_with("https://")) {
            out.push(("subject", "must be a mailto: or https: address".to_string()));
        }
        match self.signing_key() {
            Err(e) => out.push(("private_key", e)),
            Ok(key) => {
                let public = B64.encode(key.verifying_key().to_encoded_point(false).as_bytes());
                if public != self.public_key.trim_end_matches('=') {
                    out.push(("public_key", "does not belong to private_key".to_string()));
                }
            }
        }
        out
    }

    fn signing_key(&self) -> Result<SigningKey, String> {
        let bytes = decode("private_key", self.private_key.expose())?;
        SigningKey::from_slice(&bytes).map_err(|_| "is not a P-256 private key".to_string())
    }

    /// The `Authorization` header for a request to `endpoint`: a JWT naming the push service's
    /// origin, signed with ES256, and the public key that checks it.
    pub fn authorization(&self, endpoint: &str, now_seconds: i64) -> Result<String, SendError> {
        let url = reqwest::Url::parse(endpoint).map_err(|_| SendError::BadRecipient("endpoint is not a URL".into()))?;
        let audience = url.origin().ascii_serialization();
        let header = B64.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({ "aud": audience, "exp": now_seconds + TOKEN_SECONDS, "sub": self.subject });
        let claims = B64.encode(claims.to_string());
        let signing_input = format!("{header}.{claims}");
        let key = self.signing_key().map_err(|e| SendError::Misconfigured(format!("web push private_key {e}")))?;
        let signature: Signature = key.sign(signing_input.as_bytes());
        let token = format!("{signing_input}.{}", B64.encode(signature.to_bytes()));
        Ok(format!("vapid t={token}, k={}", self.public_key.trim_end_matches('=')))
    }

    /// Encrypts and posts `payload` to one browser.
    pub(crate) async fn send(
        &self,
        http: &reqwest::Client,
        target: &PushTarget,
        payload: &[u8],
        now_seconds: i64,
    ) -> Result<Accepted, SendError> {
        let mut salt = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut salt);
        let body = encrypt(payload, target, &random_secret(), &salt).map_err(SendError::BadRecipient)?;
        let res = http
            .post(&target.endpoint)
            .header("Authorization", self.authorization(&target.endpoint, now_seconds)?)
            .header("TTL", TTL_SECONDS.to_string())
            .header("Urgency", "normal")
            .header(reqwest::header::CONTENT_ENCODING, "aes128gcm")
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(body)
            .send()
            .await
            .map_err(unreachable)?;
        let status = res.status();
        // The push service names the message it keeps in `Location`.
        let location = res.headers().get(reqwest::header::LOCATION).and_then(|l| l.to_str().ok()).map(str::to_string);
        if status.is_success() {
            return Ok(Accepted { provider_id: location, cost: None });
        }
        let text = res.text().await.unwrap_or_default();
        match status.as_u16() {
            404 | 410 => Err(SendError::BadRecipient(format!("subscription gone (HTTP {})", status.as_u16()))),
            // The payload is ours: too large for any browser, so never retried.
            413 => Err(SendError::Refused("message too large for web push".into())),
            _ => Err(by_status(status, &text)),
        }
    }
}

/// The body of an `aes128gcm` push message (RFC 8291 §3–4): a header with the salt, record size
/// and the sender's one-time public key, then one record sealed with a key both sides derive from
/// ECDH between that one-time key and the browser's, mixed with the browser's auth secret.
/// `sender` and `salt` are fresh for every message; tests pass the RFC's to check the bytes.
pub fn encrypt(payload: &[u8], target: &PushTarget, sender: &SecretKey, salt: &[u8; 16]) -> Result<Vec<u8>, String> {
    if payload.len() > MAX_PAYLOAD {
        return Err(format!("payload is {} bytes, at most {MAX_PAYLOAD}", payload.len()));
    }
    let ua_public_bytes = decode("p256dh", &target.p256dh)?;
    let ua_public = PublicKey::from_sec1_bytes(&ua_public_bytes).map_err(|_| "p256dh is not a P-256 public key".to_string())?;
    let auth = decode("auth", &target.auth)?;
    if auth.len() != 16 {
        return Err("auth must be 16 bytes".into());
    }
    let as_public = public_bytes(&sender.public_key());
    let shared = p256::ecdh::diffie_hellman(sender.to_nonzero_scalar(), ua_public.as_affine());

    // IKM = HKDF(salt = auth, ikm = ECDH, info = "WebPush: info" 0x00 ua_public as_public, 32).
    let mut key_info = Vec::with_capacity(14 + 65 + 65);
    key_info.extend_from_slice(b"WebPush: info\0");
    key_info.extend_from_slice(&ua_public_bytes);
    key_info.extend_from_slice(&as_public);
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(&auth), shared.raw_secret_bytes().as_slice())
        .expand(&key_info, &mut ikm)
        .expect("32 bytes is a valid HKDF length");

    let content = Hkdf::<Sha256>::new(Some(salt), &ikm);
    let mut cek = [0u8; 16];
    content.expand(b"Content-Encoding: aes128gcm\0", &mut cek).expect("16 bytes is a valid HKDF length");
    let mut nonce = [0u8; 12];
    content.expand(b"Content-Encoding: nonce\0", &mut nonce).expect("12 bytes is a valid HKDF length");

    // One record, so it is the last: the delimiter 0x02 follows the payload, with no padding.
    let mut record = payload.to_vec();
    record.push(2);
    let cipher = Aes128Gcm::new_from_slice(&cek).expect("a 16-byte key");
    let sealed = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: &record, aad: b"" })
        .map_err(|_| "encryption failed".to_string())?;

    // The record size only has to cover the one record; 4096 is what browsers expect.
    let record_size: u32 = 4096;
    let mut body = Vec::with_capacity(16 + 4 + 1 + as_public.len() + sealed.len());
    body.extend_from_slice(salt);
    body.extend_from_slice(&record_size.to_be_bytes());
    body.push(as_public.len() as u8);
    body.extend_from_slice(&as_public);
    body.extend_from_slice(&sealed);
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::VerifyingKey;
    use p256::ecdsa::signature::Verifier;

    fn bytes(s: &str) -> Vec<u8> {
        B64.decode(s).unwrap()
    }

    /// RFC 8291 Appendix A: the published keys, salt and message give the published body.
    #[test]
    fn encrypts_the_rfc_example_byte_for_byte() {
        let sender = SecretKey::from_slice(&bytes("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw")).unwrap();
        assert_eq!(
            B64.encode(public_bytes(&sender.public_key())),
            "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8"
        );
        let target = PushTarget {
            endpoint: "https://push.example.net/push/JzLQ3raZJfFBR0aqvOMsLrt54w4rJUsV".into(),
            p256dh: "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4".into(),
            auth: "BTBZMqHH6r4Tts7J_aSIgg".into(),
        };
        let salt: [u8; 16] = bytes("DGv6ra1nlYgDCS1FRnbzlw").try_into().unwrap();
        let body = encrypt(b"When I grow up, I want to be a watermelon", &target, &sender, &salt).unwrap();
        assert_eq!(
            B64.encode(&body[..86]),
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8"
        );
        assert_eq!(B64.encode(&body[86..]), "8pfeW0KbunFT06SuDKoJH9Ql87S1QUrdirN6GcG7sFz1y1sqLgVi1VhjVkHsUoEsbI_0LpXMuGvnzQ");
    }

    #[test]
    fn refuses_bad_subscriptions_and_oversized_payloads() {
        let sender = random_secret();
        let good = WebPush::generate("mailto:a@b.c".into());
        let target =
            |p256dh: &str, auth: &str| PushTarget { endpoint: "https://x/y".into(), p256dh: p256dh.into(), auth: auth.into() };
        assert!(
            encrypt(b"x", &target("not base64!", "BTBZMqHH6r4Tts7J_aSIgg"), &sender, &[0; 16]).unwrap_err().contains("p256dh")
        );
        assert!(encrypt(b"x", &target(&good.public_key, "AAAA"), &sender, &[0; 16]).unwrap_err().contains("16 bytes"));
        let big = vec![b'a'; MAX_PAYLOAD + 1];
        assert!(
            encrypt(&big, &target(&good.public_key, "BTBZMqHH6r4Tts7J_aSIgg"), &sender, &[0; 16])
                .unwrap_err()
                .contains("at most")
        );
        let fits = vec![b'a'; MAX_PAYLOAD];
        assert_eq!(encrypt(&fits, &target(&good.public_key, "BTBZMqHH6r4Tts7J_aSIgg"), &sender, &[0; 16]).unwrap().len(), 4096);
    }

    #[test]
    fn the_vapid_token_names_the_origin_and_verifies_with_the_public_key() {
        let key = WebPush::generate("mailto:club@example.com".into());
        assert!(key.problems().is_empty());
        let header = key.authorization("https://fcm.googleapis.com/fcm/send/abc:def", 1_700_000_000).unwrap();
        let (token, k) = header.strip_prefix("vapid t=").unwrap().split_once(", k=").unwrap();
        assert_eq!(k, key.public_key);
        let parts: Vec<&str> = token.split('.').collect();
        let claims: serde_json::Value = serde_json::from_slice(&bytes(parts[1])).unwrap();
        assert_eq!(claims["aud"], "https://fcm.googleapis.com");
        assert_eq!(claims["exp"], 1_700_000_000 + TOKEN_SECONDS);
        assert_eq!(claims["sub"], "mailto:club@example.com");
        let verifier = VerifyingKey::from_sec1_bytes(&bytes(k)).unwrap();
        let signature = Signature::from_slice(&bytes(parts[2])).unwrap();
        verifier.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature).unwrap();
        let other = WebPush::generate("mailto:club@example.com".into());
        let wrong = VerifyingKey::from_sec1_bytes(&bytes(&other.public_key)).unwrap();
        assert!(wrong.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature).is_err());
    }

    #[test]
    fn subscriptions_are_checked_field_by_field() {
        let key = WebPush::generate("mailto:a@b.c".into()).public_key;
        let t = |endpoint: &str, p256dh: &str, auth: &str| {
            PushTarget { endpoint: endpoint.into(), p256dh: p256dh.into(), auth: auth.into() }
                .problems()
                .into_iter()
                .map(|(f, _)| f)
                .collect::<Vec<_>>()
        };
        assert!(t("https://fcm.googleapis.com/fcm/send/x", &key, "BTBZMqHH6r4Tts7J_aSIgg").is_empty());
        assert!(t("http://127.0.0.1:9000/push/1", &key, "BTBZMqHH6r4Tts7J_aSIgg").is_empty());
        assert_eq!(t("http://push.example.com/x", "AAAA", "AA"), ["endpoint", "p256dh", "auth"]);
        assert_eq!(t("javascript:alert(1)", &key, "%%"), ["endpoint", "auth"]);
    }

    #[test]
    fn settings_problems_name_the_field() {
        let mut key = WebPush::generate("club@example.com".into());
        assert_eq!(key.problems()[0].0, "subject");
        key.subject = "https://club.example.com".into();
        key.public_key = WebPush::generate(key.subject.clone()).public_key;
        assert_eq!(key.problems()[0].0, "public_key");
        key.private_key = Secret::new("short");
        assert_eq!(key.problems()[0].0, "private_key");
    }
}
