//! Referrals (SPEC C7, A7): every customer's code, and the programme that rewards both sides.
//!
//! A referral code is the customer's id run through a keyed bijection and written in the
//! unambiguous code alphabet, so every customer has one from the start, nothing is stored, and a
//! code maps back to exactly one customer of the tenant.

use crate::discounts::CODE_ALPHABET;
use crate::issue::{Checker, Invalid, Issue};
use crate::points::parse_code;
use serde::{Deserialize, Serialize};

/// Ids up to 2^40 (about a trillion) have codes.
const BITS: u32 = 40;
const MASK: u64 = (1 << BITS) - 1;
const CODE_LEN: usize = 9;

fn key(tenant_id: i64) -> (u64, u64) {
    // An odd multiplier (invertible modulo 2^40) and an offset, both drawn from the tenant id,
    // so codes of different tenants differ.
    let t = (tenant_id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    ((t | 1) & MASK, (t >> 20) & MASK)
}

fn inverse(a: u64) -> u64 {
    // Newton's iteration for the inverse of an odd number modulo 2^64, then masked.
    let mut x = a;
    for _ in 0..6 {
        x = x.wrapping_mul(2u64.wrapping_sub(a.wrapping_mul(x)));
    }
    x & MASK
}

/// The referral code of a customer.
pub fn referral_code(tenant_id: i64, customer_id: i64) -> String {
    let (mul, add) = key(tenant_id);
    let mut v = ((customer_id as u64 & MASK).wrapping_mul(mul).wrapping_add(add)) & MASK;
    let base = CODE_ALPHABET.len() as u64;
    let mut out = vec![b'2'; CODE_LEN];
    for slot in out.iter_mut().rev() {
        *slot = CODE_ALPHABET[(v % base) as usize];
        v /= base;
    }
    String::from_utf8(out).expect("the alphabet is ASCII")
}

/// The customer a referral code names, if it is one.
pub fn referral_customer(tenant_id: i64, code: &str) -> Option<i64> {
    let code = crate::digits::ascii_digits(code.trim()).to_uppercase();
    if code.len() != CODE_LEN {
        return None;
    }
    let base = CODE_ALPHABET.len() as u64;
    let mut v: u64 = 0;
    for b in code.bytes() {
        v = v * base + CODE_ALPHABET.iter().position(|c| *c == b)? as u64;
    }
    if v > MASK {
        return None;
    }
    let (mul, add) = key(tenant_id);
    let id = (v.wrapping_sub(add) & MASK).wrapping_mul(inverse(mul)) & MASK;
    Some(id as i64)
}

/// The referral programme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferralProgramme {
    pub enabled: bool,
    /// Code of the point type both rewards are paid in.
    pub point_type: String,
    pub referrer_points: i64,
    pub referee_points: i64,
    /// The referee's first invoice must be at least this amount.
    #[serde(default)]
    pub min_first_invoice: i64,
    /// …and come within this many days of joining (0: any time).
    #[serde(default)]
    pub within_days: u32,
    /// Where the club's sign-up page is; the link is this plus the code.
    pub link_base: Option<String>,
}

impl ReferralProgramme {
    pub fn check(&self) -> Result<(), Invalid> {
        let mut c = Checker::new();
        c.check("point_type", parse_code(&self.point_type));
        for (field, v) in [
            ("referrer_points", self.referrer_points),
            ("referee_points", self.referee_points),
            ("min_first_invoice", self.min_first_invoice),
        ] {
            if v < 0 {
                c.push(Issue::negative().at(field));
            }
        }
        if self.within_days > 3650 {
            c.push(Issue::new("out_of_range", "must be at most 3650", "حداکثر ۳۶۵۰ روز").at("within_days"));
        }
        c.finish(|| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_back_to_their_customer_and_differ_by_tenant() {
        for id in [1000, 1001, 123_456_789, (1 << 40) - 1] {
            let code = referral_code(7, id);
            assert_eq!(code.len(), 9);
            assert_eq!(referral_customer(7, &code), Some(id));
            assert_eq!(referral_customer(7, &code.to_lowercase()), Some(id));
            assert_ne!(referral_code(8, id), code);
        }
        assert_ne!(referral_code(7, 1000), referral_code(7, 1001));
        assert_eq!(referral_customer(7, "0000"), None);
    }
}
