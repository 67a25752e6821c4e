//! Picking up rotated Secrets: where an [`HttpClient`](crate::HttpClient)'s TLS material is
//! read from ([`Source`]), the material in use now, and the task that re-reads the Secrets
//! every [`HttpClientOptions::reload_interval`](crate::HttpClientOptions::reload_interval).

use std::{
    sync::{Arc, RwLock, Weak},
    time::Duration,
};

use crate::{
    ClientError, HttpConfig, SecretError, SecretRef, TlsSecret,
    material::{Material, Versions},
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

impl Source {
    /// Reads the Secrets and builds material from them.
    pub(crate) async fn load(&self, config: &HttpConfig) -> Result<Material, ClientError> {
        self.read().await?.material(config)
    }

    /// Reads the Secrets, each within [`Source::read_timeout`].
    async fn read(&self) -> Result<Secrets, SecretError> {
        Ok(Secrets {
            ca: self.read_one(self.ca.as_ref()).await?,
            certificate: self.read_one(self.certificate.as_ref()).await?,
        })
    }

    async fn read_one(&self, secret: Option<&SecretRef>) -> Result<Option<TlsSecret>, SecretError> {
        match secret {
            Some(secret) => TlsSecret::read(&self.kube, secret, self.read_timeout)
                .await
                .map(Some),
            None => Ok(None),
        }
    }
}

/// The Secrets of a [`Source`], as read at one time.
struct Secrets {
    ca: Option<TlsSecret>,
    certificate: Option<TlsSecret>,
}

impl Secrets {
    fn versions(&self) -> Versions {
        Versions::of(self.ca.as_ref(), self.certificate.as_ref())
    }

    fn material(&self, config: &HttpConfig) -> Result<Material, ClientError> {
        Material::from_secrets(self.ca.as_ref(), self.certificate.as_ref(), config)
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
        let secrets = source.read().await?;
        if secrets.versions() == *self.current().versions() {
            return Ok(false);
        }
        let material = Arc::new(secrets.material(&self.config)?);
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
