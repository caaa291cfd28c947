//! COPY data on the wire: a COPY TO's rows as CopyData payloads in the format the statement
//! named, and a COPY FROM's binary data decoded into fields. The text and CSV formats and the
//! binary framing belong to `vdb_sql::copy`; the binary values are the types' send and receive
//! formats of [`crate::values`].

use bytes::{BufMut, Bytes, BytesMut};
use pgwire::api::Type as PgType;
use vdb_engine::value::{Type, Value};
use vdb_sql::copy::{binary_header, parse_binary, CopyFormat, CopyIn, BINARY_TRAILER};
use vdb_sql::types::{to_pg_text, type_oid};
use vdb_sql::{Error, Result};

use crate::values::{decode_binary, put_field};

/// The CopyData payloads of a COPY TO: one per row, as PostgreSQL sends them (the CSV header
/// first; the binary header before the first row, the binary trailer last).
pub fn copy_out_data(
    format: &CopyFormat,
    columns: &[(String, Type)],
    rows: &[Vec<Value>],
) -> Vec<Bytes> {
    if !format.binary {
        let names: Vec<String> = columns.iter().map(|(name, _)| name.clone()).collect();
        return format
            .encode(&names, rows)
            .into_iter()
            .map(Bytes::from)
            .collect();
    }
    let types: Vec<PgType> = columns
        .iter()
        .map(|(_, ty)| PgType::from_oid(type_oid(ty)).unwrap_or(PgType::TEXT))
        .collect();
    // The header travels with the first row (or the trailer, if there is none), as
    // PostgreSQL buffers it; psycopg reads it only so.
    let mut data = Vec::with_capacity(rows.len() + 1);
    let mut header = Some(binary_header());
    for row in rows {
        let mut tuple = BytesMut::from(header.take().unwrap_or_default().as_slice());
        tuple.put_i16(i16::try_from(row.len()).unwrap_or(i16::MAX));
        for (value, ty) in row.iter().zip(&types) {
            put_field(&mut tuple, value, Some(ty));
        }
        data.push(tuple.freeze());
    }
    let mut trailer = header.unwrap_or_default();
    trailer.extend_from_slice(&BINARY_TRAILER);
    data.push(Bytes::from(trailer));
    data
}

/// The format codes of CopyInResponse and CopyOutResponse: overall, then per column.
pub fn format_codes(format: &CopyFormat, columns: usize) -> (i8, Vec<i16>) {
    let code = i16::from(format.binary);
    (code as i8, vec![code; columns])
}

/// A binary COPY FROM's rows as the text of each field (`None` for NULL), decoded with the
/// receive format of each column's type; an error names the line and column, as
/// PostgreSQL's COPY context does.
pub fn decode_copy_in(copy: &CopyIn, data: &[u8]) -> Result<Vec<Vec<Option<String>>>> {
    let tuples = parse_binary(data, copy.width)?;
    let mut rows = Vec::with_capacity(tuples.len());
    for (line, tuple) in tuples.into_iter().enumerate() {
        let mut row = Vec::with_capacity(tuple.len());
        for (column, (field, ty)) in tuple.into_iter().zip(&copy.types).enumerate() {
            let Some(bytes) = field else {
                row.push(None);
                continue;
            };
            let value = decode_binary(bytes, ty).map_err(|e| {
                let name = copy
                    .columns
                    .get(column)
                    .cloned()
                    .unwrap_or_else(|| format!("{}", column + 1));
                Error::invalid(
                    e.sqlstate(),
                    format!(
                        "{e} (COPY {}, line {}, column {name})",
                        copy.table,
                        line + 1
                    ),
                )
            })?;
            row.push(to_pg_text(&value));
        }
        rows.push(row);
    }
    Ok(rows)
}
