//! Who may connect: the server's users, the method by which they prove who they are, and the
//! per-connection handshake that method runs (pgwire's SCRAM-SHA-256, md5 and cleartext
//! mechanisms, fed from [`Users`]).
//!
//! Passwords are never kept: a user configured with a plaintext password is turned, as the
//! configuration is loaded, into a SCRAM-SHA-256 verifier (the form PostgreSQL stores,
//! `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`) and, for md5, into
//! `md5(password || user)`. A cleartext password sent by a client is checked against the
//! verifier and dropped. An unknown user runs the same handshake against a random secret and
//! fails at its end with 28P01, as PostgreSQL does, so that user names cannot be probed.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use async_trait::async_trait;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use pgwire::api::auth::cleartext::CleartextPasswordAuth;
use pgwire::api::auth::md5pass::Md5PasswordAuth;
use pgwire::api::auth::mechanism::{AuthMechanism, AuthMechanismFactory};
use pgwire::api::auth::sasl::scram::{gen_salted_password, ScramAuth, ScramSecret};
use pgwire::api::auth::{AuthSource, LoginInfo, Password};
use pgwire::error::{PgWireError, PgWireResult};
use ring::rand::{SecureRandom, SystemRandom};
use ring::{digest, hmac};

/// PostgreSQL's default SCRAM iteration count (`scram_iterations`).
pub const SCRAM_ITERATIONS: usize = 4096;

/// How clients authenticate (the configuration's `auth`, PostgreSQL's pg_hba methods).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Anyone may connect as anyone: only for a loopback server without users.
    Trust,
    /// The password in clear (use only over TLS).
    Password,
    /// PostgreSQL's md5 challenge; users with only a SCRAM verifier use SCRAM instead.
    Md5,
    /// SCRAM-SHA-256 (the default when users are configured).
    ScramSha256,
}

impl FromStr for Method {
    type Err = String;

    fn from_str(s: &str) -> Result<Method, String> {
        match s.to_ascii_lowercase().as_str() {
            "trust" => Ok(Method::Trust),
            "password" => Ok(Method::Password),
            "md5" => Ok(Method::Md5),
            "scram-sha-256" => Ok(Method::ScramSha256),
            other => Err(format!(
                "unknown auth method \"{other}\" (expected scram-sha-256, md5, password or trust)"
            )),
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Method::Trust => "trust",
            Method::Password => "password",
            Method::Md5 => "md5",
            Method::ScramSha256 => "scram-sha-256",
        })
    }
}

/// A SCRAM-SHA-256 verifier: what the server needs to check a client's proof, from which the
/// password cannot be recovered.
#[derive(Clone, PartialEq, Eq)]
pub struct ScramVerifier {
    pub iterations: usize,
    pub salt: Vec<u8>,
    pub stored_key: Vec<u8>,
    pub server_key: Vec<u8>,
}

impl fmt::Debug for ScramVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramVerifier")
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data)
        .as_ref()
        .to_vec()
}

/// Whether `a == b`, comparing every byte whatever the first difference (keys of one length).
fn equal_in_constant_time(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0; n];
    // The system's random source does not fail on the platforms vdb runs on; a zero salt
    // would still give a working (if weaker) verifier.
    let _ = SystemRandom::new().fill(&mut bytes);
    bytes
}

impl ScramVerifier {
    /// A verifier for `password` with a fresh random salt, as PostgreSQL computes one.
    pub fn from_password(password: &str) -> ScramVerifier {
        Self::with_salt(password, random_bytes(16), SCRAM_ITERATIONS)
    }

    fn with_salt(password: &str, salt: Vec<u8>, iterations: usize) -> ScramVerifier {
        let salted = gen_salted_password(password, &salt, iterations);
        let client_key = hmac_sha256(&salted, b"Client Key");
        ScramVerifier {
            iterations,
            stored_key: digest::digest(&digest::SHA256, &client_key)
                .as_ref()
                .to_vec(),
            server_key: hmac_sha256(&salted, b"Server Key"),
            salt,
        }
    }

    /// Parses PostgreSQL's text form, `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`
    /// (base64 fields), as `pg_authid.rolpassword` holds it.
    pub fn parse(text: &str) -> Option<ScramVerifier> {
        let rest = text.strip_prefix("SCRAM-SHA-256$")?;
        let (params, keys) = rest.split_once('$')?;
        let (iterations, salt) = params.split_once(':')?;
        let (stored, server) = keys.split_once(':')?;
        let verifier = ScramVerifier {
            iterations: iterations.parse().ok().filter(|&i| i > 0)?,
            salt: STANDARD.decode(salt).ok()?,
            stored_key: STANDARD.decode(stored).ok()?,
            server_key: STANDARD.decode(server).ok()?,
        };
        (verifier.stored_key.len() == 32 && verifier.server_key.len() == 32).then_some(verifier)
    }

    /// Whether `password` is the one this verifier was made from.
    pub fn verify(&self, password: &str) -> bool {
        let candidate = Self::with_salt(password, self.salt.clone(), self.iterations);
        equal_in_constant_time(&candidate.stored_key, &self.stored_key)
    }

    fn secret(&self) -> ScramSecret {
        ScramSecret::Verifier {
            salt: self.salt.clone(),
            iterations: self.iterations,
            stored_key: self.stored_key.clone(),
            server_key: self.server_key.clone(),
        }
    }
}

impl fmt::Display for ScramVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SCRAM-SHA-256${}:{}${}:{}",
            self.iterations,
            STANDARD.encode(&self.salt),
            STANDARD.encode(&self.stored_key),
            STANDARD.encode(&self.server_key)
        )
    }
}

/// What the server knows of one user's password.
#[derive(Clone, Default)]
struct Credentials {
    scram: Option<ScramVerifier>,
    /// `md5` followed by the hex md5 of password || user name (pg_authid's md5 form).
    md5: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("scram", &self.scram.is_some())
            .field("md5", &self.md5.is_some())
            .finish()
    }
}

/// `md5` + hex(md5(`password` || `user`)), PostgreSQL's stored md5 password.
fn md5_password(password: &str, user: &str) -> String {
    format!("md5{:x}", md5::compute(format!("{password}{user}")))
}

/// The server's users and its authentication method.
#[derive(Clone, Debug)]
pub struct Users {
    method: Method,
    users: HashMap<String, Credentials>,
}

impl Default for Users {
    fn default() -> Users {
        Users::trust()
    }
}

impl Users {
    /// No users: every client is trusted (for a loopback server only).
    pub fn trust() -> Users {
        Users {
            method: Method::Trust,
            users: HashMap::new(),
        }
    }

    /// Users authenticated by `method`, each given as (name, password): a plaintext password,
    /// a SCRAM-SHA-256 verifier or an md5 hash (`md5` + 32 hex digits), as PostgreSQL's
    /// `CREATE ROLE ... PASSWORD` accepts them. Plaintext is hashed here and not kept.
    pub fn new(method: Method, users: Vec<(String, String)>) -> Result<Users, String> {
        if method == Method::Trust && !users.is_empty() {
            return Err(
                "auth = \"trust\" cannot be combined with [[users]]: trust is only for a \
                 loopback server without users"
                    .into(),
            );
        }
        if method != Method::Trust && users.is_empty() {
            return Err(format!(
                "auth = \"{method}\" needs at least one [[users]] entry"
            ));
        }
        let mut map = HashMap::new();
        for (name, password) in users {
            let credentials = if password.starts_with("SCRAM-SHA-256$") {
                let verifier = ScramVerifier::parse(&password)
                    .ok_or_else(|| format!("user \"{name}\": malformed SCRAM-SHA-256 verifier"))?;
                Credentials {
                    scram: Some(verifier),
                    md5: None,
                }
            } else if password.len() == 35
                && password.starts_with("md5")
                && password[3..].bytes().all(|b| b.is_ascii_hexdigit())
            {
                Credentials {
                    scram: None,
                    md5: Some(password.to_ascii_lowercase()),
                }
            } else {
                Credentials {
                    scram: Some(ScramVerifier::from_password(&password)),
                    md5: Some(md5_password(&password, &name)),
                }
            };
            if map.insert(name.clone(), credentials).is_some() {
                return Err(format!("user \"{name}\" is configured twice"));
            }
        }
        Ok(Users { method, users: map })
    }

    /// The method clients authenticate with.
    pub fn method(&self) -> Method {
        self.method
    }

    /// Whether users are configured.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// The handshake for a client logging in as `user`; `None` when the server trusts it.
    pub(crate) fn mechanism(self: &Arc<Self>, user: &str) -> Option<Box<dyn AuthMechanism>> {
        let source = Arc::new(Source {
            users: self.clone(),
        });
        let credentials = self.users.get(user);
        match self.method {
            Method::Trust => None,
            Method::Password => Some(CleartextPasswordAuth::new(source).create()),
            // PostgreSQL answers md5 with SCRAM for a user whose password is a SCRAM verifier.
            Method::Md5 if credentials.is_none_or(|c| c.md5.is_some()) => {
                Some(Md5PasswordAuth::new(source).create())
            }
            Method::Md5 | Method::ScramSha256 => {
                let scram: Arc<dyn AuthSource> = source;
                Some(ScramAuth::new(scram).create())
            }
        }
    }
}

/// The [`AuthSource`] pgwire's mechanisms ask for a user's secret.
#[derive(Debug)]
struct Source {
    users: Arc<Users>,
}

impl Source {
    fn credentials(&self, login: &LoginInfo) -> Option<&Credentials> {
        self.users.users.get(login.user()?)
    }
}

fn invalid_password(login: &LoginInfo) -> PgWireError {
    PgWireError::InvalidPassword(login.user().unwrap_or_default().to_owned())
}

#[async_trait]
impl AuthSource for Source {
    /// For md5: the salt of this challenge and the answer expected to it. An unknown user
    /// gets a challenge that no answer meets.
    async fn get_password(&self, login: &LoginInfo) -> PgWireResult<Password> {
        let salt = random_bytes(4);
        let expected = match self.credentials(login).and_then(|c| c.md5.as_deref()) {
            Some(stored) => {
                let mut input = stored.as_bytes()[3..].to_vec();
                input.extend_from_slice(&salt);
                format!("md5{:x}", md5::compute(input))
            }
            None => format!("!{}", STANDARD.encode(random_bytes(16))),
        };
        Ok(Password::new(Some(salt), expected.into_bytes()))
    }

    /// For cleartext: the password checked against the user's verifier (or md5 hash).
    async fn verify_password(
        &self,
        login: &LoginInfo,
        presented: &[u8],
    ) -> PgWireResult<Option<()>> {
        let presented = std::str::from_utf8(presented).map_err(|_| invalid_password(login))?;
        let user = login.user().unwrap_or_default();
        let ok = match self.credentials(login) {
            Some(Credentials {
                scram: Some(verifier),
                ..
            }) => verifier.verify(presented),
            Some(Credentials { md5: Some(md5), .. }) => md5_password(presented, user) == *md5,
            _ => false,
        };
        if ok {
            Ok(None)
        } else {
            Err(invalid_password(login))
        }
    }

    /// For SCRAM: the user's verifier, or for an unknown user a random one that no proof
    /// meets (the handshake then fails at its end, as for a wrong password).
    async fn get_scram_secret(&self, login: &LoginInfo) -> PgWireResult<(ScramSecret, Option<()>)> {
        let verifier = match self.credentials(login).and_then(|c| c.scram.as_ref()) {
            Some(verifier) => verifier.clone(),
            None => ScramVerifier {
                iterations: SCRAM_ITERATIONS,
                salt: random_bytes(16),
                stored_key: random_bytes(32),
                server_key: random_bytes(32),
            },
        };
        Ok((verifier.secret(), None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifiers_round_trip_and_check_passwords() {
        let verifier = ScramVerifier::from_password("secret");
        let parsed = ScramVerifier::parse(&verifier.to_string()).unwrap();
        assert_eq!(parsed, verifier);
        assert!(parsed.verify("secret"));
        assert!(!parsed.verify("Secret"));
        assert!(ScramVerifier::parse("SCRAM-SHA-256$x:y$z").is_none());
    }

    #[test]
    fn a_postgresql_verifier_checks_its_password() {
        // From PostgreSQL 15: CREATE ROLE u PASSWORD 'pw';
        // SELECT rolpassword FROM pg_authid WHERE rolname = 'u';
        let text = "SCRAM-SHA-256$4096:nDxNZdkI6Tu9T0xK527ZhA==$nMbrb5sOQ8k2BpJpQO6N5Of+pIr5lGf2lPV9vpxnUzU=:GzC6dolcLgkAV9QipxkIB6rs7aanKMVUF4B+OS27NM0=";
        let verifier = ScramVerifier::parse(text).unwrap();
        assert!(verifier.verify("pw"));
        assert!(!verifier.verify("pw2"));
        assert_eq!(verifier.to_string(), text);
    }

    #[test]
    fn md5_passwords_are_postgresqls() {
        // SELECT 'md5' || md5('pw' || 'u')
        assert_eq!(
            md5_password("pw", "u"),
            format!("md5{:x}", md5::compute("pwu"))
        );
        assert!(Users::new(Method::Trust, vec![("u".into(), "pw".into())]).is_err());
        assert!(Users::new(Method::ScramSha256, vec![]).is_err());
    }
}
