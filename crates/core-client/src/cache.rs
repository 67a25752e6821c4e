//! [`ClientCache`]: one [`HttpClient`] per distinct set of options.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use tokio::sync::OnceCell;

use crate::HttpOptions;
use crate::{ClientError, HttpClient, HttpClientOptions, HttpConfig, SecretRef};

/// What makes two clients interchangeable: the same Secrets, reloaded alike, and the same
/// knobs. The host is not part of it: one pool serves any number of hosts.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    ca: Option<SecretRef>,
    client: HttpClientOptions,
    config: HttpConfig,
}

/// Hands out [`HttpClient`]s, building each distinct one once.
///
/// Asking twice for the same CA Secret, [`HttpClientOptions`] and [`HttpConfig`] returns clones of
/// one client: the Secrets are read once and the connection pool is shared. Rotated Secrets
/// are still picked up (see [`HttpClient`]). Cheap to clone; clones share the cache.
///
/// The cache is tied to one Kubernetes API (the `kube::Client` it was made with), which is why
/// it is an object you hold rather than a process-wide global.
#[derive(Clone)]
pub struct ClientCache {
    kube: kube::Client,
    /// One cell per key: the map lock is held only to find the cell, so building one client
    /// (Kubernetes API calls) never holds up callers asking for another.
    clients: Arc<Mutex<HashMap<Key, Arc<OnceCell<HttpClient>>>>>,
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

    /// The client for these options, built on first use. Concurrent first calls build it once.
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
        let cell = {
            let mut clients = match self.clients.lock() {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            clients.entry(key).or_default().clone()
        };
        // Concurrent first calls for one key build once; a failed build leaves the cell empty
        // for the next caller to try again.
        cell.get_or_try_init(|| HttpClient::new(self.kube.clone(), options, client_options))
            .await
            .cloned()
    }
}
