//! TLS for the server: a rustls acceptor built from a PEM certificate chain and private key.
//! pgwire answers a client's SSLRequest with 'S' and runs the handshake when the server has an
//! acceptor, and with 'N' (the connection goes on in the clear) when it has none.

use std::path::Path;
use std::sync::Arc;

use pgwire::tokio::tokio_rustls::rustls;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// What accepts TLS connections (tokio-rustls's acceptor, as pgwire takes it).
pub type TlsAcceptor = pgwire::tokio::TlsAcceptor;

/// An acceptor for the certificate chain in `cert` and the private key in `key` (PEM files:
/// PKCS#8, PKCS#1 or SEC1 keys). The error names the file at fault.
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, String> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("cannot read the TLS certificate {}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{} holds no PEM certificate", cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("cannot read the TLS key {}: {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("the TLS certificate and key do not fit together: {e}"))?;
    // PostgreSQL 17's direct TLS negotiation requires this ALPN name.
    config.alpn_protocols = vec![b"postgresql".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
