//! Every check of a Kubernetes Secret holding TLS material (type `kubernetes.io/tls`):
//! [`TlsSecret`] reads one and runs the checks of a CA Secret or of a client-certificate
//! Secret, each failure a [`SecretError`] naming the Secret and, for its contents, the data key.
//! PEM parsing is [`crate::pem`]'s, the client identity and rustls's own checks are
//! [`crate::tls`]'s: this module decides what is checked of which Secret.

use std::{
    collections::BTreeMap,
    fmt,
    sync::Arc,
    time::{Duration, SystemTime},
};

use k8s_openapi::{ByteString, api::core::v1::Secret};
use kube::Api;
use rustls_pki_types::CertificateDer;

use crate::{
    SecretRef,
    pem::{
        CertificateDerError, CertificatePemError, OutsideValidity, PemSyntaxError,
        PrivateKeyPemError, Validity, parse_certificates,
    },
    tls::{self, ClientIdentity, IdentityError, Roots},
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
    /// `tls.crt` holds no PEM block at all: it is DER, or not a certificate file.
    #[error("secret {secret} key {key:?} holds no valid PEM certificate")]
    NoCertificate {
        /// The Secret read.
        secret: SecretRef,
        /// The key read.
        key: &'static str,
    },
    /// A `CERTIFICATE` block of `tls.crt` (a client chain or a CA bundle) does not hold an
    /// X.509 certificate in DER: the block was corrupted (a bad copy, an edit), or something else was armoured under that
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
    /// `tls.key` holds no private key block (`PRIVATE KEY`, `RSA PRIVATE KEY` or
    /// `EC PRIVATE KEY`): it holds something else (a certificate, DER, a note), or is empty
    /// but for blocks of other labels.
    #[error(
        "secret {secret} key \"tls.key\" holds no PEM private key (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)"
    )]
    NoPrivateKey {
        /// The Secret read.
        secret: SecretRef,
    },
    /// The private key in `tls.key` cannot be used: its DER is malformed, or its algorithm is
    /// not a supported RSA, ECDSA (P-256, P-384) or Ed25519 one.
    #[error("secret {secret} key \"tls.key\" holds a private key that cannot be used")]
    InvalidPrivateKey {
        /// The Secret read.
        secret: SecretRef,
        /// rustls's refusal (boxed: it is large, and this is the uncommon path).
        #[source]
        source: Box<rustls::Error>,
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
    /// rustls refuses a certificate of the CA Secret's `tls.crt` as a trust anchor, although
    /// it parses as X.509 and is a CA (or self-issued): an encoding rustls-webpki is stricter
    /// about, such as a signature algorithm that differs between the certificate and its
    /// contents, or an extension that appears twice. Re-issue the CA certificate with a
    /// standard tool.
    #[error(
        "secret {secret} key \"tls.crt\": the certificate at index {index} cannot be a trust anchor"
    )]
    UnusableCaCertificate {
        /// The CA Secret read.
        secret: SecretRef,
        /// Which certificate, counting PEM blocks from 0.
        index: usize,
        /// rustls's refusal (boxed: it is large, and this is the uncommon path).
        #[source]
        source: Box<rustls::Error>,
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
            | Self::NoPrivateKey { secret }
            | Self::InvalidPrivateKey { secret, .. }
            | Self::EncryptedPrivateKey { secret, .. }
            | Self::KeyMismatch { secret }
            | Self::NotACa { secret, .. }
            | Self::UnusableCaCertificate { secret, .. }
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
            | Self::UnusableCaCertificate { .. }
            | Self::CertificateExpired { .. }
            | Self::CertificateNotYetValid { .. } => Some(TLS_CERT_KEY),
            Self::NoPrivateKey { .. }
            | Self::InvalidPrivateKey { .. }
            | Self::EncryptedPrivateKey { .. } => Some(TLS_KEY_KEY),
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

/// A `kubernetes.io/tls` Secret as read, with the version it was read at, and every check of
/// it, in the order a client makes them: [`TlsSecret::read`] (the read, bounded by a timeout,
/// and the type), then [`TlsSecret::ca_certificates`] for a CA Secret or
/// [`TlsSecret::client_identity`] for a client-certificate Secret. Each failure is a
/// [`SecretError`] naming the Secret and, for its contents, the data key. The client runs
/// these checks when it is built and on every reload; an operator's tool can run them one by
/// one and report each.
///
/// - A client-certificate Secret: `tls.crt` and `tls.key` present; the whole chain parses
///   (PEM by the rules of [`certificates_from_pem`](crate::tls::certificates_from_pem), each
///   block X.509); the key ([`private_key_from_pem`](crate::tls::private_key_from_pem)) is a
///   supported one and matches the leaf; the leaf is within its validity window (the server
///   checks the rest of the chain).
/// - A CA Secret: `tls.crt` present; every certificate parses, is a CA certificate
///   (basicConstraints with `cA` true) or self-issued (a server's self-signed certificate,
///   pinned as its own trust anchor), and is accepted by rustls as a trust anchor; at least
///   one is within its validity window. Any other certificate is refused, even next to a CA:
///   a leaf in a trust bundle (a server's `tls.crt`, leaf then CA, pasted in whole) would make
///   the leaf's key a trust anchor. An expired CA is refused like an expired client
///   certificate. A certificate outside its window next to a valid one is kept, with a
///   warning: a bundle carrying the old CA during a CA rotation is legitimate, and rustls does
///   not check trust anchors' dates.
///
/// `tls.crt` without any PEM block is [`SecretError::NoCertificate`]; a `CERTIFICATE` block
/// that does not hold an X.509 certificate is [`SecretError::InvalidCertificate`], in a CA
/// Secret as in a client chain.
///
/// Its `Debug` names the Secret, its version and its data keys, never their contents.
///
/// ```no_run
/// # async fn demo(kube: kube::Client) {
/// use std::time::{Duration, SystemTime};
/// use core_client::{SecretRef, TlsSecret};
///
/// let name = SecretRef::new("unikorn", "region-ca");
/// match TlsSecret::read(&kube, &name, Duration::from_secs(10)).await {
///     Err(error) => println!("× {error}"),
///     Ok(secret) => match secret.ca_certificates(SystemTime::now()) {
///         Ok(ca) => println!("✓ {name}: {} CA certificate(s)", ca.certificates().len()),
///         Err(error) => println!("× {error}"),
///     },
/// }
/// # }
/// ```
#[derive(Clone)]
pub struct TlsSecret {
    secret: SecretRef,
    resource_version: Option<String>,
    data: BTreeMap<String, ByteString>,
}

impl fmt::Debug for TlsSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The data is left out: `tls.key` holds a private key.
        f.debug_struct("TlsSecret")
            .field("secret", &self.secret)
            .field("resource_version", &self.resource_version)
            .field("keys", &self.data.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl TlsSecret {
    /// Reads `secret` through the Kubernetes API, within `timeout`, and checks its type.
    ///
    /// Fails with [`SecretError::NotFound`], [`SecretError::Forbidden`],
    /// [`SecretError::Timeout`], [`SecretError::Api`] or [`SecretError::WrongType`].
    pub async fn read(
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
        Self::from_object(secret.clone(), object)
    }

    /// A Secret object already read (by a watch, or from a file), named `secret` in errors:
    /// [`SecretError::WrongType`] unless its type is `kubernetes.io/tls`.
    ///
    /// ```
    /// use core_client::{SecretError, SecretRef, TlsSecret};
    ///
    /// let opaque = k8s_openapi::api::core::v1::Secret {
    ///     type_: Some("Opaque".to_owned()),
    ///     ..Default::default()
    /// };
    /// let error = TlsSecret::from_object(SecretRef::new("ns", "ca"), opaque).unwrap_err();
    /// assert!(matches!(error, SecretError::WrongType { found, .. } if found == "Opaque"));
    /// ```
    pub fn from_object(secret: SecretRef, object: Secret) -> Result<Self, SecretError> {
        let found = object.type_.unwrap_or_default();
        if found != TLS_SECRET_TYPE {
            return Err(SecretError::WrongType { secret, found });
        }
        Ok(Self {
            secret,
            resource_version: object.metadata.resource_version,
            data: object.data.unwrap_or_default(),
        })
    }

    /// The Secret this was read from.
    pub fn secret(&self) -> &SecretRef {
        &self.secret
    }

    /// The `resourceVersion` it was read at (a reload rebuilds the TLS material when it
    /// changed).
    pub fn resource_version(&self) -> Option<&str> {
        self.resource_version.as_deref()
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

    /// The checks of a CA Secret (see [`TlsSecret`]): the CA certificates in `tls.crt`,
    /// every one X.509, a CA (or self-issued) and usable by rustls as a trust anchor, at least
    /// one within its validity window at `now`. The others are kept, with a warning, and
    /// listed in [`CaCertificates::outside_validity`].
    pub fn ca_certificates(&self, now: SystemTime) -> Result<CaCertificates, SecretError> {
        let certificates = parse_certificates(self.bytes(TLS_CERT_KEY)?)
            .map_err(|error| certificate_pem_error(&self.secret, error))?;
        for (index, certificate) in certificates.iter().enumerate() {
            if !certificate.trust_anchor {
                return Err(SecretError::NotACa {
                    secret: self.secret.clone(),
                    index,
                });
            }
            tls::check_trust_anchor(&certificate.der).map_err(|source| {
                SecretError::UnusableCaCertificate {
                    secret: self.secret.clone(),
                    index,
                    source: Box::new(source),
                }
            })?;
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
        for &(index, validity, _) in &outside {
            tracing::warn!(
                secret = %self.secret,
                index,
                %validity,
                "a CA certificate is outside its validity window; kept, as another in the Secret is valid (remove it once a CA rotation is over)"
            );
        }
        Ok(CaCertificates {
            certificates: certificates.into_iter().map(|c| c.der).collect(),
            outside_validity: outside
                .into_iter()
                .map(|(index, validity, _)| (index, validity))
                .collect(),
        })
    }

    /// The checks of a client-certificate Secret (see [`TlsSecret`]): the client
    /// identity in `tls.crt` and `tls.key`, its key matching its leaf, the leaf valid at
    /// `now`.
    pub fn client_identity(&self, now: SystemTime) -> Result<ClientIdentity, SecretError> {
        let certificate = self.bytes(TLS_CERT_KEY)?;
        let key = self.bytes(TLS_KEY_KEY)?;
        ClientIdentity::from_pem_at(certificate, key, now)
            .map_err(|error| identity_error(&self.secret, error))
    }
}

/// The CA certificates of a CA Secret that passed its checks
/// ([`TlsSecret::ca_certificates`]).
#[derive(Clone, Debug)]
pub struct CaCertificates {
    certificates: Vec<CertificateDer<'static>>,
    outside_validity: Vec<(usize, Validity)>,
}

impl CaCertificates {
    /// Every certificate of `tls.crt`, in order: the trust anchors.
    pub fn certificates(&self) -> &[CertificateDer<'static>] {
        &self.certificates
    }

    /// The certificates kept although outside their validity window (index in `tls.crt`, and
    /// window): an old CA left in the bundle after a CA rotation, or a new one not valid yet.
    pub fn outside_validity(&self) -> &[(usize, Validity)] {
        &self.outside_validity
    }

    /// The trust anchors, as a TLS configuration takes them.
    pub fn into_roots(self) -> Roots {
        Roots::Private(self.certificates)
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
        IdentityError::PrivateKeyPem(PrivateKeyPemError::NoPrivateKey) => {
            SecretError::NoPrivateKey { secret }
        }
        IdentityError::InvalidPrivateKey(source) => SecretError::InvalidPrivateKey {
            secret,
            source: Box::new(source),
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

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    use region_client_testing::{Ca, KeyKind};

    use super::*;

    /// A `kubernetes.io/tls` Secret object holding `data`, at version `7`.
    fn object(data: &[(&str, &str)]) -> Secret {
        Secret {
            type_: Some(TLS_SECRET_TYPE.to_owned()),
            metadata: ObjectMeta {
                resource_version: Some("7".to_owned()),
                ..ObjectMeta::default()
            },
            data: Some(
                data.iter()
                    .map(|(key, value)| ((*key).to_owned(), ByteString(value.as_bytes().to_vec())))
                    .collect(),
            ),
            ..Secret::default()
        }
    }

    fn name() -> SecretRef {
        SecretRef::new("unikorn", "material")
    }

    #[test]
    fn each_check_runs_alone_on_a_secret_object() {
        let leaf = Ca::new("clients").client_cert("compute", KeyKind::EcdsaP256);
        let untyped = Secret::default();
        assert!(matches!(
            TlsSecret::from_object(name(), untyped),
            Err(SecretError::WrongType { found, .. }) if found.is_empty()
        ));

        let empty = TlsSecret::from_object(name(), object(&[])).unwrap();
        assert_eq!(empty.secret(), &name());
        assert_eq!(empty.resource_version(), Some("7"));
        assert!(matches!(
            empty.ca_certificates(SystemTime::now()),
            Err(SecretError::MissingKey {
                key: TLS_CERT_KEY,
                ..
            })
        ));

        let no_key =
            TlsSecret::from_object(name(), object(&[(TLS_CERT_KEY, &leaf.cert_pem)])).unwrap();
        assert!(matches!(
            no_key.client_identity(SystemTime::now()),
            Err(SecretError::MissingKey {
                key: TLS_KEY_KEY,
                ..
            })
        ));

        let key = leaf.key_pem();
        let whole = TlsSecret::from_object(
            name(),
            object(&[(TLS_CERT_KEY, &leaf.cert_pem), (TLS_KEY_KEY, &key)]),
        )
        .unwrap();
        let identity = whole.client_identity(SystemTime::now()).unwrap();
        assert_eq!(identity.certificate(), &leaf.cert_der);
        // A leaf is no CA, whatever Secret it is in.
        assert!(matches!(
            whole.ca_certificates(SystemTime::now()),
            Err(SecretError::NotACa { index: 0, .. })
        ));
    }

    #[test]
    fn debug_names_the_keys_never_their_contents() {
        let leaf = Ca::new("clients").client_cert("compute", KeyKind::EcdsaP256);
        let key = leaf.key_pem();
        let secret = TlsSecret::from_object(
            name(),
            object(&[(TLS_CERT_KEY, &leaf.cert_pem), (TLS_KEY_KEY, &key)]),
        )
        .unwrap();
        let debug = format!("{secret:?}");
        assert!(
            debug.contains("unikorn") && debug.contains("tls.key"),
            "{debug}"
        );
        let body = key.lines().nth(1).unwrap();
        assert!(
            !debug.contains(body) && !debug.contains("PRIVATE KEY"),
            "{debug}"
        );
    }

    /// The old CA of a CA rotation, kept next to the new one, is listed for whoever reports on
    /// the Secret.
    #[test]
    fn a_ca_kept_outside_its_window_is_listed() {
        let old = Ca::new_valid_between(
            "old",
            UNIX_EPOCH + Duration::from_secs(1_577_836_800),
            UNIX_EPOCH + Duration::from_secs(1_609_459_200),
        );
        let new = Ca::new("new");
        let bundle = format!("{}{}", old.cert_pem, new.cert_pem);
        let secret = TlsSecret::from_object(name(), object(&[(TLS_CERT_KEY, &bundle)])).unwrap();
        let ca = secret.ca_certificates(SystemTime::now()).unwrap();
        assert_eq!(
            ca.certificates(),
            [old.cert_der.clone(), new.cert_der.clone()]
        );
        let window = Validity::new(
            UNIX_EPOCH + Duration::from_secs(1_577_836_800),
            UNIX_EPOCH + Duration::from_secs(1_609_459_200),
        );
        assert_eq!(ca.outside_validity(), [(0, window)]);
        assert!(matches!(ca.into_roots(), Roots::Private(roots) if roots.len() == 2));
    }
}
