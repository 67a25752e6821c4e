//! Reading TLS material from Kubernetes Secrets of type `kubernetes.io/tls`.
//!
//! `tls.crt` and `tls.key` are read by the rules of [`crate::tls::certificates_from_pem`] and
//! [`crate::tls::ClientIdentity::from_pem`]; this module names the Secret and key in each
//! failure and decides what is checked of which Secret:
//!
//! - the client-certificate Secret: the whole chain must parse, the key must match the leaf,
//!   and the leaf must be within its validity window (the server checks the rest of the chain);
//! - the CA Secret: every certificate must parse and be a CA certificate (basicConstraints
//!   with `cA` true) or self-issued (a server's self-signed certificate, pinned as its own
//!   trust anchor), and at least one must be within its validity window. Any other
//!   certificate is refused, even next to a CA: a leaf in a trust bundle (a server's `tls.crt`,
//!   leaf then CA, pasted in whole) would make the leaf's key a trust anchor. An expired CA is
//!   refused like an expired client certificate. A certificate outside its window next to a
//!   valid one is kept, with a warning: a bundle carrying the old CA during a CA rotation is
//!   legitimate, and rustls does not check trust anchors' dates.

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use rustls_pki_types::CertificateDer;

use crate::{
    SecretRef,
    pem::{OutsideValidity, parse_certificates},
    tls::{
        CertificateDerError, CertificatePemError, ClientIdentity, IdentityError, PemSyntaxError,
        PrivateKeyPemError, Validity,
    },
};

/// The Secret type this crate reads.
pub const TLS_SECRET_TYPE: &str = "kubernetes.io/tls";
/// The key holding the PEM certificate (chain).
pub const TLS_CERT_KEY: &str = "tls.crt";
/// The key holding the PEM private key.
pub const TLS_KEY_KEY: &str = "tls.key";

/// A Secret could not be turned into TLS material. Every variant names the Secret
/// (`namespace/name`) in its message, and those about its contents the data key (`tls.crt`,
/// `tls.key`); [`SecretError::secret`] and [`SecretError::key`] give them to code.
///
/// Cheap to clone: a [`ClientCache`](crate::ClientCache) answers every caller of a failed build
/// with a copy.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// The Secret does not exist: check the namespace and name flags.
    #[error("secret {secret} not found")]
    NotFound {
        /// The Secret asked for.
        secret: SecretRef,
    },
    /// The Kubernetes API refused to let this service read the Secret (HTTP 403): its service
    /// account lacks `get` on `secrets` in that namespace.
    #[error("not allowed to read secret {secret}")]
    Forbidden {
        /// The Secret asked for.
        secret: SecretRef,
        /// The API's answer (shared: it is large, and the error is cloned to every caller a
        /// failed build answers).
        #[source]
        source: Arc<kube::Error>,
    },
    /// The Kubernetes API did not answer the read within
    /// [`HttpClientOptions::secret_read_timeout`](crate::HttpClientOptions::secret_read_timeout):
    /// the API server is overloaded or unreachable behind a connection that stays open.
    #[error("reading secret {secret} timed out after {timeout:?}")]
    Timeout {
        /// The Secret asked for.
        secret: SecretRef,
        /// The limit that was exceeded.
        timeout: Duration,
    },
    /// Any other failure talking to the Kubernetes API.
    #[error("reading secret {secret} failed")]
    Api {
        /// The Secret asked for.
        secret: SecretRef,
        /// The client's error (shared: it is large, and the error is cloned to every caller a
        /// failed build answers).
        #[source]
        source: Arc<kube::Error>,
    },
    /// The Secret is not of type `kubernetes.io/tls`.
    #[error("secret {secret} has type {found:?}, expected \"kubernetes.io/tls\"")]
    WrongType {
        /// The Secret read.
        secret: SecretRef,
        /// Its type (empty when unset).
        found: String,
    },
    /// A required data key is absent or empty.
    #[error("secret {secret} has no {key:?} data")]
    MissingKey {
        /// The Secret read.
        secret: SecretRef,
        /// The missing key (`tls.crt` or `tls.key`).
        key: &'static str,
    },
    /// `tls.crt` holds no PEM block at all (it is DER, or not a certificate file), or rustls
    /// refused a CA certificate for its root store.
    ///
    /// For the CA Secret this is also what a `CERTIFICATE` block that is not an X.509
    /// certificate gives (as it always has; the client-certificate Secret reports
    /// [`SecretError::InvalidCertificate`]).
    #[error("secret {secret} key {key:?} holds no valid PEM certificate")]
    NoCertificate {
        /// The Secret read.
        secret: SecretRef,
        /// The key read.
        key: &'static str,
    },
    /// A `CERTIFICATE` block of the client chain does not hold an X.509 certificate in DER:
    /// the block was corrupted (a bad copy, an edit), or something else was armoured under that
    /// label.
    #[error(
        "secret {secret} key \"tls.crt\": the certificate at index {index} is not a valid X.509 certificate"
    )]
    InvalidCertificate {
        /// The Secret read.
        secret: SecretRef,
        /// Which certificate, counting PEM blocks from 0 (the leaf).
        index: usize,
        /// Why it is not one.
        #[source]
        source: CertificateDerError,
    },
    /// A PEM block in `tls.crt` is not a `CERTIFICATE`: a private key pasted into the
    /// certificate, a CSR, an OpenSSL `TRUSTED CERTIFICATE`, a `PKCS7` bundle.
    #[error(
        "secret {secret} key \"tls.crt\": the PEM block at index {index} is {label:?}, not \"CERTIFICATE\""
    )]
    UnexpectedPemBlock {
        /// The Secret read.
        secret: SecretRef,
        /// Which block, counting from 0.
        index: usize,
        /// Its label (at most 64 characters of it).
        label: String,
    },
    /// Something other than whitespace follows the last PEM block of `tls.crt`: a block whose
    /// armour lines were lost, a truncated paste, text appended by mistake. (Text *before* a
    /// block is explanatory text, RFC 7468, and allowed.)
    #[error(
        "secret {secret} key \"tls.crt\": unexpected data after the last PEM block, at line {line}"
    )]
    TrailingData {
        /// The Secret read.
        secret: SecretRef,
        /// Where the data starts, counting lines from 1.
        line: usize,
    },
    /// The PEM in the key is broken at line `line`: a block cut short, a `-----BEGIN` or
    /// `-----END` line deleted or mistyped, a body that is not base64.
    #[error("secret {secret} key {key:?}: malformed PEM at line {line}")]
    MalformedPem {
        /// The Secret read.
        secret: SecretRef,
        /// The key read (`tls.crt` or `tls.key`).
        key: &'static str,
        /// The line of the block (or `-----END` line) at fault, from 1.
        line: usize,
        /// What is wrong there (shared: it is large, and the error is cloned to every caller a
        /// failed build answers).
        #[source]
        source: Arc<PemSyntaxError>,
    },
    /// `tls.key` holds no private key in a supported encoding (PKCS#1, SEC1 or PKCS#8 PEM), or
    /// one of an unsupported algorithm.
    #[error("secret {secret} key \"tls.key\" holds no usable private key: {reason}")]
    InvalidPrivateKey {
        /// The Secret read.
        secret: SecretRef,
        /// Why it was refused.
        reason: String,
    },
    /// `tls.key` holds an encrypted private key (`ENCRYPTED PRIVATE KEY`, or OpenSSL's
    /// `Proc-Type: 4,ENCRYPTED`): there is no password to decrypt it with. Store the key
    /// unencrypted in the Secret (`openssl pkcs8 -topk8 -nocrypt`); the Secret is what protects it.
    #[error(
        "secret {secret} key \"tls.key\" holds an encrypted private key, which is not supported: store the key unencrypted in the Secret"
    )]
    EncryptedPrivateKey {
        /// The Secret read.
        secret: SecretRef,
    },
    /// The private key in `tls.key` does not belong to the first certificate in `tls.crt`.
    #[error("secret {secret}: the private key does not match the certificate")]
    KeyMismatch {
        /// The Secret read.
        secret: SecretRef,
    },
    /// A certificate in the CA Secret's `tls.crt` is not a CA certificate (it has no
    /// basicConstraints extension with `cA` true) and not self-signed either: most likely a
    /// server's own certificate, or its whole `tls.crt` (leaf then CA), put where the CA that
    /// issued it belongs. Alone it can only fail the handshake; next to a CA it would make the
    /// leaf's key a trust anchor. Keep only the CA certificates in the Secret. (A self-signed
    /// server certificate is accepted: pinning it is how one trusts a server without a CA.)
    #[error(
        "secret {secret} key \"tls.crt\": the certificate at index {index} is not a CA certificate (no basicConstraints with cA true)"
    )]
    NotACa {
        /// The CA Secret read.
        secret: SecretRef,
        /// Which certificate, counting PEM blocks from 0.
        index: usize,
    },
    /// A certificate's `notAfter` has passed: the client certificate (the leaf) was not renewed
    /// in time, or the CA Secret holds no CA that is still valid (or this machine's clock is
    /// wrong). A server would refuse it in the handshake.
    #[error(
        "secret {secret} key \"tls.crt\": the certificate at index {index} has expired ({validity})"
    )]
    CertificateExpired {
        /// The Secret read.
        secret: SecretRef,
        /// Which certificate, counting PEM blocks from 0.
        index: usize,
        /// Its validity window.
        validity: Validity,
    },
    /// A certificate's `notBefore` is still to come: it was issued to start later (or this
    /// machine's clock is behind). A reload picks it up once it is valid.
    #[error(
        "secret {secret} key \"tls.crt\": the certificate at index {index} is not valid yet ({validity})"
    )]
    CertificateNotYetValid {
        /// The Secret read.
        secret: SecretRef,
        /// Which certificate, counting PEM blocks from 0.
        index: usize,
        /// Its validity window.
        validity: Validity,
    },
}

impl SecretError {
    /// The Secret this error is about.
    pub fn secret(&self) -> &SecretRef {
        match self {
            Self::NotFound { secret }
            | Self::Forbidden { secret, .. }
            | Self::Timeout { secret, .. }
            | Self::Api { secret, .. }
            | Self::WrongType { secret, .. }
            | Self::MissingKey { secret, .. }
            | Self::NoCertificate { secret, .. }
            | Self::InvalidCertificate { secret, .. }
            | Self::UnexpectedPemBlock { secret, .. }
            | Self::TrailingData { secret, .. }
            | Self::MalformedPem { secret, .. }
            | Self::InvalidPrivateKey { secret, .. }
            | Self::EncryptedPrivateKey { secret, .. }
            | Self::KeyMismatch { secret }
            | Self::NotACa { secret, .. }
            | Self::CertificateExpired { secret, .. }
            | Self::CertificateNotYetValid { secret, .. } => secret,
        }
    }

    /// The data key (`tls.crt` or `tls.key`) this error is about, when it is about the
    /// Secret's contents rather than the Secret (`None` for a key mismatch: it is about both).
    pub fn key(&self) -> Option<&'static str> {
        match self {
            Self::MissingKey { key, .. }
            | Self::NoCertificate { key, .. }
            | Self::MalformedPem { key, .. } => Some(key),
            Self::InvalidCertificate { .. }
            | Self::UnexpectedPemBlock { .. }
            | Self::TrailingData { .. }
            | Self::NotACa { .. }
            | Self::CertificateExpired { .. }
            | Self::CertificateNotYetValid { .. } => Some(TLS_CERT_KEY),
            Self::InvalidPrivateKey { .. } | Self::EncryptedPrivateKey { .. } => Some(TLS_KEY_KEY),
            Self::NotFound { .. }
            | Self::Forbidden { .. }
            | Self::Timeout { .. }
            | Self::Api { .. }
            | Self::WrongType { .. }
            | Self::KeyMismatch { .. } => None,
        }
    }

    /// Whether the Secret does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }
}

/// A `kubernetes.io/tls` Secret as read, with the version it was read at.
pub(crate) struct TlsSecret {
    pub(crate) secret: SecretRef,
    pub(crate) resource_version: Option<String>,
    data: std::collections::BTreeMap<String, k8s_openapi::ByteString>,
}

impl TlsSecret {
    /// Reads `secret` through the Kubernetes API, within `timeout`, and checks its type.
    pub(crate) async fn get(
        kube: &kube::Client,
        secret: &SecretRef,
        timeout: Duration,
    ) -> Result<Self, SecretError> {
        let api: Api<Secret> = Api::namespaced(kube.clone(), &secret.namespace);
        let object = tokio::time::timeout(timeout, api.get(&secret.name))
            .await
            .map_err(|_| SecretError::Timeout {
                secret: secret.clone(),
                timeout,
            })?
            .map_err(|source| match &source {
                kube::Error::Api(status) if status.code == 404 => SecretError::NotFound {
                    secret: secret.clone(),
                },
                kube::Error::Api(status) if status.code == 403 => SecretError::Forbidden {
                    secret: secret.clone(),
                    source: Arc::new(source),
                },
                _ => SecretError::Api {
                    secret: secret.clone(),
                    source: Arc::new(source),
                },
            })?;
        let found = object.type_.unwrap_or_default();
        if found != TLS_SECRET_TYPE {
            return Err(SecretError::WrongType {
                secret: secret.clone(),
                found,
            });
        }
        Ok(Self {
            secret: secret.clone(),
            resource_version: object.metadata.resource_version,
            data: object.data.unwrap_or_default(),
        })
    }

    fn bytes(&self, key: &'static str) -> Result<&[u8], SecretError> {
        match self.data.get(key) {
            Some(value) if !value.0.is_empty() => Ok(&value.0),
            _ => Err(SecretError::MissingKey {
                secret: self.secret.clone(),
                key,
            }),
        }
    }

    /// The CA certificates in `tls.crt`: every one X.509 and a CA (or self-signed), at least
    /// one within its validity window at `now` (the others are kept, with a warning).
    pub(crate) fn ca_certificates(
        &self,
        now: SystemTime,
    ) -> Result<Vec<CertificateDer<'static>>, SecretError> {
        let certificates = parse_certificates(self.bytes(TLS_CERT_KEY)?)
            .map_err(|error| certificate_pem_error(&self.secret, error))?;
        if let Some(index) = certificates.iter().position(|c| !c.trust_anchor) {
            return Err(SecretError::NotACa {
                secret: self.secret.clone(),
                index,
            });
        }
        let outside: Vec<_> = certificates
            .iter()
            .enumerate()
            .filter_map(|(index, c)| c.validity.check(now).err().map(|e| (index, c.validity, e)))
            .collect();
        if outside.len() == certificates.len()
            && let Some(&(index, validity, outside)) = outside.first()
        {
            return Err(validity_error(&self.secret, index, validity, outside));
        }
        for (index, validity, _) in outside {
            tracing::warn!(
                secret = %self.secret,
                index,
                %validity,
                "a CA certificate is outside its validity window; kept, as another in the Secret is valid (remove it once a CA rotation is over)"
            );
        }
        Ok(certificates.into_iter().map(|c| c.der).collect())
    }

    /// The client identity in `tls.crt` and `tls.key`, its leaf valid at `now`.
    pub(crate) fn client_identity(&self, now: SystemTime) -> Result<ClientIdentity, SecretError> {
        let certificate = self.bytes(TLS_CERT_KEY)?;
        let key = self.bytes(TLS_KEY_KEY)?;
        ClientIdentity::from_pem_at(certificate, key, now)
            .map_err(|error| identity_error(&self.secret, error))
    }
}

/// The error naming `secret` for a `tls.crt` that cannot be read.
fn certificate_pem_error(secret: &SecretRef, error: CertificatePemError) -> SecretError {
    let secret = secret.clone();
    match error {
        CertificatePemError::NoCertificate => SecretError::NoCertificate {
            secret,
            key: TLS_CERT_KEY,
        },
        CertificatePemError::Malformed { line, source } => SecretError::MalformedPem {
            secret,
            key: TLS_CERT_KEY,
            line,
            source: Arc::new(source),
        },
        CertificatePemError::UnexpectedBlock { index, label } => SecretError::UnexpectedPemBlock {
            secret,
            index,
            label,
        },
        CertificatePemError::InvalidCertificate { index, source } => {
            SecretError::InvalidCertificate {
                secret,
                index,
                source,
            }
        }
        CertificatePemError::TrailingData { line } => SecretError::TrailingData { secret, line },
    }
}

/// The error naming `secret` (and the key at fault) for an identity that cannot be built.
fn identity_error(secret: &SecretRef, error: IdentityError) -> SecretError {
    let secret = secret.clone();
    match error {
        IdentityError::NoCertificate => SecretError::NoCertificate {
            secret,
            key: TLS_CERT_KEY,
        },
        IdentityError::CertificatePem(error) => certificate_pem_error(&secret, error),
        IdentityError::InvalidCertificate { index, source } => SecretError::InvalidCertificate {
            secret,
            index,
            source,
        },
        IdentityError::PrivateKeyPem(PrivateKeyPemError::Encrypted) => {
            SecretError::EncryptedPrivateKey { secret }
        }
        IdentityError::PrivateKeyPem(PrivateKeyPemError::Malformed { line, source }) => {
            SecretError::MalformedPem {
                secret,
                key: TLS_KEY_KEY,
                line,
                source: Arc::new(source),
            }
        }
        IdentityError::PrivateKeyPem(error @ PrivateKeyPemError::NoPrivateKey) => {
            SecretError::InvalidPrivateKey {
                secret,
                reason: error.to_string(),
            }
        }
        IdentityError::InvalidPrivateKey(e) => SecretError::InvalidPrivateKey {
            secret,
            reason: e.to_string(),
        },
        IdentityError::KeyMismatch => SecretError::KeyMismatch { secret },
        // Only the leaf of a client chain is checked.
        IdentityError::Expired { validity } => {
            validity_error(&secret, 0, validity, OutsideValidity::Expired)
        }
        IdentityError::NotYetValid { validity } => {
            validity_error(&secret, 0, validity, OutsideValidity::NotYetValid)
        }
    }
}

/// The error for the certificate at `index` of `secret`'s `tls.crt` being outside `validity`.
fn validity_error(
    secret: &SecretRef,
    index: usize,
    validity: Validity,
    outside: OutsideValidity,
) -> SecretError {
    let secret = secret.clone();
    match outside {
        OutsideValidity::Expired => SecretError::CertificateExpired {
            secret,
            index,
            validity,
        },
        OutsideValidity::NotYetValid => SecretError::CertificateNotYetValid {
            secret,
            index,
            validity,
        },
    }
}
