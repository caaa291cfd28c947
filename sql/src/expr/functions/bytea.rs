//! The bytea functions: `||`, get_byte/set_byte, get_bit/set_bit, bit_count, substring, position,
//! overlay and trim on bytes, and the encoding conversions convert_to / convert_from /
//! convert (UTF8, LATIN1 and SQL_ASCII). Arguments arrive typed by the binder
//! (`planner/builtin/bytea.rs`); NULL arguments never reach here (all are strict).

use vdb_engine::value::Value;

use super::{int_arg, text_arg, Builtin};
use crate::error::{Error, Result};

/// Evaluates `b` if it is one of this module's functions.
pub(super) fn eval(b: Builtin, args: &[Value]) -> Option<Result<Value>> {
    let bytes = |i: usize| match args.get(i) {
        Some(Value::Bytea(b)) => b.as_slice(),
        _ => &[],
    };
    let int = |i: usize| int_arg(args.get(i)).unwrap_or(0);
    Some(match b {
        Builtin::GetByte => byte_index(bytes(0), int(1)).map(|i| Value::Int4(bytes(0)[i].into())),
        Builtin::SetByte => byte_index(bytes(0), int(1)).map(|i| {
            let mut out = bytes(0).to_vec();
            // PostgreSQL keeps the low 8 bits of the new value.
            out[i] = (int(2) & 0xff) as u8;
            Value::Bytea(out)
        }),
        Builtin::GetBit => bit_index(bytes(0), int(1))
            .map(|(i, bit)| Value::Int4(i32::from((bytes(0)[i] >> bit) & 1))),
        Builtin::SetBit => set_bit(bytes(0), int(1), int(2)),
        Builtin::ByteaConcat => Ok(Value::Bytea([bytes(0), bytes(1)].concat())),
        Builtin::BitCount => Ok(Value::Int8(
            bytes(0).iter().map(|b| i64::from(b.count_ones())).sum(),
        )),
        Builtin::ByteaSubstr => {
            substr(bytes(0), int(1), args.get(2).and_then(|c| int_arg(Some(c))))
        }
        Builtin::ByteaPosition => Ok(Value::Int4(position(bytes(0), bytes(1)))),
        Builtin::ByteaOverlay => overlay(bytes(0), bytes(1), int(2), args.get(3)),
        Builtin::ByteaTrim { leading, trailing } => {
            Ok(Value::Bytea(trim(bytes(0), bytes(1), leading, trailing)))
        }
        Builtin::ConvertTo => encoding(text_arg(args.get(1)).unwrap_or_default(), "destination")
            .and_then(|to| {
                encode_text(text_arg(args.first()).unwrap_or_default(), to).map(Value::Bytea)
            }),
        Builtin::ConvertFrom => encoding(text_arg(args.get(1)).unwrap_or_default(), "source")
            .and_then(|from| decode_bytes(bytes(0), from).map(Value::Text)),
        Builtin::Convert => {
            let from = encoding(text_arg(args.get(1)).unwrap_or_default(), "source");
            let to = encoding(text_arg(args.get(2)).unwrap_or_default(), "destination");
            from.and_then(|from| {
                let to = to?;
                let text = decode_bytes(bytes(0), from)?;
                encode_text(&text, to).map(Value::Bytea)
            })
        }
        _ => return None,
    })
}

fn out_of_range(n: i64, len: usize) -> Error {
    Error::invalid(
        "2202E",
        format!(
            "index {n} out of valid range, 0..{}",
            i64::try_from(len).unwrap_or(i64::MAX) - 1
        ),
    )
}

/// The byte offset `n` of `b`, or 2202E.
fn byte_index(b: &[u8], n: i64) -> Result<usize> {
    usize::try_from(n)
        .ok()
        .filter(|i| *i < b.len())
        .ok_or_else(|| out_of_range(n, b.len()))
}

/// The byte and bit (least significant first, as PostgreSQL numbers them) of bit `n`.
fn bit_index(b: &[u8], n: i64) -> Result<(usize, u8)> {
    usize::try_from(n)
        .ok()
        .filter(|i| *i / 8 < b.len())
        .map(|i| (i / 8, (i % 8) as u8))
        .ok_or_else(|| out_of_range(n, b.len().saturating_mul(8)))
}

fn set_bit(b: &[u8], n: i64, value: i64) -> Result<Value> {
    let (i, bit) = bit_index(b, n)?;
    if value != 0 && value != 1 {
        return Err(Error::invalid("22023", "new bit must be 0 or 1"));
    }
    let mut out = b.to_vec();
    out[i] = (out[i] & !(1 << bit)) | ((value as u8) << bit);
    Ok(Value::Bytea(out))
}

/// `substring(bytes from n [for count])`: bytes from 1-based `from`; a negative count is 22011.
fn substr(b: &[u8], from: i64, count: Option<i64>) -> Result<Value> {
    let end = match count {
        Some(c) if c < 0 => {
            return Err(Error::invalid(
                "22011",
                "negative substring length not allowed",
            ))
        }
        Some(c) => from.saturating_add(c),
        None => i64::MAX,
    };
    let len = i64::try_from(b.len()).unwrap_or(i64::MAX);
    let start = from.max(1).min(len + 1);
    let end = end.clamp(start, len + 1);
    let (s, e) = (
        usize::try_from(start - 1).unwrap_or(0),
        usize::try_from(end - 1).unwrap_or(0),
    );
    Ok(Value::Bytea(b[s..e].to_vec()))
}

/// `position(needle in haystack)`: the 1-based offset of the first match, 0 if none.
fn position(haystack: &[u8], needle: &[u8]) -> i32 {
    if needle.is_empty() {
        return 1;
    }
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .map_or(0, |p| i32::try_from(p + 1).unwrap_or(i32::MAX))
}

/// `overlay(bytes placing new from n [for count])`: count defaults to new's length; a start
/// before 1 is 22011, a negative count keeps the bytes from `n + count` on (as in PostgreSQL).
fn overlay(b: &[u8], new: &[u8], from: i64, count: Option<&Value>) -> Result<Value> {
    let count = match count {
        Some(c) => int_arg(Some(c)).unwrap_or(0),
        None => i64::try_from(new.len()).unwrap_or(i64::MAX),
    };
    if from < 1 {
        return Err(Error::invalid(
            "22011",
            "negative substring length not allowed",
        ));
    }
    let Value::Bytea(mut out) = substr(b, 1, Some(from - 1))? else {
        return Ok(Value::Null);
    };
    out.extend_from_slice(new);
    if let Value::Bytea(rest) = substr(b, from.saturating_add(count), None)? {
        out.extend(rest);
    }
    Ok(Value::Bytea(out))
}

fn trim(b: &[u8], set: &[u8], leading: bool, trailing: bool) -> Vec<u8> {
    let mut s = 0;
    let mut e = b.len();
    if leading {
        while s < e && set.contains(&b[s]) {
            s += 1;
        }
    }
    if trailing {
        while e > s && set.contains(&b[e - 1]) {
            e -= 1;
        }
    }
    b[s..e].to_vec()
}

/// The encodings the conversions know.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Utf8,
    Latin1,
    /// Bytes as they are (PostgreSQL does no conversion from or to SQL_ASCII).
    SqlAscii,
}

/// An encoding name as PostgreSQL matches it: case, `-` and `_` do not matter. `role` names
/// the argument in the error (`source` or `destination`).
fn encoding(name: &str, role: &str) -> Result<Encoding> {
    let key: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    match key.as_str() {
        "utf8" | "unicode" => Ok(Encoding::Utf8),
        "latin1" | "iso88591" => Ok(Encoding::Latin1),
        "sqlascii" => Ok(Encoding::SqlAscii),
        _ => Err(Error::invalid(
            "22023",
            format!("invalid {role} encoding name \"{name}\""),
        )),
    }
}

fn encode_text(s: &str, to: Encoding) -> Result<Vec<u8>> {
    match to {
        Encoding::Utf8 | Encoding::SqlAscii => Ok(s.as_bytes().to_vec()),
        Encoding::Latin1 => s
            .chars()
            .map(|c| {
                u8::try_from(u32::from(c)).map_err(|_| {
                    let mut buf = [0u8; 4];
                    let seq: Vec<String> = c
                        .encode_utf8(&mut buf)
                        .bytes()
                        .map(|b| format!("0x{b:02x}"))
                        .collect();
                    Error::invalid(
                        "22P05",
                        format!(
                            "character with byte sequence {} in encoding \"UTF8\" has no \
                             equivalent in encoding \"LATIN1\"",
                            seq.join(" ")
                        ),
                    )
                })
            })
            .collect(),
    }
}

fn decode_bytes(b: &[u8], from: Encoding) -> Result<String> {
    match from {
        Encoding::Latin1 => Ok(b.iter().map(|&x| char::from(x)).collect()),
        // The database encoding is UTF8, so SQL_ASCII bytes must be valid UTF-8 too.
        Encoding::Utf8 | Encoding::SqlAscii => match std::str::from_utf8(b) {
            Ok(s) if !s.contains('\0') => Ok(s.to_string()),
            Ok(_) => Err(Error::invalid(
                "22021",
                "invalid byte sequence for encoding \"UTF8\": 0x00",
            )),
            Err(e) => {
                let bad = b.get(e.valid_up_to()).copied().unwrap_or(0);
                Err(Error::invalid(
                    "22021",
                    format!("invalid byte sequence for encoding \"UTF8\": 0x{bad:02x}"),
                ))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substring_clamps_like_postgres() {
        let b = [1u8, 2, 3];
        let got = |from, count| match substr(&b, from, count) {
            Ok(Value::Bytea(v)) => v,
            _ => vec![99],
        };
        assert_eq!(got(2, Some(1)), vec![2]);
        assert_eq!(got(-1, Some(3)), vec![1]);
        assert_eq!(got(5, None), Vec::<u8>::new());
        assert!(substr(&b, 1, Some(-1)).is_err());
    }

    #[test]
    fn bits_count_from_the_low_end() {
        assert_eq!(bit_index(&[0x12, 0x34], 15).ok(), Some((1, 7)));
        assert!(bit_index(&[0x12], 8).is_err());
    }
}
