//! Sepidar's e-commerce web service (API level 111; its generation version, 101 today, is asked
//! for): a device registers once with its serial, a user signs in, then customers, items and the
//! current fiscal year's invoices are read.
//!
//! The handshake, as the service defines it: the AES key is the device serial written twice
//! (8 characters give AES-128, 16 give AES-256) and the integration id is the serial's first
//! four digits. `Devices/Register` takes the integration id encrypted with that key (CBC, PKCS#7,
//! a random IV) and answers with the service's RSA public key (`<RSAKeyValue>` XML) encrypted
//! the same way. Every later request carries `GenerationVersion`, `IntegrationID`, a fresh
//! `ArbitraryCode` (a UUID) and `EncArbitraryCode`: the UUID's 16 bytes encrypted with that
//! public key (PKCS#1 v1.5), base64. `Users/Login` takes the user name and the MD5 of the
//! password (hex) and gives a token for `Authorization: Bearer`.

use crate::PullError;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit, block_padding::Pkcs7};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use md5::{Digest, Md5};
use rand::RngCore;
use rsa::{BigUint, Pkcs1v15Encrypt, RsaPublicKey};
use std::time::Duration;

/// The device key: the serial twice.
fn device_key(serial: &str) -> Result<Vec<u8>, PullError> {
    let key = format!("{serial}{serial}").into_bytes();
    match key.len() {
        16 | 32 => Ok(key),
        _ => Err(PullError::Format("the device serial must be 8 or 16 characters".into())),
    }
}

/// AES-CBC with PKCS#7 under a 16- or 32-byte key.
pub fn aes_encrypt(key: &[u8], iv: &[u8; 16], plain: &[u8]) -> Vec<u8> {
    match key.len() {
        16 => cbc::Encryptor::<aes::Aes128>::new(key.into(), iv.into()).encrypt_padded_vec_mut::<Pkcs7>(plain),
        _ => cbc::Encryptor::<aes::Aes256>::new(key.into(), iv.into()).encrypt_padded_vec_mut::<Pkcs7>(plain),
    }
}

pub fn aes_decrypt(key: &[u8], iv: &[u8], cipher: &[u8]) -> Result<Vec<u8>, PullError> {
    let bad = || PullError::Format("the encrypted answer does not open with the device key".into());
    let iv: &[u8; 16] = iv.try_into().map_err(|_| bad())?;
    match key.len() {
        16 => cbc::Decryptor::<aes::Aes128>::new(key.into(), iv.into()).decrypt_padded_vec_mut::<Pkcs7>(cipher),
        _ => cbc::Decryptor::<aes::Aes256>::new(key.into(), iv.into()).decrypt_padded_vec_mut::<Pkcs7>(cipher),
    }
    .map_err(|_| bad())
}

/// The MD5 of a password as Sepidar compares it: lowercase hex.
pub fn password_hash(password: &str) -> String {
    Md5::digest(password.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The text between `<tag>` and `</tag>`.
fn xml_value<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let start = xml.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(xml[start..end].trim())
}

/// Reads `<RSAKeyValue><Modulus>…</Modulus><Exponent>…</Exponent></RSAKeyValue>`.
pub fn public_key_from_xml(xml: &str) -> Result<RsaPublicKey, PullError> {
    let bad = |what: &str| PullError::Format(format!("the service's public key: {what}"));
    let part = |tag: &str| -> Result<BigUint, PullError> {
        let text = xml_value(xml, tag).ok_or_else(|| bad(&format!("no {tag}")))?;
        let bytes = B64.decode(text).map_err(|_| bad(&format!("{tag} is not base64")))?;
        Ok(BigUint::from_bytes_be(&bytes))
    };
    RsaPublicKey::new(part("Modulus")?, part("Exponent")?).map_err(|e| bad(&e.to_string()))
}

#[derive(Clone)]
pub struct SepidarClient {
    http: reqwest::Client,
    base: String,
    integration_id: String,
    generation: String,
    public_key: RsaPublicKey,
    token: String,
}

fn unreachable(e: reqwest::Error) -> PullError {
    PullError::Unreachable(e.without_url().to_string())
}

/// Reads an answer: the JSON on success, the service's `Message` as the refusal otherwise.
async fn answer(res: reqwest::Response) -> Result<serde_json::Value, PullError> {
    let status = res.status();
    let body = res.text().await.map_err(unreachable)?;
    let json = serde_json::from_str::<serde_json::Value>(&body);
    if !status.is_success() {
        let detail = json
            .ok()
            .and_then(|v| v.get("Message").and_then(|m| m.as_str()).map(str::to_string))
            .unwrap_or_else(|| body.chars().take(200).collect());
        return Err(PullError::Refused { status: status.as_u16(), detail });
    }
    json.map_err(|e| PullError::Format(format!("expected JSON: {e}")))
}

impl SepidarClient {
    /// Registers the device, signs in and keeps what later requests need. `base` is the
    /// service's address, e.g. `http://192.168.1.5:7373` (with or without `/api`).
    pub async fn connect(base: &str, serial: &str, user: &str, password: &str) -> Result<SepidarClient, PullError> {
        // Whole fiscal years come in one answer.
        let http = crate::http_client(Duration::from_secs(120));
        let base = base.trim_end_matches('/').trim_end_matches("/api").to_string();
        let serial = serial.trim();
        let integration_id: String = serial.chars().take(4).collect();
        if integration_id.len() != 4 || !integration_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PullError::Format("the device serial must start with the four-digit integration id".into()));
        }
        let key = device_key(serial)?;

        let version =
            answer(http.get(format!("{base}/api/General/GenerationVersion/")).send().await.map_err(unreachable)?).await?;
        let generation = version["GenerationVersion"]
            .as_i64()
            .ok_or_else(|| PullError::Format("GenerationVersion is missing".into()))?
            .to_string();

        let mut iv = [0u8; 16];
        rand::rng().fill_bytes(&mut iv);
        let register = serde_json::json!({
            "Cypher": B64.encode(aes_encrypt(&key, &iv, integration_id.as_bytes())),
            "IV": B64.encode(iv),
            "IntegrationID": integration_id.parse::<i64>().expect("four digits"),
        });
        let device =
            answer(http.post(format!("{base}/api/Devices/Register/")).json(&register).send().await.map_err(unreachable)?).await?;
        let field = |name: &str| -> Result<Vec<u8>, PullError> {
            let text = device[name].as_str().ok_or_else(|| PullError::Format(format!("{name} is missing")))?;
            B64.decode(text).map_err(|_| PullError::Format(format!("{name} is not base64")))
        };
        let xml = aes_decrypt(&key, &field("IV")?, &field("Cypher")?)?;
        let public_key = public_key_from_xml(&String::from_utf8_lossy(&xml))?;

        let mut client = SepidarClient { http, base, integration_id, generation, public_key, token: String::new() };
        let login = serde_json::json!({ "UserName": user, "PasswordHash": password_hash(password) });
        let signed_in = answer(
            client
                .signed(client.http.post(format!("{}/api/Users/Login/", client.base)))?
                .json(&login)
                .send()
                .await
                .map_err(unreachable)?,
        )
        .await?;
        client.token =
            signed_in["Token"].as_str().filter(|t| !t.is_empty()).ok_or_else(|| PullError::Format("no Token".into()))?.into();
        Ok(client)
    }

    /// Adds the headers every request after registration carries.
    fn signed(&self, req: reqwest::RequestBuilder) -> Result<reqwest::RequestBuilder, PullError> {
        let mut code = [0u8; 16];
        rand::rng().fill_bytes(&mut code);
        // A version-4 UUID: its text goes in the clear, its 16 bytes encrypted.
        code[6] = (code[6] & 0x0f) | 0x40;
        code[8] = (code[8] & 0x3f) | 0x80;
        let hex: String = code.iter().map(|b| format!("{b:02x}")).collect();
        let text = format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32]);
        let sealed = self
            .public_key
            .encrypt(&mut rsa::rand_core::OsRng, Pkcs1v15Encrypt, &code)
            .map_err(|e| PullError::Format(format!("encrypting the request code: {e}")))?;
        let mut req = req
            .header("GenerationVersion", &self.generation)
            .header("IntegrationID", &self.integration_id)
            .header("ArbitraryCode", text)
            .header("EncArbitraryCode", B64.encode(sealed));
        if !self.token.is_empty() {
            req = req.bearer_auth(&self.token);
        }
        Ok(req)
    }

    /// A listing (`Customers`, `Items`, `Invoices`): each record's JSON as the service wrote it.
    pub async fn list(&self, resource: &str) -> Result<Vec<serde_json::Value>, PullError> {
        let req = self.signed(self.http.get(format!("{}/api/{resource}/", self.base)))?;
        match answer(req.send().await.map_err(unreachable)?).await? {
            serde_json::Value::Array(items) => Ok(items),
            _ => Err(PullError::Format(format!("{resource}: expected a JSON list"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_device_key_round_trips_and_refuses_other_lengths() {
        let key = device_key("10051234").unwrap();
        assert_eq!(key, b"1005123410051234");
        let iv = [7u8; 16];
        let sealed = aes_encrypt(&key, &iv, b"1005");
        assert_eq!(sealed.len(), 16, "one padded block");
        assert_eq!(aes_decrypt(&key, &iv, &sealed).unwrap(), b"1005");
        assert!(aes_decrypt(b"9999999999999999", &iv, &sealed).is_err());
        assert_eq!(device_key("1005123410051234").unwrap().len(), 32);
        assert!(device_key("12345").is_err());
    }

    #[test]
    fn passwords_hash_as_md5_hex() {
        assert_eq!(password_hash("password"), "5f4dcc3b5aa765d61d8327deb882cf99");
    }

    #[test]
    fn the_public_key_reads_from_its_xml() {
        use rsa::traits::PublicKeyParts;
        let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 512).unwrap();
        let xml = format!(
            "<RSAKeyValue><Modulus>{}</Modulus><Exponent>{}</Exponent></RSAKeyValue>",
            B64.encode(private.n().to_bytes_be()),
            B64.encode(private.e().to_bytes_be())
        );
        let public = public_key_from_xml(&xml).unwrap();
        let sealed = public.encrypt(&mut rsa::rand_core::OsRng, Pkcs1v15Encrypt, b"sixteen bytes!!!").unwrap();
        assert_eq!(private.decrypt(Pkcs1v15Encrypt, &sealed).unwrap(), b"sixteen bytes!!!");
        assert!(public_key_from_xml("<RSAKeyValue><Modulus>AQAB</Modulus></RSAKeyValue>").is_err());
        assert!(public_key_from_xml("<RSAKeyValue><Modulus>!!</Modulus><Exponent>AQAB</Exponent></RSAKeyValue>").is_err());
    }
}
