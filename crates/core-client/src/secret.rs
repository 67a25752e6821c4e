//! Reading TLS material from Kubernetes Secrets of type `kubernetes.io/tls`.

use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};

use crate::SecretRef;

/// The Secret type this crate reads.
pub const TLS_SECRET_TYPE: &str = "kubernetes.io/tls";
/// The key holding the PEM certificate (chain).
pub const TLS_CERT_KEY: &str = "tls.crt";
/// The key holding the PEM private key.
pub const TLS_KEY_KEY: &str = "tls.key";

/// A Secret could not be turned into TLS material. Every variant names the Secret
/// (`namespace/name`).
#[derive(Debug, thiserror::Error)]
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
        /// The API's answer (boxed: it is large and this is the uncommon path).
        #[source]
        source: Box<kube::Error>,
    },
    /// Any other failure talking to the Kubernetes API.
    #[error("reading secret {secret} failed")]
    Api {
        /// The Secret asked for.
        secret: SecretRef,
        /// The client's error (boxed: it is large and this is the uncommon path).
        #[source]
        source: Box<kube::Error>,
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
    /// `tls.crt` holds no PEM `CERTIFICATE` block, or one that cannot be decoded.
    #[error("secret {secret} key {key:?} holds no valid PEM certificate")]
    NoCertificate {
        /// The Secret read.
        secret: SecretRef,
        /// The key read.
        key: &'static str,
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
    /// The private key in `tls.key` does not belong to the first certificate in `tls.crt`.
    #[error("secret {secret}: the private key does not match the certificate")]
    KeyMismatch {
        /// The Secret read.
        secret: SecretRef,
    },
}

impl SecretError {
    /// The Secret this error is about.
    pub fn secret(&self) -> &SecretRef {
        match self {
            Self::NotFound { secret }
            | Self::Forbidden { secret, .. }
            | Self::Api { secret, .. }
            | Self::WrongType { secret, .. }
            | Self::MissingKey { secret, .. }
            | Self::NoCertificate { secret, .. }
            | Self::InvalidPrivateKey { secret, .. }
            | Self::KeyMismatch { secret } => secret,
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
    /// Reads `secret` through the Kubernetes API and checks its type.
    pub(crate) async fn get(kube: &kube::Client, secret: &SecretRef) -> Result<Self, SecretError> {
        let api: Api<Secret> = Api::namespaced(kube.clone(), &secret.namespace);
        let object = api
            .get(&secret.name)
            .await
            .map_err(|source| match &source {
                kube::Error::Api(status) if status.code == 404 => SecretError::NotFound {
                    secret: secret.clone(),
                },
                kube::Error::Api(status) if status.code == 403 => SecretError::Forbidden {
                    secret: secret.clone(),
                    source: Box::new(source),
                },
                _ => SecretError::Api {
                    secret: secret.clone(),
                    source: Box::new(source),
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

    /// Every certificate in `tls.crt`, in order; at least one.
    pub(crate) fn certificates(&self) -> Result<Vec<CertificateDer<'static>>, SecretError> {
        parse_certificates(self.bytes(TLS_CERT_KEY)?).ok_or_else(|| SecretError::NoCertificate {
            secret: self.secret.clone(),
            key: TLS_CERT_KEY,
        })
    }

    /// The private key in `tls.key`.
    pub(crate) fn private_key(&self) -> Result<PrivateKeyDer<'static>, SecretError> {
        PrivateKeyDer::from_pem_slice(self.bytes(TLS_KEY_KEY)?).map_err(|e| {
            SecretError::InvalidPrivateKey {
                secret: self.secret.clone(),
                reason: e.to_string(),
            }
        })
    }
}

/// All PEM certificates in `pem`, or `None` when there are none or one does not decode.
pub(crate) fn parse_certificates(pem: &[u8]) -> Option<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    (!certs.is_empty()).then_some(certs)
}
