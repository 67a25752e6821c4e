//! Picking up rotated Secrets: what an [`HttpClient`](crate::HttpClient)'s TLS material was
//! read from, the transport built from it, and the task that re-reads it every
//! [`HttpClientOptions::reload_interval`](crate::HttpClientOptions::reload_interval).

use std::{
    sync::{Arc, RwLock, Weak},
    time::{Duration, SystemTime},
};

use crate::{
    ClientError, HttpConfig, SecretError, SecretRef,
    discovery::{Hosts, Protocol},
    secret::{TLS_CERT_KEY, TlsSecret},
    tls::{self, ClientIdentity, Roots},
    transport::{self, HyperClients},
};

/// Where an [`HttpClient`](crate::HttpClient)'s TLS material comes from, so it can be re-read.
#[derive(Clone)]
pub(crate) struct Source {
    pub(crate) kube: kube::Client,
    pub(crate) ca: Option<SecretRef>,
    pub(crate) certificate: Option<SecretRef>,
    /// Zero: read once, never again.
    pub(crate) reload_interval: Duration,
    /// How long one Secret read may take.
    pub(crate) read_timeout: Duration,
}

/// The `resourceVersion`s the material was built from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Versions {
    ca: Option<String>,
    certificate: Option<String>,
}

/// The TLS material of an [`HttpClient`](crate::HttpClient) at one time: one client identity,
/// one set of roots, and the connection pools presenting and trusting them. A rotation makes a
/// new one; the old one lives on while a request [signed](crate::SignedWith) with its identity
/// still holds it.
pub(crate) struct Material {
    clients: HyperClients,
    /// The HTTP version each host speaks, once known.
    pub(crate) hosts: Hosts,
    pub(crate) identity: Option<Arc<ClientIdentity>>,
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
            clients: transport::build(tls, config),
            hosts: Hosts::default(),
            identity: identity.map(Arc::new),
            versions: Versions::default(),
        }
    }

    /// Sends `request` through the pool for `protocol`.
    pub(crate) async fn send(
        &self,
        protocol: Protocol,
        request: http::Request<bytes::Bytes>,
    ) -> Result<http::Response<hyper::body::Incoming>, hyper_util::client::legacy::Error> {
        let client = match protocol {
            Protocol::Http2 => &self.clients.http2,
            Protocol::Negotiate => &self.clients.negotiating,
        };
        client.request(request.map(http_body_util::Full::new)).await
    }

    /// Reads the Secrets of `source` and builds material from them.
    pub(crate) async fn load(source: &Source, config: &HttpConfig) -> Result<Self, ClientError> {
        build(source, &Secrets::read(source).await?, config)
    }
}

/// The material of an [`HttpClient`](crate::HttpClient) and how to renew it.
pub(crate) struct Rotation {
    config: HttpConfig,
    /// The material new requests use. Requests signed earlier hold theirs themselves.
    current: RwLock<Arc<Material>>,
    source: Option<Source>,
    /// One reload at a time.
    reload: tokio::sync::Mutex<()>,
}

impl Rotation {
    pub(crate) fn new(config: HttpConfig, material: Material, source: Option<Source>) -> Self {
        Self {
            config,
            current: RwLock::new(Arc::new(material)),
            source,
            reload: tokio::sync::Mutex::new(()),
        }
    }

    pub(crate) fn config(&self) -> &HttpConfig {
        &self.config
    }

    pub(crate) fn source(&self) -> Option<&Source> {
        self.source.as_ref()
    }

    /// The material new requests use.
    pub(crate) fn current(&self) -> Arc<Material> {
        // A poisoned lock only means a panic elsewhere while swapping an `Arc`; the value is
        // still whole.
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Re-reads the Secrets and, when a `resourceVersion` changed, makes new connections use
    /// the new material. Returns whether anything changed.
    ///
    /// Each Secret read is bounded by [`Source::read_timeout`]. The lock held meanwhile is the
    /// reloads' own (one at a time); requests never take it: they only clone the current
    /// material, which is locked just long enough to swap it.
    ///
    /// Changed Secrets are checked as when the client was built (an expired or not yet valid
    /// certificate, a broken chain or key are refused): on error the current material stays,
    /// and as it still differs from the Secrets' versions, the next reload reads and checks
    /// them again, picking up a fixed Secret (or one whose `notBefore` has come).
    pub(crate) async fn reload(&self) -> Result<bool, ClientError> {
        let Some(source) = &self.source else {
            return Ok(false);
        };
        // One reload at a time; a caller arriving during one waits and re-checks.
        let _guard = self.reload.lock().await;
        let secrets = Secrets::read(source).await?;
        if secrets.versions() == self.current().versions {
            return Ok(false);
        }
        let material = Arc::new(build(source, &secrets, &self.config)?);
        tracing::info!(
            ca = ?source.ca.as_ref().map(ToString::to_string),
            certificate = ?source.certificate.as_ref().map(ToString::to_string),
            "TLS secrets changed; new connections use the new material"
        );
        // The old material is dropped here unless signed requests still hold it.
        match self.current.write() {
            Ok(mut guard) => *guard = material,
            Err(poisoned) => *poisoned.into_inner() = material,
        }
        Ok(true)
    }

    /// Logs a failed background reload, naming the Secret at fault (or, when the TLS stack
    /// refused the material, the Secrets it came from).
    fn warn_reload_failed(&self, error: &ClientError) {
        let name = |secret: Option<&SecretRef>| secret.map(ToString::to_string);
        match error.secret() {
            Some(secret) => tracing::warn!(
                secret = %secret,
                error = %error,
                "reloading a TLS Secret failed; new connections keep the material last read"
            ),
            None => tracing::warn!(
                ca = ?self.source.as_ref().and_then(|s| name(s.ca.as_ref())),
                certificate = ?self.source.as_ref().and_then(|s| name(s.certificate.as_ref())),
                error = %error,
                "reloading TLS Secrets failed; new connections keep the material last read"
            ),
        }
    }

    /// Starts the task that reloads every [`Source::reload_interval`], when there is anything
    /// to reload and the interval is not zero. The task holds only a weak reference and ends
    /// once the last [`HttpClient`](crate::HttpClient) clone is gone.
    pub(crate) fn spawn_reload_task(self: &Arc<Self>) {
        let Some(source) = &self.source else { return };
        if source.reload_interval.is_zero() || (source.ca.is_none() && source.certificate.is_none())
        {
            return;
        }
        let interval = source.reload_interval;
        let rotation: Weak<Self> = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(interval).await;
                let Some(rotation) = rotation.upgrade() else {
                    return;
                };
                if let Err(error) = rotation.reload().await {
                    rotation.warn_reload_failed(&error);
                }
            }
        });
    }
}

/// The Secrets of a [`Source`], as read at one time.
struct Secrets {
    ca: Option<TlsSecret>,
    certificate: Option<TlsSecret>,
}

impl Secrets {
    async fn read(source: &Source) -> Result<Self, SecretError> {
        let timeout = source.read_timeout;
        let ca = match &source.ca {
            Some(ca) => Some(TlsSecret::get(&source.kube, ca, timeout).await?),
            None => None,
        };
        let certificate = match &source.certificate {
            Some(cert) => Some(TlsSecret::get(&source.kube, cert, timeout).await?),
            None => None,
        };
        Ok(Self { ca, certificate })
    }

    fn versions(&self) -> Versions {
        Versions {
            ca: self.ca.as_ref().and_then(|s| s.resource_version.clone()),
            certificate: self
                .certificate
                .as_ref()
                .and_then(|s| s.resource_version.clone()),
        }
    }
}

/// Builds material from `secrets`, refusing any that fails the checks of
/// [`TlsSecret::ca_certificates`] and [`TlsSecret::client_identity`].
fn build(source: &Source, secrets: &Secrets, config: &HttpConfig) -> Result<Material, ClientError> {
    // One reading of the clock for both Secrets.
    let now = SystemTime::now();
    let roots = match &secrets.ca {
        Some(secret) => Roots::Private(secret.ca_certificates(now)?),
        None => Roots::WebPki,
    };
    let identity = match &secrets.certificate {
        Some(secret) => Some(secret.client_identity(now)?),
        None => None,
    };
    let tls = tls::client_config(&roots, identity.as_ref()).map_err(|e| match (&source.ca, e) {
        // The only certificates a root store rejects are the CA's.
        (Some(ca), rustls::Error::InvalidCertificate(_)) => {
            ClientError::Secret(SecretError::NoCertificate {
                secret: ca.clone(),
                key: TLS_CERT_KEY,
            })
        }
        (_, e) => ClientError::Tls(e),
    })?;
    Ok(Material {
        clients: transport::build(tls, config),
        hosts: Hosts::default(),
        identity: identity.map(Arc::new),
        versions: secrets.versions(),
    })
}
