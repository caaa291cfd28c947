//! How values become bytes. Three encodings, one per need:
//! - [`encode_key`]: tuples whose bytes sort like the values (`Value::sql_cmp`), for primary
//!   and index keys; big-endian and self-delimiting.
//! - [`encode_row`]: compact, exact rows (the value side of a table's primary map); a null
//!   bitmap, then little-endian fixed-width numbers and length-prefixed strings.
//! - varints: LEB128 lengths and counts, shared with the prolly node format.
//!
//! Every decoder takes untrusted bytes: malformed input is an `InvalidInput` error, never a
//! panic. The byte layouts are written above each encoder.

mod key;
mod row;
mod varint;

pub use key::{decode_key, decode_key_with, encode_key};
pub use row::{decode_row, decode_row_column, decode_row_select, decode_row_with, encode_row};
pub use varint::{
    get_ivarint, get_uvarint, put_ivarint, put_uvarint, uvarint_len, zigzag_decode, zigzag_encode,
    MAX_UVARINT_LEN,
};
