//! The functions of the extensions vdb has built in: uuid-ossp's `uuid_generate_v1` /
//! `v1mc` / `v3` / `v5` (`v4` is `gen_random_uuid`), and pgcrypto's `digest`, `hmac` and
//! `gen_random_bytes`. Random bytes come from the operating system (`getrandom`), as
//! pgcrypto's do; SHA-1, which v5 and pgcrypto name, is written out here (FIPS 180-4), the
//! SHA-2 family comes from the `sha2` crate and MD5 from `md5`.

use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};
use vdb_engine::value::Value;

use super::Builtin;
use crate::error::{Error, Result};

/// Which extension function a [`Builtin::Extension`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExtensionFunction {
    /// `uuid_generate_v1()` and `v1mc()`: time-based, with a random multicast node.
    UuidV1,
    /// `uuid_generate_v3(namespace, name)` (MD5) and `v5` (SHA-1).
    UuidNamed { version: u8 },
    /// `gen_random_bytes(n)`, 1 to 1024 bytes.
    RandomBytes,
    /// `digest(data, algorithm)`.
    Digest,
    /// `hmac(data, key, algorithm)`.
    Hmac,
}

/// Evaluates `b` if it is one of this module's functions.
pub(super) fn eval(b: Builtin, args: &[Value]) -> Option<Result<Value>> {
    let Builtin::Extension(f) = b else {
        return None;
    };
    if f != ExtensionFunction::UuidV1 && args.contains(&Value::Null) {
        return Some(Ok(Value::Null));
    }
    Some(match f {
        ExtensionFunction::UuidV1 => uuid_v1().map(Value::Uuid),
        ExtensionFunction::UuidNamed { version } => Ok(Value::Uuid(named_uuid(version, args))),
        ExtensionFunction::RandomBytes => random_bytes(args.first()),
        ExtensionFunction::Digest => {
            algorithm(args.get(1)).map(|a| Value::Bytea(hash(a, &bytes(args.first()))))
        }
        ExtensionFunction::Hmac => algorithm(args.get(2))
            .map(|a| Value::Bytea(hmac(a, &bytes(args.get(1)), &bytes(args.first())))),
    })
}

/// A text or bytea argument's bytes.
fn bytes(v: Option<&Value>) -> Vec<u8> {
    match v {
        Some(Value::Bytea(b)) => b.clone(),
        Some(Value::Text(s)) => s.as_bytes().to_vec(),
        _ => Vec::new(),
    }
}

/// Fills `buf` from the operating system's random source.
fn fill_random(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf)
        .map_err(|e| Error::invalid("58000", format!("could not generate random values: {e}")))
}

fn random_bytes(n: Option<&Value>) -> Result<Value> {
    let n = match n {
        Some(Value::Int4(n)) => i64::from(*n),
        Some(Value::Int8(n)) => *n,
        _ => 0,
    };
    let Some(n) = usize::try_from(n).ok().filter(|n| (1..=1024).contains(n)) else {
        return Err(Error::invalid("39000", "Length not in range"));
    };
    let mut out = vec![0u8; n];
    fill_random(&mut out)?;
    Ok(Value::Bytea(out))
}

/// A version-1 uuid: the 100-nanosecond intervals since 1582-10-15, a random clock sequence
/// and a random node with the multicast bit set (so it can be no network card's address).
fn uuid_v1() -> Result<[u8; 16]> {
    const GREGORIAN_OFFSET: u64 = 0x01B2_1DD2_1381_4000;
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let ticks = u64::try_from(since_epoch.as_nanos() / 100).unwrap_or(0) + GREGORIAN_OFFSET;
    let mut random = [0u8; 8];
    fill_random(&mut random)?;
    let mut out = [0u8; 16];
    out[0..4].copy_from_slice(&(ticks as u32).to_be_bytes());
    out[4..6].copy_from_slice(&((ticks >> 32) as u16).to_be_bytes());
    out[6..8].copy_from_slice(&((((ticks >> 48) as u16) & 0x0fff) | 0x1000).to_be_bytes());
    out[8] = (random[0] & 0x3f) | 0x80;
    out[9] = random[1];
    out[10..16].copy_from_slice(&random[2..8]);
    out[10] |= 0x01;
    Ok(out)
}

/// A name-based uuid (RFC 4122 section 4.3): the hash of the namespace's 16 bytes and the
/// name, cut to 16 bytes, with the version and variant bits set.
fn named_uuid(version: u8, args: &[Value]) -> [u8; 16] {
    let mut data = match args.first() {
        Some(Value::Uuid(ns)) => ns.to_vec(),
        _ => Vec::new(),
    };
    data.extend(bytes(args.get(1)));
    let digest = if version == 3 {
        md5::compute(&data).0.to_vec()
    } else {
        sha1(&data).to_vec()
    };
    let mut out = [0u8; 16];
    out.copy_from_slice(&digest[..16]);
    out[6] = (out[6] & 0x0f) | (version << 4);
    out[8] = (out[8] & 0x3f) | 0x80;
    out
}

/// The hash algorithms pgcrypto names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Algorithm {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

fn algorithm(name: Option<&Value>) -> Result<Algorithm> {
    let name = match name {
        Some(Value::Text(s)) => s.to_ascii_lowercase(),
        _ => String::new(),
    };
    Ok(match name.as_str() {
        "md5" => Algorithm::Md5,
        "sha1" => Algorithm::Sha1,
        "sha224" => Algorithm::Sha224,
        "sha256" => Algorithm::Sha256,
        "sha384" => Algorithm::Sha384,
        "sha512" => Algorithm::Sha512,
        _ => {
            return Err(Error::invalid(
                "22023",
                format!("Cannot use \"{name}\": No such hash algorithm"),
            ))
        }
    })
}

fn hash(algorithm: Algorithm, data: &[u8]) -> Vec<u8> {
    match algorithm {
        Algorithm::Md5 => md5::compute(data).0.to_vec(),
        Algorithm::Sha1 => sha1(data).to_vec(),
        Algorithm::Sha224 => Sha224::digest(data).to_vec(),
        Algorithm::Sha256 => Sha256::digest(data).to_vec(),
        Algorithm::Sha384 => Sha384::digest(data).to_vec(),
        Algorithm::Sha512 => Sha512::digest(data).to_vec(),
    }
}

/// HMAC (RFC 2104) of `data` under `key`.
fn hmac(algorithm: Algorithm, key: &[u8], data: &[u8]) -> Vec<u8> {
    let block = match algorithm {
        Algorithm::Sha384 | Algorithm::Sha512 => 128,
        _ => 64,
    };
    let mut key = if key.len() > block {
        hash(algorithm, key)
    } else {
        key.to_vec()
    };
    key.resize(block, 0);
    let pad = |byte: u8| key.iter().map(|k| k ^ byte).collect::<Vec<u8>>();
    let mut inner = pad(0x36);
    inner.extend_from_slice(data);
    let mut outer = pad(0x5c);
    outer.extend(hash(algorithm, &inner));
    hash(algorithm, &outer)
}

/// SHA-1 (FIPS 180-4).
fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    let mut message = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&bit_len.to_be_bytes());
    for chunk in message.chunks_exact(64) {
        let mut w = [0u32; 80];
        for (i, word) in chunk.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
                20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, x) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn sha1_matches_the_fips_examples() {
        assert_eq!(
            hex(&sha1(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(hex(&sha1(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            hex(&sha1(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        assert_eq!(
            hex(&sha1(&vec![b'a'; 1_000_000])),
            "34aa973cd4c4daa4f61eeb2bdbad27316534016f"
        );
    }

    #[test]
    fn hmac_matches_rfc_4231_and_2202() {
        // RFC 4231 test case 2, and RFC 2202's HMAC-SHA1 and HMAC-MD5 test case 2.
        let data = b"what do ya want for nothing?";
        assert_eq!(
            hex(&hmac(Algorithm::Sha256, b"Jefe", data)),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hex(&hmac(Algorithm::Sha1, b"Jefe", data)),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
        assert_eq!(
            hex(&hmac(Algorithm::Md5, b"Jefe", data)),
            "750c783e6ab0b503eaa86e310a5db738"
        );
        // A key longer than the block is hashed first (RFC 4231 test case 6).
        assert_eq!(
            hex(&hmac(
                Algorithm::Sha512,
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"
        );
    }

    #[test]
    fn name_based_uuids_match_rfc_4122() {
        // The DNS namespace and www.example.com, as Python's uuid module gives them.
        let dns = Value::Uuid([
            0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4,
            0x30, 0xc8,
        ]);
        let name = Value::Text("www.example.com".into());
        let v3 = named_uuid(3, &[dns.clone(), name.clone()]);
        assert_eq!(hex(&v3), "5df418813aed351588a72f4a814cf09e");
        let v5 = named_uuid(5, &[dns, name]);
        assert_eq!(hex(&v5), "2ed6657de927568b95e12665a8aea6a2");
    }

    #[test]
    fn time_uuids_carry_their_version_variant_and_multicast_node() {
        let a = uuid_v1().unwrap();
        let b = uuid_v1().unwrap();
        assert_ne!(a, b);
        assert_eq!(a[6] >> 4, 1);
        assert_eq!(a[8] >> 6, 2);
        assert_eq!(a[10] & 1, 1);
    }

    #[test]
    fn random_bytes_are_bounded() {
        assert!(
            matches!(random_bytes(Some(&Value::Int4(16))), Ok(Value::Bytea(b)) if b.len() == 16)
        );
        assert!(random_bytes(Some(&Value::Int4(0))).is_err());
        assert!(random_bytes(Some(&Value::Int4(1025))).is_err());
    }
}
