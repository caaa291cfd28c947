//! `uuid`: PostgreSQL's input (32 hex digits, optionally in braces, with a hyphen allowed after
//! any group of four digits), its lower-case hyphenated output, and version-4 generation for
//! `gen_random_uuid()`.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

/// Parses uuid text.
pub fn parse_uuid(s: &str) -> Result<[u8; 16]> {
    let bad = || Error::invalid_text("uuid", s);
    let t = s.trim();
    let t = match t.strip_prefix('{') {
        Some(inner) => inner.strip_suffix('}').ok_or_else(bad)?,
        None => t,
    };
    let mut out = [0u8; 16];
    let mut n = 0usize;
    let bytes = t.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'-' {
            // A hyphen only after a group of four digits, never first, last or doubled.
            if n == 0 || n % 4 != 0 || i + 1 == bytes.len() || bytes[i + 1] == b'-' {
                return Err(bad());
            }
            i += 1;
            continue;
        }
        let d = char::from(b).to_digit(16).ok_or_else(bad)?;
        if n >= 32 {
            return Err(bad());
        }
        #[allow(clippy::cast_possible_truncation)]
        {
            out[n / 2] |= (d as u8) << if n % 2 == 0 { 4 } else { 0 };
        }
        n += 1;
        i += 1;
    }
    if n != 32 {
        return Err(bad());
    }
    Ok(out)
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, lower case.
pub fn format_uuid(u: &[u8; 16]) -> String {
    let mut out = String::with_capacity(36);
    for (i, b) in u.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// 64 random bits: std's per-process random SipHash keys over a counter and the clock.
pub fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    if let Ok(d) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(d.as_nanos());
    }
    h.finish()
}

/// A random version-4 uuid, from the operating system's random source (as PostgreSQL's
/// `gen_random_uuid` is), or from [`random_u64`] if that fails.
pub fn random_uuid() -> [u8; 16] {
    let mut out = [0u8; 16];
    if getrandom::fill(&mut out).is_err() {
        out[..8].copy_from_slice(&random_u64().to_be_bytes());
        out[8..].copy_from_slice(&random_u64().to_be_bytes());
    }
    out[6] = (out[6] & 0x0f) | 0x40;
    out[8] = (out[8] & 0x3f) | 0x80;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_parse() {
        let canonical = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";
        for s in [
            canonical,
            "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
            "{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}",
            "a0eebc999c0b4ef8bb6d6bb9bd380a11",
            "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11",
        ] {
            assert_eq!(format_uuid(&parse_uuid(s).unwrap()), canonical, "{s}");
        }
        for s in [
            "",
            "a0eebc99",
            "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            "-a0eebc999c0b4ef8bb6d6bb9bd380a11",
            "a0eebc99--9c0b4ef8bb6d6bb9bd380a11",
            "a0eebc999c0b4ef8bb6d6bb9bd380a1x",
        ] {
            assert!(parse_uuid(s).is_err(), "{s}");
        }
    }
}
