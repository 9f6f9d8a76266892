//! The token a web shop puts in its pages to show the club widget to its signed-in customer:
//! `payload.signature`, both base64url without padding; the payload is JSON naming the customer
//! as the shop knows them and when the token expires; the signature is HMAC-SHA256 of the
//! payload's text under the connection's secret (the one its webhooks are signed with).

use crate::issue::Issue;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Longest a token may live: a shop makes one per page view, so a leaked one is short-lived.
pub const MAX_LIFETIME_SECS: i64 = 24 * 3600;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ShopClaims {
    /// The shop's id of the customer.
    pub customer_id: Option<String>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Unix seconds after which the token is refused.
    pub exp: i64,
}

fn mac(secret: &str) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length")
}

/// Makes a token (what the shop's code does; here for tests and examples).
pub fn sign_shop_token(claims: &ShopClaims, secret: &str) -> String {
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims serialise"));
    let mut m = mac(secret);
    m.update(payload.as_bytes());
    format!("{payload}.{}", URL_SAFE_NO_PAD.encode(m.finalize().into_bytes()))
}

fn refused(message: &str, fa: &str) -> Issue {
    Issue::new("invalid_token", message.to_string(), fa.to_string())
}

/// Checks a token's signature (constant time) and lifetime at `now` (Unix seconds).
pub fn verify_shop_token(token: &str, secret: &str, now: i64) -> Result<ShopClaims, Issue> {
    let (payload, signature) = token.trim().split_once('.').ok_or_else(|| refused("is not a shop token", "توکن فروشگاه نیست"))?;
    let signature =
        URL_SAFE_NO_PAD.decode(signature).map_err(|_| refused("has an unreadable signature", "امضای توکن خوانا نیست"))?;
    let mut m = mac(secret);
    m.update(payload.as_bytes());
    m.verify_slice(&signature).map_err(|_| refused("is not signed with this connection's secret", "امضای توکن درست نیست"))?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).map_err(|_| refused("has an unreadable payload", "محتوای توکن خوانا نیست"))?;
    let claims: ShopClaims =
        serde_json::from_slice(&bytes).map_err(|_| refused("has an unreadable payload", "محتوای توکن خوانا نیست"))?;
    if claims.exp <= now {
        return Err(refused("has expired", "توکن منقضی شده است"));
    }
    if claims.exp > now + MAX_LIFETIME_SECS {
        return Err(refused("lives longer than a day", "عمر توکن بیش از یک روز است"));
    }
    if [&claims.customer_id, &claims.mobile, &claims.email].iter().all(|v| v.as_deref().is_none_or(|s| s.trim().is_empty())) {
        return Err(refused("names no customer", "مشتری در توکن مشخص نیست"));
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> ShopClaims {
        ShopClaims { customer_id: Some("25".into()), email: Some("a@b.example".into()), exp, ..Default::default() }
    }

    #[test]
    fn a_signed_token_verifies_and_tampering_does_not() {
        let t = sign_shop_token(&claims(1_000 + 600), "s3cret-of-shop");
        assert_eq!(verify_shop_token(&t, "s3cret-of-shop", 1_000).unwrap().customer_id.as_deref(), Some("25"));
        assert!(verify_shop_token(&t, "another", 1_000).is_err());
        let forged = sign_shop_token(&ShopClaims { customer_id: Some("26".into()), ..claims(1_600) }, "guess");
        let mixed = format!("{}.{}", forged.split('.').next().unwrap(), t.split('.').nth(1).unwrap());
        assert!(verify_shop_token(&mixed, "s3cret-of-shop", 1_000).is_err());
        assert!(verify_shop_token("garbage", "s3cret-of-shop", 1_000).is_err());
    }

    #[test]
    fn lifetimes_are_bounded() {
        let expired = sign_shop_token(&claims(999), "k");
        assert_eq!(verify_shop_token(&expired, "k", 1_000).unwrap_err().message, "has expired");
        let forever = sign_shop_token(&claims(1_000 + MAX_LIFETIME_SECS + 1), "k");
        assert!(verify_shop_token(&forever, "k", 1_000).is_err());
        let nobody = sign_shop_token(&ShopClaims { exp: 1_500, ..Default::default() }, "k");
        assert!(verify_shop_token(&nobody, "k", 1_000).is_err());
    }
}
