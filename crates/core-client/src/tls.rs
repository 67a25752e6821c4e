//! rustls configuration: TLS 1.3 only, the `ring` provider, private or web PKI roots, and an
//! optional client identity for mTLS; and reading that material from PEM without Kubernetes
//! ([`ClientIdentity::from_pem`], [`certificates_from_pem`], [`private_key_from_pem`]), by the
//! same rules as the Secrets are read.

use std::{fmt, sync::Arc, time::SystemTime};

use rustls::{
    ClientConfig, RootCertStore,
    client::WebPkiServerVerifier,
    crypto::CryptoProvider,
    sign::{CertifiedKey, SigningKey},
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

pub use crate::pem::{
    CertificateDerError, CertificatePemError, PemSyntaxError, PrivateKeyPemError, Validity,
    certificate_validity, certificates_from_pem, private_key_from_pem,
};
use crate::pem::{OutsideValidity, parse_certificates};

/// The crypto provider used everywhere in this workspace (`ring`).
pub fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A client certificate chain and its private key, loaded and checked to belong together and
/// the certificate to be valid when loaded.
///
/// The identity layer signs the delegated principal with [`ClientIdentity::signing_key`].
#[derive(Clone)]
pub struct ClientIdentity {
    chain: Vec<CertificateDer<'static>>,
    key: Arc<dyn SigningKey>,
    validity: Validity,
}

impl fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The private key is deliberately left out.
        f.debug_struct("ClientIdentity")
            .field("chain_len", &self.chain.len())
            .field("algorithm", &self.key.algorithm())
            .field("validity", &self.validity)
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
    /// The certificate PEM ([`ClientIdentity::from_pem`]) holds no usable chain: see the
    /// source for which rule it breaks.
    #[error("the certificate PEM cannot be used")]
    CertificatePem(#[source] CertificatePemError),
    /// A certificate of the chain ([`ClientIdentity::new`]) is not X.509 DER: it was
    /// corrupted, or is not a certificate at all.
    #[error("the certificate at index {index} is not a valid X.509 certificate")]
    InvalidCertificate {
        /// Its position in the chain, from 0 (the leaf).
        index: usize,
        /// Why it is not one.
        #[source]
        source: CertificateDerError,
    },
    /// The key PEM ([`ClientIdentity::from_pem`]) holds no usable key, or an encrypted one.
    #[error("the private key PEM cannot be used")]
    PrivateKeyPem(#[source] PrivateKeyPemError),
    /// The key is not a supported RSA, ECDSA (P-256, P-384) or Ed25519 key.
    #[error("unsupported or malformed private key")]
    InvalidPrivateKey(#[source] rustls::Error),
    /// The key's public half is not the one in the first certificate.
    #[error("the private key does not match the certificate")]
    KeyMismatch,
    /// The leaf certificate's `notAfter` has passed: it was not renewed in time (or the clock
    /// is wrong). Servers would refuse it in the handshake.
    #[error("the certificate has expired ({validity})")]
    Expired {
        /// The leaf's validity window.
        validity: Validity,
    },
    /// The leaf certificate's `notBefore` is still to come: it was issued with a future start
    /// (or this machine's clock is behind). Servers would refuse it in the handshake.
    #[error("the certificate is not valid yet ({validity})")]
    NotYetValid {
        /// The leaf's validity window.
        validity: Validity,
    },
}

impl ClientIdentity {
    /// Builds an identity from a chain (leaf first) and its key in any DER encoding (PKCS#1,
    /// SEC1, PKCS#8), checking that every certificate is X.509 DER, that the key belongs to the
    /// leaf, and that the leaf is within its validity window now (the rest of the chain is the
    /// server's to check).
    pub fn new(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Self, IdentityError> {
        Self::new_at(chain, key, SystemTime::now())
    }

    /// [`ClientIdentity::new`], checking validity at `now`.
    pub(crate) fn new_at(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        now: SystemTime,
    ) -> Result<Self, IdentityError> {
        let mut leaf = None;
        for (index, certificate) in chain.iter().enumerate() {
            let validity = certificate_validity(certificate)
                .map_err(|source| IdentityError::InvalidCertificate { index, source })?;
            leaf = leaf.or(Some(validity));
        }
        let leaf = leaf.ok_or(IdentityError::NoCertificate)?;
        Self::checked(chain, leaf, key, now)
    }

    /// Reads an identity from PEM: the chain (leaf first) by the rules of
    /// [`certificates_from_pem`] and the key by those of [`private_key_from_pem`], then checks it
    /// as [`ClientIdentity::new`] does. This is how a client-certificate Secret's `tls.crt` and
    /// `tls.key` are read.
    ///
    /// ```
    /// use core_client::tls::{ClientIdentity, IdentityError, PrivateKeyPemError};
    ///
    /// let key = b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIHs\n-----END ENCRYPTED PRIVATE KEY-----\n";
    /// # let ca = region_client_testing::Ca::new("ca");
    /// # let leaf = ca.client_cert("doc", region_client_testing::KeyKind::EcdsaP256);
    /// # let certificate_pem = leaf.cert_pem.as_bytes();
    /// let error = ClientIdentity::from_pem(certificate_pem, key).unwrap_err();
    /// assert!(matches!(error, IdentityError::PrivateKeyPem(PrivateKeyPemError::Encrypted)));
    /// ```
    pub fn from_pem(certificate_pem: &[u8], key_pem: &[u8]) -> Result<Self, IdentityError> {
        Self::from_pem_at(certificate_pem, key_pem, SystemTime::now())
    }

    /// [`ClientIdentity::from_pem`], checking validity at `now`.
    pub(crate) fn from_pem_at(
        certificate_pem: &[u8],
        key_pem: &[u8],
        now: SystemTime,
    ) -> Result<Self, IdentityError> {
        let chain = parse_certificates(certificate_pem).map_err(IdentityError::CertificatePem)?;
        let key = private_key_from_pem(key_pem).map_err(IdentityError::PrivateKeyPem)?;
        let leaf = chain
            .first()
            .map(|certificate| certificate.validity)
            .ok_or(IdentityError::NoCertificate)?;
        let chain = chain
            .into_iter()
            .map(|certificate| certificate.der)
            .collect();
        Self::checked(chain, leaf, key, now)
    }

    /// Loads `key`, checks it against the leaf and the leaf's `validity` against `now`.
    fn checked(
        chain: Vec<CertificateDer<'static>>,
        validity: Validity,
        key: PrivateKeyDer<'static>,
        now: SystemTime,
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
        match validity.check(now) {
            Ok(()) => {}
            Err(OutsideValidity::Expired) => return Err(IdentityError::Expired { validity }),
            Err(OutsideValidity::NotYetValid) => {
                return Err(IdentityError::NotYetValid { validity });
            }
        }
        Ok(Self {
            chain: certified.cert,
            key: certified.key,
            validity,
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

    /// The leaf certificate's validity window (it was within it when loaded).
    pub fn validity(&self) -> Validity {
        self.validity
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

/// Whether rustls takes `certificate` as a trust anchor (rustls-webpki parses it again, more
/// strictly in places than the X.509 parser of [`crate::pem`]).
pub(crate) fn check_trust_anchor(
    certificate: &CertificateDer<'static>,
) -> Result<(), rustls::Error> {
    RootCertStore::empty().add(certificate.clone())
}

/// The verifier of server certificates a [`client_config`] uses: rustls' WebPKI verifier over
/// `roots`, with the `ring` provider's algorithms (the chain must lead to one of `roots`, be
/// valid now, and name the host), no revocation checks. An empty set of private roots is an
/// error: no server could be trusted.
///
/// For tools that watch a handshake (the `region doctor` command wraps it to record what the
/// server presented): the decision stays this one.
///
/// ```
/// use core_client::tls::{Roots, server_verifier};
///
/// assert!(server_verifier(&Roots::WebPki).is_ok());
/// assert!(server_verifier(&Roots::Private(Vec::new())).is_err());
/// ```
pub fn server_verifier(roots: &Roots) -> Result<Arc<WebPkiServerVerifier>, rustls::Error> {
    let mut store = RootCertStore::empty();
    match roots {
        Roots::WebPki => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        Roots::Private(certs) => {
            for cert in certs {
                store.add(cert.clone())?;
            }
        }
    }
    // No CRLs: nothing is checked for revocation. The only refusal is an empty store.
    WebPkiServerVerifier::builder_with_provider(Arc::new(store), crypto_provider())
        .build()
        .map_err(|error| rustls::Error::General(error.to_string()))
}

/// Builds a TLS 1.3-only client configuration trusting `roots` (see [`server_verifier`]: no
/// private roots at all is an error) and presenting `identity`.
///
/// ALPN is left empty here; the HTTP connector sets `h2` and `http/1.1`.
pub fn client_config(
    roots: &Roots,
    identity: Option<&ClientIdentity>,
) -> Result<ClientConfig, rustls::Error> {
    let builder = ClientConfig::builder_with_provider(crypto_provider())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_webpki_verifier(server_verifier(roots)?);
    Ok(match identity {
        Some(identity) => {
            builder.with_client_cert_resolver(Arc::new(rustls::sign::SingleCertAndKey::from(
                CertifiedKey::new(identity.chain.clone(), identity.key.clone()),
            )))
        }
        None => builder.with_no_client_auth(),
    })
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use region_client_testing::{Ca, KeyKind, pki};

    use super::*;

    /// 2020-01-01T00:00:00Z and 2021-01-01T00:00:00Z.
    const JAN_2020: u64 = 1_577_836_800;
    const JAN_2021: u64 = 1_609_459_200;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn the_leaf_must_be_valid_when_loaded_to_the_second() {
        let leaf = Ca::new("clients").client_cert_valid_between(
            "dated",
            KeyKind::EcdsaP256,
            at(JAN_2020),
            at(JAN_2021),
        );
        let window = Validity::new(at(JAN_2020), at(JAN_2021));
        let load = |now| {
            ClientIdentity::from_pem_at(leaf.chain_pem().as_bytes(), leaf.key_pem().as_bytes(), now)
        };
        assert!(matches!(
            load(at(JAN_2020 - 1)),
            Err(IdentityError::NotYetValid { validity }) if validity == window
        ));
        for now in [at(JAN_2020), at(JAN_2021) + Duration::from_millis(999)] {
            assert_eq!(load(now).unwrap().validity(), window);
        }
        let error = load(at(JAN_2021 + 1)).unwrap_err();
        assert!(
            matches!(error, IdentityError::Expired { validity } if validity == window),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "the certificate has expired (notBefore 2020-01-01T00:00:00Z, notAfter \
             2021-01-01T00:00:00Z)"
        );
        // The DER entry point checks the same way.
        assert!(matches!(
            ClientIdentity::new_at(leaf.chain_der(), leaf.key_der(), at(JAN_2021 + 1)),
            Err(IdentityError::Expired { .. })
        ));
    }

    #[test]
    fn only_the_leaf_is_checked_for_validity() {
        let expired_ca = Ca::new_valid_between("old", at(JAN_2020), at(JAN_2021));
        let leaf = expired_ca.client_cert("compute", KeyKind::Ed25519);
        let identity =
            ClientIdentity::from_pem(leaf.chain_pem().as_bytes(), leaf.key_pem().as_bytes())
                .unwrap();
        assert_eq!(identity.chain().len(), 2);
    }

    #[test]
    fn a_garbage_leaf_is_not_a_key_mismatch() {
        let leaf = Ca::new("clients").client_cert("compute", KeyKind::EcdsaP256);
        let garbage = CertificateDer::from(b"not DER at all".to_vec());
        assert!(matches!(
            ClientIdentity::new(vec![garbage.clone()], leaf.key_der()),
            Err(IdentityError::InvalidCertificate { index: 0, .. })
        ));
        let chain = vec![leaf.cert_der.clone(), garbage];
        assert!(matches!(
            ClientIdentity::new(chain, leaf.key_der()),
            Err(IdentityError::InvalidCertificate { index: 1, .. })
        ));
        let pem = pki::pem("CERTIFICATE", b"not DER at all");
        assert!(matches!(
            ClientIdentity::from_pem(pem.as_bytes(), leaf.key_pem().as_bytes()),
            Err(IdentityError::CertificatePem(
                CertificatePemError::InvalidCertificate { index: 0, .. }
            ))
        ));
    }

    /// Found by the `tls_material` fuzz target (before the Secret diagnostics merge, which made
    /// `new` check every certificate): a leaf whose validity date is corrupt (month 13 in
    /// `notBefore`) but whose public key is intact passes rustls' `keys_match`, which does not
    /// read the dates, so the identity was built, to fail later in the handshake.
    #[test]
    fn a_leaf_with_a_corrupt_date_but_the_right_key_is_refused() {
        let leaf = Ca::new("clients").client_cert("compute", KeyKind::EcdsaP256);
        let mut der = leaf.cert_der.to_vec();
        // notBefore, a UTCTime: tag 0x17, 13 bytes `YYMMDDHHMMSSZ`; its month becomes `13`.
        let at = der
            .windows(2)
            .position(|w| w == [0x17, 0x0d])
            .expect("a UTCTime");
        der[at + 4..at + 6].copy_from_slice(b"13");
        let corrupt = CertificateDer::from(der);
        let key = crypto_provider()
            .key_provider
            .load_private_key(leaf.key_der())
            .unwrap();
        assert!(
            CertifiedKey::new(vec![corrupt.clone()], key)
                .keys_match()
                .is_ok(),
            "rustls alone accepts it"
        );
        let error = ClientIdentity::new(vec![corrupt.clone()], leaf.key_der()).unwrap_err();
        assert!(
            matches!(error, IdentityError::InvalidCertificate { index: 0, .. }),
            "{error:?}"
        );
        let pem = pki::pem("CERTIFICATE", &corrupt);
        assert!(matches!(
            ClientIdentity::from_pem(pem.as_bytes(), leaf.key_pem().as_bytes()),
            Err(IdentityError::CertificatePem(
                CertificatePemError::InvalidCertificate { index: 0, .. }
            ))
        ));
    }

    /// No private root at all trusts no server: an error when the configuration is built, not
    /// a configuration that fails every handshake.
    #[test]
    fn a_configuration_without_any_root_is_refused() {
        let error = client_config(&Roots::Private(Vec::new()), None).unwrap_err();
        assert!(matches!(error, rustls::Error::General(_)), "{error:?}");
        let ca = Ca::new("region-ca");
        let config = client_config(&Roots::Private(vec![ca.cert_der.clone()]), None).unwrap();
        assert!(!config.client_auth_cert_resolver.has_certs());
        assert!(client_config(&Roots::WebPki, None).is_ok());
    }

    #[test]
    fn pem_failures_say_which_half() {
        let leaf = Ca::new("clients").client_cert("compute", KeyKind::EcdsaP256);
        let other = Ca::new("clients").client_cert("other", KeyKind::EcdsaP256);
        let cert = leaf.chain_pem();
        // The chain is read before the key.
        let junk = format!("{}junk", leaf.cert_pem);
        type Expected = fn(&IdentityError) -> bool;
        let cases: [(&str, &str, Expected); 4] = [
            (&cert, pki::ENCRYPTED_PKCS8_KEY_PEM, |e| {
                matches!(
                    e,
                    IdentityError::PrivateKeyPem(PrivateKeyPemError::Encrypted)
                )
            }),
            ("", "", |e| {
                matches!(
                    e,
                    IdentityError::CertificatePem(CertificatePemError::NoCertificate)
                )
            }),
            (&cert, "", |e| {
                matches!(
                    e,
                    IdentityError::PrivateKeyPem(PrivateKeyPemError::NoPrivateKey)
                )
            }),
            (&junk, "", |e| {
                matches!(
                    e,
                    IdentityError::CertificatePem(CertificatePemError::TrailingData { .. })
                )
            }),
        ];
        for (certificate, key, expected) in cases {
            let error =
                ClientIdentity::from_pem(certificate.as_bytes(), key.as_bytes()).unwrap_err();
            assert!(expected(&error), "{error:?}");
        }
        let error = ClientIdentity::from_pem(cert.as_bytes(), other.key_pem().as_bytes());
        assert!(
            matches!(error, Err(IdentityError::KeyMismatch)),
            "{error:?}"
        );
    }
}
