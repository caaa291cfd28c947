//! Content addresses: the first 20 bytes (160 bits) of a chunk's blake3 hash.
//!
//! 160 bits keeps internal prolly nodes small (an address is most of an internal entry) while
//! leaving a collision probability of about n²/2¹⁶¹, negligible for any repository (2⁴⁰ chunks
//! give 2⁻⁸¹). Git and Dolt use the same width. Addresses print as 40 lowercase hex digits.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The number of bytes of an address.
pub const HASH_LEN: usize = 20;

/// A chunk address.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct Hash(pub [u8; HASH_LEN]);

impl Hash {
    /// The all-zero address, used as "no chunk" in fixed-width layouts. No chunk hashes to it in
    /// practice.
    pub const ZERO: Hash = Hash([0; HASH_LEN]);

    /// The address of `bytes`.
    pub fn of(bytes: &[u8]) -> Hash {
        let full = blake3::hash(bytes);
        let mut out = [0; HASH_LEN];
        out.copy_from_slice(&full.as_bytes()[..HASH_LEN]);
        Hash(out)
    }

    /// Reads an address from exactly 20 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Hash> {
        Some(Hash(bytes.try_into().ok()?))
    }

    /// Parses 40 hex digits.
    pub fn from_hex(text: &str) -> Option<Hash> {
        if text.len() != HASH_LEN * 2 {
            return None;
        }
        let mut out = [0; HASH_LEN];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Hash(out))
    }

    /// The address as 40 hex digits.
    pub fn to_hex(&self) -> String {
        self.to_string()
    }

    pub fn as_bytes(&self) -> &[u8; HASH_LEN] {
        &self.0
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", &self.to_string()[..12])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let h = Hash::of(b"vdb");
        assert_eq!(Hash::from_hex(&h.to_hex()), Some(h));
        assert_eq!(Hash::from_hex("zz"), None);
        assert_eq!(Hash::from_hex(&"g".repeat(40)), None);
    }

    /// Pins the address function: changing it changes every address in every repository.
    #[test]
    fn golden_address() {
        assert_eq!(
            Hash::of(b"").to_hex(),
            "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9"
        );
    }
}
