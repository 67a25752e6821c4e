//! [`ClientCache`]: one [`HttpClient`] per distinct set of options.

use std::{collections::HashMap, sync::Arc};

use crate::HttpOptions;
use crate::{ClientError, HttpClient, HttpClientOptions, HttpConfig, SecretRef};

/// What makes two clients interchangeable: the same Secrets and the same knobs. The host is not
/// part of it: one pool serves any number of hosts.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    ca: Option<SecretRef>,
    certificate: Option<SecretRef>,
    config: HttpConfig,
}

/// Hands out [`HttpClient`]s, building each distinct one once.
///
/// Asking twice for the same CA Secret, client certificate and [`HttpConfig`] returns clones of
/// one client: the Secrets are read once and the connection pool is shared. Rotated Secrets
/// are still picked up (see [`HttpClient`]). Cheap to clone; clones share the cache.
///
/// The cache is tied to one Kubernetes API (the `kube::Client` it was made with), which is why
/// it is an object you hold rather than a process-wide global.
#[derive(Clone)]
pub struct ClientCache {
    kube: kube::Client,
    clients: Arc<tokio::sync::Mutex<HashMap<Key, HttpClient>>>,
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
            certificate: client_options.certificate().cloned(),
            config: options.config().clone(),
        };
        let mut clients = self.clients.lock().await;
        if let Some(client) = clients.get(&key) {
            return Ok(client.clone());
        }
        let client = HttpClient::new(self.kube.clone(), options, client_options).await?;
        clients.insert(key, client.clone());
        Ok(client)
    }
}
