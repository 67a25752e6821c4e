//! The TLS material of an [`HttpClient`](crate::HttpClient) at one time ([`Material`]: a client
//! identity, trust anchors, the connection pools presenting and trusting them, what is known
//! of each host's HTTP version, and the Secret versions it was built from), and the handle a
//! request signed with its identity holds it by ([`SignedWith`]).

use std::{sync::Arc, time::SystemTime};

use bytes::Bytes;

use crate::{
    ClientError, HttpConfig, SecretRef, TlsSecret,
    pool::Pools,
    tls::{self, ClientIdentity, Roots},
};

/// The `resourceVersion`s of the Secrets material was built from (none for fixed material).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Versions {
    ca: Option<String>,
    certificate: Option<String>,
}

impl Versions {
    /// The versions of the Secrets as read.
    pub(crate) fn of(ca: Option<&TlsSecret>, certificate: Option<&TlsSecret>) -> Self {
        let version = |secret: Option<&TlsSecret>| {
            secret.and_then(|s| s.resource_version().map(str::to_owned))
        };
        Self {
            ca: version(ca),
            certificate: version(certificate),
        }
    }
}

/// One client identity, one set of trust anchors, and the connection pools presenting and
/// trusting them (with what they learned of each host's HTTP version). A rotation makes new material; the old one lives on while a request
/// [signed](SignedWith) with its identity still holds it.
pub(crate) struct Material {
    pools: Pools,
    identity: Option<Arc<ClientIdentity>>,
    /// The Secret `identity` was read from, to name when a server refuses it.
    certificate_secret: Option<SecretRef>,
    versions: Versions,
}

impl Material {
    /// Material over a ready-made TLS configuration, never reloaded.
    pub(crate) fn fixed(
        tls: rustls::ClientConfig,
        identity: Option<ClientIdentity>,
        config: &HttpConfig,
    ) -> Self {
        Self {
            pools: Pools::new(tls, config),
            identity: identity.map(Arc::new),
            certificate_secret: None,
            versions: Versions::default(),
        }
    }

    /// Material from a CA Secret (else the web PKI roots) and a client-certificate Secret (else
    /// no client certificate), refusing any that fails the checks of
    /// [`TlsSecret::ca_certificates`] and [`TlsSecret::client_identity`].
    pub(crate) fn from_secrets(
        ca: Option<&TlsSecret>,
        certificate: Option<&TlsSecret>,
        config: &HttpConfig,
    ) -> Result<Self, ClientError> {
        // One reading of the clock for both Secrets.
        let now = SystemTime::now();
        let roots = match ca {
            Some(secret) => secret.ca_certificates(now)?.into_roots(),
            None => Roots::WebPki,
        };
        let identity = match certificate {
            Some(secret) => Some(secret.client_identity(now)?),
            None => None,
        };
        let tls = tls::client_config(&roots, identity.as_ref()).map_err(ClientError::Tls)?;
        Ok(Self {
            pools: Pools::new(tls, config),
            identity: identity.map(Arc::new),
            certificate_secret: certificate.map(|s| s.secret().clone()),
            versions: Versions::of(ca, certificate),
        })
    }

    /// The client identity presented, if any.
    pub(crate) fn identity(&self) -> Option<&Arc<ClientIdentity>> {
        self.identity.as_ref()
    }

    /// The Secret the presented identity was read from (`None` without one, or for fixed
    /// material).
    pub(crate) fn certificate_secret(&self) -> Option<&SecretRef> {
        self.identity.as_ref().and(self.certificate_secret.as_ref())
    }

    /// The Secret versions this was built from.
    pub(crate) fn versions(&self) -> &Versions {
        &self.versions
    }

    /// Sends `request` (its body still to be read) over these pools (see [`Pools::send`]).
    pub(crate) async fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<http::Response<hyper::body::Incoming>, hyper_util::client::legacy::Error> {
        self.pools.send(request).await
    }
}

/// The handle a request is signed with: a client identity (certificate and key) and the
/// connections presenting it, from [`HttpClient::current_signer`](crate::HttpClient::current_signer).
/// As a request extension it says that something the request carries (the identity layer's
/// `X-Principal`) was signed with that identity.
///
/// A receiver checks such a signature against the certificate presented in the TLS handshake.
/// [`HttpClient::send`](crate::HttpClient::send) sends a request carrying this extension over
/// the connections of this handle, which present its certificate however many rotations
/// happened since it was taken: the signature and the certificate always match. The handle
/// keeps that material (its key and connection pools) alive as long as it exists, and no
/// longer: the client itself keeps only the current material.
///
/// ```no_run
/// # fn demo(http: core_client::HttpClient, mut request: http::Request<bytes::Bytes>) {
/// if let Some(signer) = http.current_signer() {
///     let key = signer.identity().signing_key();
///     // ... sign something the request carries with `key` ...
///     # let _ = key;
///     request.extensions_mut().insert(signer);
/// }
/// # }
/// ```
#[derive(Clone)]
pub struct SignedWith {
    material: Arc<Material>,
    identity: Arc<ClientIdentity>,
}

impl SignedWith {
    /// The handle to `material`, when it presents an identity.
    pub(crate) fn new(material: Arc<Material>) -> Option<Self> {
        let identity = material.identity()?.clone();
        Some(Self { material, identity })
    }

    /// The client certificate and key to sign with.
    pub fn identity(&self) -> &Arc<ClientIdentity> {
        &self.identity
    }

    /// The material the request goes out over.
    pub(crate) fn material(&self) -> &Arc<Material> {
        &self.material
    }
}

impl std::fmt::Debug for SignedWith {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The connection pools are left out; the identity's Debug leaves out its key.
        f.debug_struct("SignedWith")
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}
