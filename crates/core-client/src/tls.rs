//! rustls configuration: TLS 1.3 only, the `ring` provider, private or web PKI roots, and an
//! optional client identity for mTLS.

use std::{fmt, sync::Arc};

use rustls::{
    ClientConfig, RootCertStore,
    crypto::CryptoProvider,
    sign::{CertifiedKey, SigningKey},
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// The crypto provider used everywhere in this workspace (`ring`).
pub fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A client certificate chain and its private key, loaded and checked to belong together.
///
/// The identity layer signs the delegated principal with [`ClientIdentity::signing_key`].
#[derive(Clone)]
pub struct ClientIdentity {
    chain: Vec<CertificateDer<'static>>,
    key: Arc<dyn SigningKey>,
}

impl fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The private key is deliberately left out.
        f.debug_struct("ClientIdentity")
            .field("chain_len", &self.chain.len())
            .field("algorithm", &self.key.algorithm())
            .finish_non_exhaustive()
    }
}

/// A certificate and key could not form a [`ClientIdentity`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// No certificate was given.
    #[error("no certificate")]
    NoCertificate,
    /// The key is not a supported RSA, ECDSA (P-256, P-384) or Ed25519 key.
    #[error("unsupported or malformed private key: {0}")]
    InvalidPrivateKey(#[source] rustls::Error),
    /// The key's public half is not the one in the first certificate.
    #[error("the private key does not match the certificate")]
    KeyMismatch,
}

impl ClientIdentity {
    /// Builds an identity from a chain (leaf first) and its key in any DER encoding (PKCS#1,
    /// SEC1, PKCS#8), checking that the key belongs to the leaf.
    pub fn new(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Self, IdentityError> {
        if chain.is_empty() {
            return Err(IdentityError::NoCertificate);
        }
        let key = crypto_provider()
            .key_provider
            .load_private_key(key)
            .map_err(IdentityError::InvalidPrivateKey)?;
        let certified = CertifiedKey::new(chain, key);
        match certified.keys_match() {
            // `Unknown` means the key cannot report its public half: nothing to compare.
            Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {}
            Err(_) => return Err(IdentityError::KeyMismatch),
        }
        Ok(Self {
            chain: certified.cert,
            key: certified.key,
        })
    }

    /// The leaf certificate (the one whose key signs).
    pub fn certificate(&self) -> &CertificateDer<'static> {
        // `new` refuses an empty chain.
        &self.chain[0]
    }

    /// The whole chain, leaf first, as sent in the handshake.
    pub fn chain(&self) -> &[CertificateDer<'static>] {
        &self.chain
    }

    /// The private key, usable for signing but never exported.
    pub fn signing_key(&self) -> &Arc<dyn SigningKey> {
        &self.key
    }
}

/// Where the client's trust anchors come from.
#[derive(Clone, Debug)]
pub enum Roots {
    /// The Mozilla web PKI roots (`webpki-roots`).
    WebPki,
    /// These CA certificates only.
    Private(Vec<CertificateDer<'static>>),
}

/// Builds a TLS 1.3-only client configuration trusting `roots` and presenting `identity`.
///
/// ALPN is left empty here; the HTTP connector sets `h2` and `http/1.1`.
pub fn client_config(
    roots: &Roots,
    identity: Option<&ClientIdentity>,
) -> Result<ClientConfig, rustls::Error> {
    let mut store = RootCertStore::empty();
    match roots {
        Roots::WebPki => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        Roots::Private(certs) => {
            for cert in certs {
                store.add(cert.clone())?;
            }
        }
    }
    let builder = ClientConfig::builder_with_provider(crypto_provider())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_root_certificates(store);
    Ok(match identity {
        Some(identity) => {
            builder.with_client_cert_resolver(Arc::new(rustls::sign::SingleCertAndKey::from(
                CertifiedKey::new(identity.chain.clone(), identity.key.clone()),
            )))
        }
        None => builder.with_no_client_auth(),
    })
}
