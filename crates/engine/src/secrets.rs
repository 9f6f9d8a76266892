//! Secrets at rest: provider keys and passwords are sealed with XChaCha20-Poly1305 under the
//! platform key before they reach the database, so a copy of the database (a backup, a replica)
//! does not carry them. The platform key comes from `PHILIA_SECRET_KEY` (64 hex digits), else
//! from a key file created on first use beside the SQLite file (`philia.db.key`) or, with
//! PostgreSQL, `philia.key` in the working directory. Lose the key and sealed settings must be
//! entered again; nothing else depends on it.

use crate::{EngineError, Result};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

const PREFIX: &str = "v1.";

#[derive(Clone)]
pub struct Vault {
    source: Arc<KeySource>,
    key: Arc<OnceLock<std::result::Result<[u8; 32], String>>>,
}

enum KeySource {
    Fixed([u8; 32]),
    Environment(String),
    File(PathBuf),
}

fn parse_hex_key(text: &str) -> std::result::Result<[u8; 32], String> {
    let text = text.trim();
    if text.len() != 64 || !text.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err("the secret key must be 64 hexadecimal digits (32 bytes)".into());
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).expect("checked hex");
    }
    Ok(key)
}

/// `bytes` random bytes in hex: tokens, passwords and keys that must not be guessed.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut buf);
    hex(&buf)
}

/// Compares two secrets in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

fn load_or_create(path: &PathBuf) -> std::result::Result<[u8; 32], String> {
    use std::io::Write;
    match std::fs::read_to_string(path) {
        Ok(text) => return parse_hex_key(&text).map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(format!("{}: {e}", path.display())),
        Err(_) => {}
    }
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut f) => {
            f.write_all(format!("{}\n", hex(&key)).as_bytes()).map_err(|e| format!("{}: {e}", path.display()))?;
            tracing::info!(path = %path.display(), "created the platform secret key; keep it with backups of the database");
            Ok(key)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            parse_hex_key(&std::fs::read_to_string(path).map_err(|e| e.to_string())?)
        }
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

impl Vault {
    /// The key source for a database URL, as described at the top of this module.
    pub fn for_database(url: &str) -> Vault {
        let source = match std::env::var("PHILIA_SECRET_KEY") {
            Ok(k) if !k.trim().is_empty() => KeySource::Environment(k),
            _ => match url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
                Some(file) if !file.starts_with(":memory:") => {
                    let file = file.split('?').next().unwrap_or(file);
                    KeySource::File(PathBuf::from(format!("{file}.key")))
                }
                _ => KeySource::File(PathBuf::from("philia.key")),
            },
        };
        Vault { source: Arc::new(source), key: Default::default() }
    }

    /// Where the key comes from, to tell an operator what to keep with a backup.
    pub fn source(&self) -> String {
        match self.source.as_ref() {
            KeySource::Fixed(_) => "a key given at start".into(),
            KeySource::Environment(_) => "PHILIA_SECRET_KEY".into(),
            KeySource::File(path) => format!("the key file {}", path.display()),
        }
    }

    /// A vault with the key given as 64 hexadecimal digits (as in `PHILIA_SECRET_KEY`).
    pub fn from_hex(key: &str) -> Result<Vault> {
        let key = parse_hex_key(key).map_err(EngineError::Io)?;
        Ok(Vault { source: Arc::new(KeySource::Fixed(key)), key: Default::default() })
    }

    /// A vault with a key of its own, kept in memory only.
    pub fn ephemeral() -> Vault {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        Vault { source: Arc::new(KeySource::Fixed(key)), key: Default::default() }
    }

    fn cipher(&self) -> Result<XChaCha20Poly1305> {
        let key = self.key.get_or_init(|| match &*self.source {
            KeySource::Fixed(k) => Ok(*k),
            KeySource::Environment(text) => parse_hex_key(text).map_err(|e| format!("PHILIA_SECRET_KEY: {e}")),
            KeySource::File(path) => load_or_create(path),
        });
        match key {
            Ok(k) => Ok(XChaCha20Poly1305::new(k.into())),
            Err(e) => Err(EngineError::Io(format!("the platform secret key is unusable: {e}"))),
        }
    }

    /// A keyed digest of `data` for `purpose` (HMAC-SHA256 under a key derived from the platform
    /// key), as 32 hex digits: tokens in links that only this platform can have made.
    pub fn sign(&self, purpose: &str, data: &str) -> Result<String> {
        use hmac::{Hmac, Mac};
        let key = match self.key.get() {
            Some(Ok(k)) => *k,
            _ => {
                self.cipher()?;
                self.key.get().and_then(|k| k.as_ref().ok()).copied().expect("the key just loaded")
            }
        };
        // A key of its own for signing, derived from the sealing key.
        let signing = <sha2::Sha256 as sha2::Digest>::digest([b"philia-signing-key:".as_slice(), &key].concat());
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&signing).expect("any key length");
        mac.update(purpose.as_bytes());
        mac.update(b":");
        mac.update(data.as_bytes());
        Ok(hex(&mac.finalize().into_bytes()[..16]))
    }

    /// Seals `plain`, bound to `context` (the tenant and purpose), so a sealed value copied to
    /// another tenant's row does not open there.
    pub fn seal(&self, plain: &str, context: &str) -> Result<String> {
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher()?
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plain.as_bytes(), aad: context.as_bytes() })
            .map_err(|_| EngineError::Io("sealing a secret failed".into()))?;
        Ok(format!("{PREFIX}{}{}", hex(&nonce), hex(&sealed)))
    }

    pub fn open(&self, sealed: &str, context: &str) -> Result<String> {
        let broken = || EngineError::Io("a sealed setting does not open with this platform key".into());
        let bytes = sealed.strip_prefix(PREFIX).and_then(unhex).filter(|b| b.len() > 24).ok_or_else(broken)?;
        let (nonce, body) = bytes.split_at(24);
        let plain = self
            .cipher()?
            .decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad: context.as_bytes() })
            .map_err(|_| broken())?;
        String::from_utf8(plain).map_err(|_| broken())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_only_in_its_context() {
        let v = Vault::ephemeral();
        let sealed = v.seal("api-key-123", "tenant:5:sms").unwrap();
        assert!(!sealed.contains("api-key-123"));
        assert_eq!(v.open(&sealed, "tenant:5:sms").unwrap(), "api-key-123");
        assert!(v.open(&sealed, "tenant:6:sms").is_err());
        assert!(Vault::ephemeral().open(&sealed, "tenant:5:sms").is_err());
        // Each sealing uses a new nonce.
        assert_ne!(v.seal("x", "c").unwrap(), v.seal("x", "c").unwrap());
    }

    #[test]
    fn creates_and_reuses_a_key_file() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("p.db").display());
        let a = Vault { source: Arc::new(KeySource::File(dir.path().join("p.db.key"))), key: Default::default() };
        let sealed = a.seal("secret", "c").unwrap();
        assert!(dir.path().join("p.db.key").exists());
        // A second process (a new vault for the same database) opens what the first sealed.
        let b = Vault { source: Arc::new(KeySource::File(dir.path().join("p.db.key"))), key: Default::default() };
        assert_eq!(b.open(&sealed, "c").unwrap(), "secret");
        assert!(
            matches!(&*Vault::for_database(&url).source, KeySource::File(p) if p.ends_with("p.db.key"))
                || std::env::var("PHILIA_SECRET_KEY").is_ok()
        );
    }
}
