//! Variable-length integers (LEB128, shared with the prolly node format) and the bounds-checked
//! [`Reader`] every decoder in `codec/` reads through, so that no input can make them panic.
//!
//! An unsigned varint is little-endian base 128: seven bits per byte, least significant group
//! first, the high bit set on every byte but the last. Encodings are canonical: the decoder
//! rejects overlong forms (a final 0x00 group after the first byte) and anything that does not
//! fit a u64, so each u64 has exactly one encoding. Signed values are zigzag-mapped first
//! (0, -1, 1, -2, … → 0, 1, 2, 3, …) so that small magnitudes stay short.
//!
//! Varints do not sort bytewise: never use them where encoded bytes must order like values.

use crate::error::{Error, Result};

/// The most bytes a u64 varint takes: ceil(64 / 7).
pub const MAX_UVARINT_LEN: usize = 10;

// Layout: LEB128, little-endian groups of 7 bits; byte = 0x80 | group while more groups follow,
// the last byte is the highest non-zero group (or 0x00 for the value 0).
/// Appends `value` as an unsigned LEB128 varint.
pub fn put_uvarint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Reads an unsigned varint at `*pos`, advancing `*pos` past it. Returns `None`, leaving
/// `*pos` unchanged, on truncated, overlong or overflowing input.
pub fn get_uvarint(bytes: &[u8], pos: &mut usize) -> Option<u64> {
    let mut value: u64 = 0;
    for i in 0..MAX_UVARINT_LEN {
        let byte = *bytes.get(pos.checked_add(i)?)?;
        let group = u64::from(byte & 0x7f);
        // The tenth byte holds only bit 63.
        if i == MAX_UVARINT_LEN - 1 && byte > 1 {
            return None;
        }
        value |= group << (7 * i);
        if byte & 0x80 == 0 {
            // A final zero group after the first byte is an overlong encoding.
            if byte == 0 && i > 0 {
                return None;
            }
            *pos += i + 1;
            return Some(value);
        }
    }
    None
}

/// How many bytes `put_uvarint` writes for `value`.
pub fn uvarint_len(value: u64) -> usize {
    let bits = 64 - value.leading_zeros() as usize;
    bits.div_ceil(7).max(1)
}

/// Maps a signed integer to an unsigned one with small magnitudes small: 0, -1, 1, -2 → 0, 1, 2, 3.
pub fn zigzag_encode(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

/// The inverse of [`zigzag_encode`].
pub fn zigzag_decode(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

/// Appends `value` as a zigzag-mapped LEB128 varint.
pub fn put_ivarint(out: &mut Vec<u8>, value: i64) {
    put_uvarint(out, zigzag_encode(value));
}

/// Reads a zigzag-mapped varint; `None` (position unchanged) on malformed input.
pub fn get_ivarint(bytes: &[u8], pos: &mut usize) -> Option<i64> {
    get_uvarint(bytes, pos).map(zigzag_decode)
}

/// A cursor over encoded bytes whose every read is bounds-checked and reports malformed input
/// as `Error::InvalidInput` naming `what` is being decoded.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`, which hold a `what` (e.g. "key", "row").
    pub(crate) fn new(bytes: &'a [u8], what: &'static str) -> Self {
        Reader {
            bytes,
            pos: 0,
            what,
        }
    }

    /// An `InvalidInput` error saying the input is malformed and why.
    pub(crate) fn error(&self, reason: impl std::fmt::Display) -> Error {
        Error::InvalidInput(format!(
            "malformed {} at byte {}: {reason}",
            self.what, self.pos
        ))
    }

    /// Bytes not yet read.
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// Fails unless every byte has been read.
    pub(crate) fn finish(&self) -> Result<()> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(self.error(format!("{n} trailing bytes"))),
        }
    }

    /// The next byte, without consuming it.
    pub(crate) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// The next `n` bytes, without consuming them; `None` if fewer remain.
    pub(crate) fn peek_n(&self, n: usize) -> Option<&'a [u8]> {
        self.bytes.get(self.pos..self.pos.checked_add(n)?)
    }

    /// Consumes one byte.
    pub(crate) fn byte(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    /// Consumes `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(self.error(format!("needs {n} bytes, {} left", self.remaining())));
        }
        let taken = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(taken)
    }

    /// Consumes exactly `N` bytes as an array.
    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut array = [0; N];
        array.copy_from_slice(self.take(N)?);
        Ok(array)
    }

    /// Consumes an unsigned LEB128 varint.
    pub(crate) fn uvarint(&mut self) -> Result<u64> {
        get_uvarint(self.bytes, &mut self.pos).ok_or_else(|| self.error("bad varint"))
    }

    /// Consumes a zigzag-mapped varint.
    pub(crate) fn ivarint(&mut self) -> Result<i64> {
        get_ivarint(self.bytes, &mut self.pos).ok_or_else(|| self.error("bad varint"))
    }

    /// Consumes a varint that must fit a usize (a length or count).
    pub(crate) fn length(&mut self) -> Result<usize> {
        let n = self.uvarint()?;
        usize::try_from(n).map_err(|_| self.error(format!("length {n} too large")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uvarint_round_trips_at_group_edges() {
        for shift in 0..64 {
            for value in [
                (1u64 << shift) - 1,
                1u64 << shift,
                (1u64 << shift) + 1,
                u64::MAX,
            ] {
                let mut out = Vec::new();
                put_uvarint(&mut out, value);
                assert_eq!(out.len(), uvarint_len(value), "{value}");
                let mut pos = 0;
                assert_eq!(get_uvarint(&out, &mut pos), Some(value));
                assert_eq!(pos, out.len());
            }
        }
    }

    #[test]
    fn uvarint_rejects_overlong_and_overflow() {
        let reject = |bytes: &[u8]| {
            let mut pos = 0;
            assert_eq!(get_uvarint(bytes, &mut pos), None, "{bytes:x?}");
            assert_eq!(pos, 0);
        };
        reject(&[0x80, 0x00]); // 0 in two bytes
        reject(&[0xff, 0x80, 0x00]); // 127 in three bytes
        reject(&[0xff; 9].iter().copied().chain([0x02]).collect::<Vec<_>>()); // 2^64
        reject(&[0xff; 11]); // too long
        reject(&[0x80]); // truncated
        reject(&[]);
    }

    #[test]
    fn zigzag_maps_small_magnitudes_small() {
        assert_eq!([0, -1, 1, -2, 2].map(zigzag_encode), [0, 1, 2, 3, 4]);
        for v in [0, 1, -1, i64::MIN, i64::MAX, 12345, -12345] {
            assert_eq!(zigzag_decode(zigzag_encode(v)), v);
        }
    }
}
