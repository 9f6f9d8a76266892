//! The provably fair draw of a chance game.
//!
//! Before a play the customer is shown a commitment: the SHA-256 of a secret 32-byte server
//! seed. The play computes HMAC-SHA256(key = server seed, message = "{client seed}:{nonce}");
//! its first 16 bytes, as a big-endian number modulo the sum of the weights, pick the prize by
//! walking the cumulative weights in prize order. After the play the seed is revealed, so anyone
//! can check that it hashes to the commitment and recompute the prize (and the slot reels, from
//! the next bytes). The modulo bias of a 128-bit number over a sum below 2^45 is under 2^-83.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const SEED_BYTES: usize = 32;
/// Shown on a reel that holds no prize, so a losing line always has two symbols to mix.
pub const BLANK: &str = "·";

pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// The commitment to a server seed: its SHA-256, in hex.
pub fn commitment(seed: &[u8]) -> String {
    to_hex(&Sha256::digest(seed))
}

fn mac(seed: &[u8], client_seed: &str, nonce: i64) -> [u8; 32] {
    let mut m = Hmac::<Sha256>::new_from_slice(seed).expect("HMAC takes keys of any length");
    m.update(format!("{client_seed}:{nonce}").as_bytes());
    m.finalize().into_bytes().into()
}

/// What one play drew.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drawn {
    /// A number in `0..total`.
    pub roll: u64,
    pub total: u64,
    /// Index of the prize.
    pub prize: usize,
    /// Bytes left over for showing the outcome (slot reels).
    pub spare: [u8; 16],
}

/// Draws a prize with `weights` (in prize order). `None` when every weight is zero.
pub fn draw(seed: &[u8], client_seed: &str, nonce: i64, weights: &[u64]) -> Option<Drawn> {
    let total: u64 = weights.iter().sum();
    if total == 0 {
        return None;
    }
    let bytes = mac(seed, client_seed, nonce);
    let number = u128::from_be_bytes(bytes[..16].try_into().expect("16 bytes"));
    let roll = (number % total as u128) as u64;
    let prize = pick(weights, roll);
    Some(Drawn { roll, total, prize, spare: bytes[16..].try_into().expect("16 bytes") })
}

/// The prize whose cumulative weight range holds `roll`.
pub fn pick(weights: &[u64], roll: u64) -> usize {
    let mut upto = 0;
    for (i, w) in weights.iter().enumerate() {
        upto += w;
        if roll < upto {
            return i;
        }
    }
    unreachable!("roll {roll} is below the total of the weights")
}

/// What three slot reels show: the winning prize's symbol three times, or for a prize that wins
/// nothing a mix of the game's symbols that is never three of a kind. `symbols` are the winning
/// prizes' symbols in prize order (`None` for prizes without one).
pub fn reels(symbols: &[Option<&str>], prize: usize, spare: &[u8; 16]) -> [String; 3] {
    if let Some(s) = symbols.get(prize).copied().flatten() {
        return [s.to_string(), s.to_string(), s.to_string()];
    }
    let mut pool: Vec<&str> = Vec::new();
    for s in symbols.iter().flatten() {
        if !pool.contains(s) {
            pool.push(s);
        }
    }
    pool.push(BLANK);
    let n = pool.len();
    let a = spare[0] as usize % n;
    let b = spare[1] as usize % n;
    let mut c = spare[2] as usize % n;
    if a == b && b == c {
        c = (c + 1) % n;
    }
    [pool[a].to_string(), pool[b].to_string(), pool[c].to_string()]
}

/// One prize of the table a play was drawn from: stored with the play, so the audit recomputes
/// it without the game's later edits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Slice {
    pub prize: String,
    pub weight: u64,
    /// The reel symbol of a winning slot prize.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub symbol: Option<String>,
}

impl Slice {
    pub fn weights(table: &[Slice]) -> Vec<u64> {
        table.iter().map(|s| s.weight).collect()
    }

    pub fn symbols(table: &[Slice]) -> Vec<Option<&str>> {
        table.iter().map(|s| s.symbol.as_deref()).collect()
    }
}

/// A stored play as the audit reads it.
#[derive(Debug, Clone)]
pub struct PlayProof<'a> {
    pub seed_hex: &'a str,
    pub commitment: &'a str,
    pub client_seed: &'a str,
    pub nonce: i64,
    pub weights: &'a [u64],
    pub roll: u64,
    pub prize: usize,
}

/// Why a stored play does not check out.
pub fn verify(p: &PlayProof<'_>) -> Result<Drawn, &'static str> {
    let seed = from_hex(p.seed_hex).filter(|s| s.len() == SEED_BYTES).ok_or("the revealed seed is not 32 bytes of hex")?;
    if commitment(&seed) != p.commitment {
        return Err("the revealed seed does not hash to the commitment");
    }
    let d = draw(&seed, p.client_seed, p.nonce, p.weights).ok_or("the stored weights are all zero")?;
    if d.roll != p.roll {
        return Err("the roll does not follow from the seed");
    }
    if d.prize != p.prize {
        return Err("the prize does not follow from the roll and the weights");
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        let bytes = [0u8, 1, 171, 255];
        assert_eq!(to_hex(&bytes), "0001abff");
        assert_eq!(from_hex("0001abff").unwrap(), bytes);
        assert!(from_hex("abc").is_none() && from_hex("zz").is_none());
    }

    #[test]
    fn the_commitment_is_sha256() {
        // SHA-256 of the empty string, a published test vector.
        assert_eq!(commitment(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    #[test]
    fn a_draw_recomputes_and_a_changed_part_fails() {
        let seed = [7u8; 32];
        let weights = [5, 0, 20, 75];
        let d = draw(&seed, "client", 3, &weights).unwrap();
        assert_ne!(d.prize, 1, "a zero weight is never drawn");
        let hex = to_hex(&seed);
        let c = commitment(&seed);
        let proof = PlayProof {
            seed_hex: &hex,
            commitment: &c,
            client_seed: "client",
            nonce: 3,
            weights: &weights,
            roll: d.roll,
            prize: d.prize,
        };
        assert_eq!(verify(&proof).unwrap(), d);
        assert_ne!(draw(&seed, "client", 4, &weights).unwrap().roll, d.roll);
        assert_eq!(verify(&PlayProof { nonce: 4, ..proof.clone() }).unwrap_err(), "the roll does not follow from the seed");
        assert_eq!(
            verify(&PlayProof { commitment: "00", ..proof.clone() }),
            Err("the revealed seed does not hash to the commitment")
        );
        assert_eq!(
            verify(&PlayProof { prize: (d.prize + 1) % 4, ..proof.clone() }).unwrap_err(),
            "the prize does not follow from the roll and the weights"
        );
        assert!(draw(&seed, "c", 0, &[0, 0]).is_none());
    }

    #[test]
    fn pick_walks_cumulative_weights() {
        let w = [2, 0, 3];
        let picks: Vec<usize> = (0..5).map(|r| pick(&w, r)).collect();
        assert_eq!(picks, [0, 0, 2, 2, 2]);
    }

    #[test]
    fn losing_reels_are_never_three_of_a_kind() {
        let symbols = [Some("🍒"), None, Some("💎")];
        for b in 0..=255u8 {
            let spare = [b, b, b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
            let r = reels(&symbols, 1, &spare);
            assert!(!(r[0] == r[1] && r[1] == r[2]), "{r:?}");
        }
        assert_eq!(reels(&symbols, 2, &[0; 16]), ["💎", "💎", "💎"]);
    }
}
