//! [`SignatureCache`]: controller-path principal signatures, reused per (principal,
//! certificate) and bounded.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex, MutexGuard},
};

use core_client::ClientIdentity;
use http::HeaderValue;

use crate::Principal;

/// How many principals a [`SignatureCache`] keeps a signature for by default.
pub const SIGNATURE_CACHE_CAPACITY: usize = 1024;

/// Signed `X-Principal` values, shared by the controller clients of a
/// [`BaseClient`](crate::BaseClient), so that a principal is signed once per client
/// certificate rather than on every request: an RSA signature costs a millisecond or more, and
/// the platform's own Go clients ran out of entropy signing per request.
///
/// A signature of the platform's JWS carries no expiry, so an entry stays valid until the
/// client certificate changes; a lookup with another certificate misses and the new signature
/// replaces the old. The cache holds at most its capacity: when full, the least recently used
/// entry is evicted (one entry, not all). Cheap to clone; clones share the entries.
#[derive(Clone)]
pub struct SignatureCache {
    inner: Arc<Mutex<Lru>>,
}

impl Default for SignatureCache {
    fn default() -> Self {
        Self::with_capacity(SIGNATURE_CACHE_CAPACITY)
    }
}

impl std::fmt::Debug for SignatureCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Signatures are credentials while the certificate is valid: only the count shows.
        let lru = self.lock();
        f.debug_struct("SignatureCache")
            .field("principals", &lru.entries.len())
            .field("capacity", &lru.capacity)
            .finish_non_exhaustive()
    }
}

struct Entry {
    /// The identity that signed; another certificate needs another signature.
    identity: Arc<ClientIdentity>,
    value: HeaderValue,
    /// When the entry was last used, a key into `Lru::order`.
    used: u64,
}

/// Entries and their order of use (oldest first).
struct Lru {
    entries: HashMap<Principal, Entry>,
    order: BTreeMap<u64, Principal>,
    clock: u64,
    capacity: usize,
}

impl SignatureCache {
    /// An empty cache holding up to [`SIGNATURE_CACHE_CAPACITY`] principals.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty cache holding up to `capacity` principals (at least one).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Lru {
                entries: HashMap::new(),
                order: BTreeMap::new(),
                clock: 0,
                capacity: capacity.max(1),
            })),
        }
    }

    /// How many principals have a signature cached.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether no signature is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, Lru> {
        // A poisoned lock only means a panic elsewhere between two map updates; at worst an
        // entry is missing from `order` and is never evicted before the others.
        match self.inner.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The signature of `principal` by `identity`, if cached; marks it used.
    pub(crate) fn get(
        &self,
        principal: &Principal,
        identity: &Arc<ClientIdentity>,
    ) -> Option<HeaderValue> {
        let mut lru = self.lock();
        let lru = &mut *lru;
        let entry = lru.entries.get_mut(principal)?;
        if !Arc::ptr_eq(&entry.identity, identity) {
            return None;
        }
        lru.clock += 1;
        if let Some(key) = lru.order.remove(&entry.used) {
            lru.order.insert(lru.clock, key);
        }
        entry.used = lru.clock;
        Some(entry.value.clone())
    }

    /// Caches `value`, the signature of `principal` by `identity`, evicting the least recently
    /// used entry when full.
    pub(crate) fn put(
        &self,
        principal: &Principal,
        identity: Arc<ClientIdentity>,
        value: HeaderValue,
    ) {
        let mut lru = self.lock();
        let lru = &mut *lru;
        lru.clock += 1;
        let used = lru.clock;
        if let Some(old) = lru.entries.remove(principal) {
            lru.order.remove(&old.used);
        } else if lru.entries.len() >= lru.capacity
            && let Some((_, oldest)) = lru.order.pop_first()
        {
            lru.entries.remove(&oldest);
        }
        lru.order.insert(used, principal.clone());
        lru.entries.insert(
            principal.clone(),
            Entry {
                identity,
                value,
                used,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> Arc<ClientIdentity> {
        let ca = region_client_testing::Ca::new("ca");
        let leaf = ca.client_cert("compute", region_client_testing::KeyKind::Ed25519);
        Arc::new(ClientIdentity::new(leaf.chain_der(), leaf.key_der()).unwrap())
    }

    fn principal(n: usize) -> Principal {
        Principal::new("org", "proj", format!("user-{n}"))
    }

    fn value(n: usize) -> HeaderValue {
        HeaderValue::from_str(&format!("sig-{n}")).unwrap()
    }

    #[test]
    fn evicts_the_least_recently_used_entry_only() {
        let id = identity();
        let cache = SignatureCache::with_capacity(3);
        for n in 0..3 {
            cache.put(&principal(n), id.clone(), value(n));
        }
        // 0 is used again, so 1 is now the oldest.
        assert_eq!(cache.get(&principal(0), &id), Some(value(0)));
        cache.put(&principal(3), id.clone(), value(3));
        assert_eq!(cache.len(), 3);
        assert_eq!(cache.get(&principal(1), &id), None);
        for n in [0, 2, 3] {
            assert_eq!(cache.get(&principal(n), &id), Some(value(n)), "{n}");
        }
    }

    #[test]
    fn another_certificate_misses_and_replaces() {
        let (old, new) = (identity(), identity());
        let cache = SignatureCache::with_capacity(2);
        cache.put(&principal(0), old.clone(), value(0));
        assert_eq!(cache.get(&principal(0), &new), None);
        cache.put(&principal(0), new.clone(), value(1));
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.get(&principal(0), &new), Some(value(1)));
        assert_eq!(cache.get(&principal(0), &old), None);
        assert!(!format!("{cache:?}").contains("sig-"));
    }
}
