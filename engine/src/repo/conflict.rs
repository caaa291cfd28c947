//! What a merge could not decide: row conflicts, schema conflicts and constraint violations.
//!
//! Row conflicts of one table are kept in a *conflict map*, a prolly map keyed by the row's
//! primary-map key whose value holds the base, ours and theirs versions of the row (each may be
//! absent: a row added on both sides has no base, a deleted row has no ours or theirs). A
//! conflict map's address is stored in the working set, so conflicts survive restarts, and its
//! entry count is the number of conflicts. Schema conflicts and constraint violations are short
//! lists kept in the working set itself.

use crate::codec::{get_uvarint, put_uvarint};
use crate::error::{Error, Result};
use crate::hash::Hash;
use crate::table::Table;
use crate::value::Value;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A table whose schemas changed incompatibly on the two sides. The table's rows were not
/// merged: the working root keeps ours.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaConflict {
    pub table: String,
    /// What differs, in a sentence.
    pub description: String,
    /// Table chunks of the three versions (`None`: absent on that side).
    pub base: Option<Hash>,
    pub ours: Option<Hash>,
    pub theirs: Option<Hash>,
}

impl fmt::Display for SchemaConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "schema conflict in table {}: {}",
            self.table, self.description
        )
    }
}

/// Which constraint a merged row breaks.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ViolationKind {
    /// Two or more rows share a value of a UNIQUE index.
    Unique { index: String },
    /// A NOT NULL column holds NULL.
    NotNull { column: String },
    /// The row's foreign key names a parent row that does not exist (found by the SQL layer's
    /// `vdb_verify_constraints`; added after the others, so older working sets decode).
    ForeignKey { constraint: String },
    /// The row makes a CHECK constraint false (likewise).
    Check { constraint: String },
}

/// A row that breaks a constraint after a merge. The engine checks what it can on its own:
/// UNIQUE indexes and NOT NULL. CHECK constraints need the SQL layer's expressions and foreign
/// keys need other tables' rows, so those are checked by the SQL layer (`vdb_verify_constraints`),
/// which records them here too.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ConstraintViolation {
    pub table: String,
    pub kind: ViolationKind,
    /// The row's primary-map key.
    #[serde(with = "serde_bytes_compat")]
    pub key: Bytes,
}

impl fmt::Display for ConstraintViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ViolationKind::Unique { index } => {
                write!(f, "table {}: unique index {index} violated", self.table)
            }
            ViolationKind::NotNull { column } => {
                write!(f, "table {}: null in NOT NULL column {column}", self.table)
            }
            ViolationKind::ForeignKey { constraint } => {
                write!(
                    f,
                    "table {}: foreign key {constraint} names a missing row",
                    self.table
                )
            }
            ViolationKind::Check { constraint } => {
                write!(
                    f,
                    "table {}: check constraint {constraint} violated",
                    self.table
                )
            }
        }
    }
}

/// `Bytes` through serde as a plain byte sequence (postcard: uvarint length, then the bytes).
mod serde_bytes_compat {
    use bytes::Bytes;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &Bytes, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(bytes)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Bytes, D::Error> {
        Ok(Bytes::from(Vec::<u8>::deserialize(d)?))
    }
}

/// One conflicted row as stored bytes: the primary-map value of each version, encoded under the
/// table's schema in the working root (the merged schema).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConflictEntry {
    pub key: Bytes,
    pub base: Option<Bytes>,
    pub ours: Option<Bytes>,
    pub theirs: Option<Bytes>,
}

// Conflict map value layout:
//   u8 presence: bit 0 = base present, bit 1 = ours present, bit 2 = theirs present; others 0
//   for each present version, in the order base, ours, theirs:
//     uvarint length | that many bytes (the row's primary-map value under the merged schema)
impl ConflictEntry {
    /// The conflict map value.
    pub fn encode_value(&self) -> Bytes {
        let sides = [&self.base, &self.ours, &self.theirs];
        let mut out = vec![0u8];
        for (bit, side) in sides.into_iter().enumerate() {
            if let Some(bytes) = side {
                out[0] |= 1 << bit;
                put_uvarint(&mut out, bytes.len() as u64);
                out.extend_from_slice(bytes);
            }
        }
        Bytes::from(out)
    }

    /// Decodes a conflict map entry.
    pub fn decode(key: Bytes, value: &[u8]) -> Result<ConflictEntry> {
        let malformed = || Error::InvalidInput("malformed conflict map entry".into());
        let (&presence, _) = value.split_first().ok_or_else(malformed)?;
        if presence & !0b111 != 0 {
            return Err(malformed());
        }
        let mut pos = 1;
        let mut sides: [Option<Bytes>; 3] = [None, None, None];
        for (bit, side) in sides.iter_mut().enumerate() {
            if presence & (1 << bit) == 0 {
                continue;
            }
            let len = get_uvarint(value, &mut pos).ok_or_else(malformed)?;
            let len = usize::try_from(len).map_err(|_| malformed())?;
            let end = pos.checked_add(len).ok_or_else(malformed)?;
            let body = value.get(pos..end).ok_or_else(malformed)?;
            *side = Some(Bytes::copy_from_slice(body));
            pos = end;
        }
        if pos != value.len() {
            return Err(malformed());
        }
        let [base, ours, theirs] = sides;
        Ok(ConflictEntry {
            key,
            base,
            ours,
            theirs,
        })
    }

    /// The three versions decoded as rows of `table` (whose schema is the merged one).
    pub fn rows(&self, table: &Table) -> Result<ConflictRow> {
        let decode = |side: &Option<Bytes>| -> Result<Option<Vec<Value>>> {
            side.as_ref()
                .map(|value| table.decode(&self.key, value))
                .transpose()
        };
        Ok(ConflictRow {
            key: self.key.clone(),
            base: decode(&self.base)?,
            ours: decode(&self.ours)?,
            theirs: decode(&self.theirs)?,
        })
    }
}

/// One conflicted row, decoded: full rows in the table's column order.
#[derive(Clone, Debug, PartialEq)]
pub struct ConflictRow {
    pub key: Bytes,
    pub base: Option<Vec<Value>>,
    pub ours: Option<Vec<Value>>,
    pub theirs: Option<Vec<Value>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflict_entry_round_trip() {
        let entry = ConflictEntry {
            key: Bytes::from_static(b"k"),
            base: None,
            ours: Some(Bytes::from_static(b"ours")),
            theirs: Some(Bytes::new()),
        };
        let value = entry.encode_value();
        assert_eq!(&value[..], b"\x06\x04ours\x00");
        assert_eq!(
            ConflictEntry::decode(entry.key.clone(), &value).unwrap(),
            entry
        );
        assert!(ConflictEntry::decode(entry.key.clone(), b"\x08").is_err());
        assert!(ConflictEntry::decode(entry.key, b"\x01\x05ab").is_err());
    }
}
