//! [`ClientCache`]: one [`HttpClient`] per distinct set of options, and a backoff for builds
//! that fail.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use tokio::{sync::OnceCell, time::Instant};

use crate::HttpOptions;
use crate::{
    ClientError, HttpClient, HttpClientOptions, HttpConfig, MIN_RELOAD_INTERVAL, SecretRef,
};

/// The longest a [`ClientCache`] waits, after a failed build, before building again: the
/// backoff starts at [`MIN_RELOAD_INTERVAL`] and doubles with each failure up to this, the
/// default reload interval, so that a Secret fixed after a long outage is picked up as soon as
/// a rotated one would be.
pub const MAX_BUILD_BACKOFF: Duration = Duration::from_secs(60);

/// What makes two clients interchangeable: the same Secrets, reloaded alike, and the same
/// knobs. The host is not part of it: one pool serves any number of hosts.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    ca: Option<SecretRef>,
    client: HttpClientOptions,
    config: HttpConfig,
}

/// The client of one key: built once; until then, the last failed build.
#[derive(Default)]
struct Slot {
    client: OnceCell<HttpClient>,
    failure: Mutex<Option<Failure>>,
}

/// A failed build, answered to callers until `retry_at`.
struct Failure {
    error: ClientError,
    retry_at: Instant,
    /// The wait that led to `retry_at`; the next failure waits twice as long.
    backoff: Duration,
}

impl Slot {
    fn failure(&self) -> MutexGuard<'_, Option<Failure>> {
        // A poisoned lock only means a panic elsewhere while replacing the value.
        match self.failure.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The error of the last failed build, while its backoff lasts.
    fn backing_off(&self) -> Option<ClientError> {
        self.failure()
            .as_ref()
            .filter(|failure| Instant::now() < failure.retry_at)
            .map(|failure| failure.error.clone())
    }

    /// Remembers `error` until the next backoff step has passed.
    fn failed(&self, error: &ClientError) {
        let mut failure = self.failure();
        let backoff = failure.as_ref().map_or(MIN_RELOAD_INTERVAL, |last| {
            last.backoff.saturating_mul(2).min(MAX_BUILD_BACKOFF)
        });
        *failure = Some(Failure {
            error: error.clone(),
            retry_at: Instant::now() + backoff,
            backoff,
        });
    }
}

/// Hands out [`HttpClient`]s, building each distinct one once.
///
/// Asking twice for the same CA Secret, [`HttpClientOptions`] and [`HttpConfig`] returns clones of
/// one client: the Secrets are read once and the connection pool is shared. Rotated Secrets
/// are still picked up (see [`HttpClient`]). Cheap to clone; clones share the cache.
///
/// A build that fails (a Secret missing, forbidden, malformed, or the Kubernetes API not
/// answering) is remembered: until a backoff has passed, every caller asking for that client
/// gets a copy of the build's error ([`ClientError`] is cheap to clone; match on it as on the
/// first), and no Secret is read. The backoff starts at [`MIN_RELOAD_INTERVAL`] and doubles
/// with each failed build up to [`MAX_BUILD_BACKOFF`], so any number of callers cost at most
/// one read of each Secret per step; the first build that succeeds ends it.
///
/// The cache is tied to one Kubernetes API (the `kube::Client` it was made with), which is why
/// it is an object you hold rather than a process-wide global.
#[derive(Clone)]
pub struct ClientCache {
    kube: kube::Client,
    /// One slot per key: the map lock is held only to find the slot, so building one client
    /// (Kubernetes API calls) never holds up callers asking for another.
    clients: Arc<Mutex<HashMap<Key, Arc<Slot>>>>,
}

impl std::fmt::Debug for ClientCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCache").finish_non_exhaustive()
    }
}

impl ClientCache {
    /// An empty cache reading Secrets through `kube`.
    pub fn new(kube: kube::Client) -> Self {
        Self {
            kube,
            clients: Arc::default(),
        }
    }

    /// The Kubernetes client Secrets are read with.
    pub fn kube_client(&self) -> &kube::Client {
        &self.kube
    }

    /// The client for these options, built on first use: its Secrets read and checked, its TLS
    /// stack built. Concurrent first calls build it once. After a failed build, the same error
    /// until the backoff has passed (see [`ClientCache`]).
    pub async fn http_client(
        &self,
        options: &HttpOptions,
        client_options: &HttpClientOptions,
    ) -> Result<HttpClient, ClientError> {
        let key = Key {
            ca: options.ca_secret().cloned(),
            client: client_options.clone(),
            config: options.config().clone(),
        };
        let slot = {
            let mut clients = match self.clients.lock() {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            clients.entry(key).or_default().clone()
        };
        if let Some(client) = slot.client.get() {
            return Ok(client.clone());
        }
        if let Some(error) = slot.backing_off() {
            return Err(error);
        }
        // Concurrent first calls build once; a failed build leaves the cell empty, and callers
        // that waited for it take its error rather than building again.
        slot.client
            .get_or_try_init(|| async {
                if let Some(error) = slot.backing_off() {
                    return Err(error);
                }
                let built = HttpClient::new(self.kube.clone(), options, client_options).await;
                match &built {
                    Ok(_) => *slot.failure() = None,
                    Err(error) => slot.failed(error),
                }
                built
            })
            .await
            .cloned()
    }
}
