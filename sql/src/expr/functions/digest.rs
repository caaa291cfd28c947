//! sha224, sha256, sha384 and sha512 of a bytea, with the RustCrypto `sha2` crate (already in
//! the build as a dependency of the PostgreSQL protocol crates).

use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};
use vdb_engine::value::Value;

use super::Builtin;
use crate::error::Result;

/// Evaluates `b` if it is one of this module's functions.
pub(super) fn eval(b: Builtin, args: &[Value]) -> Option<Result<Value>> {
    let Builtin::Sha(bits) = b else {
        return None;
    };
    let data = match args.first() {
        Some(Value::Bytea(b)) => b.as_slice(),
        _ => return Some(Ok(Value::Null)),
    };
    let digest = match bits {
        224 => Sha224::digest(data).to_vec(),
        384 => Sha384::digest(data).to_vec(),
        512 => Sha512::digest(data).to_vec(),
        _ => Sha256::digest(data).to_vec(),
    };
    Some(Ok(Value::Bytea(digest)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(bits: u16, data: &[u8]) -> String {
        match eval(Builtin::Sha(bits), &[Value::Bytea(data.to_vec())]) {
            Some(Ok(Value::Bytea(b))) => b.iter().map(|x| format!("{x:02x}")).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn each_width_matches_the_fips_examples() {
        assert_eq!(
            sha(256, b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            sha(256, b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha(224, b"abc"),
            "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"
        );
        assert_eq!(
            sha(384, b"abc"),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed\
             8086072ba1e7cc2358baeca134c825a7"
        );
        assert_eq!(
            sha(512, b"abc"),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        );
    }
}
