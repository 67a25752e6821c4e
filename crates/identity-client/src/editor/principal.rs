//! [`PrincipalEditor`]: the signed `X-Principal` header.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use bytes::Bytes;
use core_client::{BoxFuture, ClientIdentity, EditorError, HttpClient, RequestEditor, SignedWith};
use http::HeaderValue;

use super::{InvalidHeaderValue, header_value};
use crate::principal::{self, PRINCIPAL_LIFETIME, Principal, PrincipalError, SignError};

/// The header carrying the signed delegated principal.
pub const PRINCIPAL_HEADER: &str = "x-principal";

/// A cached signature is replaced once less than this much of its validity is left (so a
/// receiver never sees one that expires in transit): with the 5-minute lifetime, a signature is
/// reused for 4 minutes.
pub const RESIGN_MARGIN: Duration = Duration::from_secs(60);

/// The principal editor could not set `X-Principal`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrincipalEditorError {
    /// The HTTP client has no client certificate configured, so there is no key to sign the
    /// principal with. Configure `HttpClientOptions::with_certificate` (flags
    /// `--client-certificate-namespace`/`--client-certificate-name`). An unsigned principal is
    /// never sent.
    #[error(
        "no client certificate is configured, so the principal cannot be signed (set --client-certificate-namespace/--client-certificate-name)"
    )]
    NoClientCertificate,
    /// The principal holds a value that must not travel (a control character).
    #[error(transparent)]
    InvalidPrincipal(#[from] PrincipalError),
    /// Signing failed.
    #[error("signing the principal failed")]
    Sign(#[source] SignError),
    /// The signed value could not be a header (cannot happen with base64url output).
    #[error(transparent)]
    InvalidHeaderValue(#[from] InvalidHeaderValue),
}

struct Cached {
    /// The identity that signed; a rotated certificate invalidates the signature.
    identity: Arc<ClientIdentity>,
    value: HeaderValue,
    resign_after: SystemTime,
}

/// How many principals a [`SignatureCache`] holds signatures for.
pub const SIGNATURE_CACHE_CAPACITY: usize = 4096;

/// Signatures of principals, shared by every [`PrincipalEditor`] made with it, so that a
/// principal is signed once per signature lifetime rather than once per API client (on the API
/// path, one client is made per inbound request).
///
/// Each [`BaseClient`](crate::BaseClient) has one. It holds at most
/// [`SIGNATURE_CACHE_CAPACITY`] principals; when full, signatures due for renewal are dropped
/// first, then all. Cheap to clone; clones share the entries.
#[derive(Clone, Default)]
pub struct SignatureCache {
    entries: Arc<Mutex<HashMap<Principal, Cached>>>,
}

impl std::fmt::Debug for SignatureCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Signatures are bearer-like credentials for their lifetime: only the count shows.
        f.debug_struct("SignatureCache")
            .field("principals", &self.lock().len())
            .finish_non_exhaustive()
    }
}

impl SignatureCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Principal, Cached>> {
        match self.entries.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The cached signature of `principal` by `identity`, if still good at `now`.
    fn get(
        &self,
        principal: &Principal,
        identity: &Arc<ClientIdentity>,
        now: SystemTime,
    ) -> Option<HeaderValue> {
        self.lock()
            .get(principal)
            .filter(|c| Arc::ptr_eq(&c.identity, identity) && now < c.resign_after)
            .map(|c| c.value.clone())
    }

    fn put(&self, principal: &Principal, cached: Cached, now: SystemTime) {
        let mut entries = self.lock();
        if entries.len() >= SIGNATURE_CACHE_CAPACITY && !entries.contains_key(principal) {
            entries.retain(|_, c| now < c.resign_after);
            if entries.len() >= SIGNATURE_CACHE_CAPACITY {
                entries.clear();
            }
        }
        entries.insert(principal.clone(), cached);
    }
}

/// Sets `X-Principal` to the principal signed with the key of the client certificate the
/// [`HttpClient`] currently presents (see [`principal::sign`] for the format).
///
/// The signature is cached and reused until [`RESIGN_MARGIN`] before its `exp`, or until the
/// client certificate is rotated; signing is not on every request. The request is marked
/// [`SignedWith`] the signing identity, so it goes out presenting that certificate even if a
/// rotation lands between signing and sending. Fails (editor name
/// `"principal"`) with [`PrincipalEditorError`], most notably
/// [`PrincipalEditorError::NoClientCertificate`]; the request is then not sent.
///
/// ```no_run
/// # async fn demo(base: identity_client::BaseClient) -> Result<(), Box<dyn std::error::Error>> {
/// use identity_client::{Principal, editor::PrincipalEditor};
///
/// let editor = PrincipalEditor::new(
///     base.http_client().await?,
///     Principal::new("org-1", "proj-1", "alice"),
/// );
/// # let _ = editor;
/// # Ok(())
/// # }
/// ```
pub struct PrincipalEditor {
    http: HttpClient,
    principal: Principal,
    cache: SignatureCache,
}

impl std::fmt::Debug for PrincipalEditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The cached signature and the client key are left out.
        f.debug_struct("PrincipalEditor")
            .field("principal", &self.principal)
            .finish_non_exhaustive()
    }
}

impl PrincipalEditor {
    /// Signs `principal` with the client certificate of `http`, caching the signature in a
    /// cache of its own.
    pub fn new(http: HttpClient, principal: Principal) -> Self {
        Self::with_cache(http, principal, SignatureCache::new())
    }

    /// Like [`PrincipalEditor::new`], sharing signatures through `cache` with other editors
    /// (as [`api_client`](crate::api_client) does through its [`BaseClient`](crate::BaseClient)).
    pub fn with_cache(http: HttpClient, principal: Principal, cache: SignatureCache) -> Self {
        Self {
            http,
            principal,
            cache,
        }
    }

    /// The principal this editor sends.
    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    /// The `X-Principal` value for a request sent now: the cached one while valid, else a
    /// fresh signature (which is then cached).
    pub fn header_value(&self) -> Result<HeaderValue, PrincipalEditorError> {
        self.signed().map(|(value, _)| value)
    }

    /// The header value and the identity that signed it.
    fn signed(&self) -> Result<(HeaderValue, Arc<ClientIdentity>), PrincipalEditorError> {
        let identity = self
            .http
            .client_identity()
            .ok_or(PrincipalEditorError::NoClientCertificate)?;
        let now = SystemTime::now();
        if let Some(value) = self.cache.get(&self.principal, &identity, now) {
            return Ok((value, identity));
        }
        // Sign outside the lock: concurrent requests never wait on each other's signing.
        let jws = principal::sign_at(&self.principal, &identity, now).map_err(|e| match e {
            SignError::InvalidPrincipal(e) => PrincipalEditorError::InvalidPrincipal(e),
            e => PrincipalEditorError::Sign(e),
        })?;
        let value = header_value(PRINCIPAL_HEADER, jws)?;
        let cached = Cached {
            identity: identity.clone(),
            value: value.clone(),
            resign_after: now + PRINCIPAL_LIFETIME.saturating_sub(RESIGN_MARGIN),
        };
        self.cache.put(&self.principal, cached, now);
        Ok((value, identity))
    }
}

impl RequestEditor for PrincipalEditor {
    fn edit<'a>(
        &'a self,
        request: &'a mut http::Request<Bytes>,
    ) -> BoxFuture<'a, Result<(), EditorError>> {
        Box::pin(async move {
            let (value, identity) = self
                .signed()
                .map_err(|e| EditorError::new("principal", e))?;
            request.headers_mut().insert(PRINCIPAL_HEADER, value);
            // Go out presenting the certificate whose key signed, even across a rotation.
            request.extensions_mut().insert(SignedWith(identity));
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn no_client_certificate_is_a_clear_error_and_no_header() {
        let tls = core_client::tls::client_config(&core_client::tls::Roots::WebPki, None).unwrap();
        let http = HttpClient::from_tls_config(tls, None, core_client::HttpConfig::default());
        let editor = PrincipalEditor::new(http, Principal::new("o", "p", "a"));
        let mut request = http::Request::new(Bytes::new());
        let err = editor.edit(&mut request).await.unwrap_err();
        assert_eq!(err.editor(), "principal");
        assert!(matches!(
            err.downcast_ref::<PrincipalEditorError>(),
            Some(PrincipalEditorError::NoClientCertificate)
        ));
        assert!(request.headers().get(PRINCIPAL_HEADER).is_none());
    }

    #[tokio::test]
    async fn marks_the_request_with_the_identity_that_signed() {
        let ca = test_support::Ca::new("ca");
        let leaf = ca.client_cert("compute", test_support::KeyKind::EcdsaP256);
        let identity = ClientIdentity::new(leaf.chain_der(), leaf.key_der()).unwrap();
        let tls = test_support::server::client_tls_config(&ca, Some(&leaf));
        let http = HttpClient::from_tls_config(tls, Some(identity), Default::default());
        let editor = PrincipalEditor::new(http, Principal::new("o", "p", "a"));
        let mut request = http::Request::new(Bytes::new());
        editor.edit(&mut request).await.unwrap();
        let SignedWith(signer) = request.extensions().get::<SignedWith>().unwrap();
        assert_eq!(signer.certificate(), &leaf.cert_der);
        let jws = request.headers()[PRINCIPAL_HEADER].to_str().unwrap();
        principal::verify(jws, signer.certificate()).unwrap();
    }

    #[test]
    fn a_full_signature_cache_drops_stale_entries_first_then_everything() {
        let ca = test_support::Ca::new("ca");
        let leaf = ca.client_cert("compute", test_support::KeyKind::Ed25519);
        let identity = Arc::new(ClientIdentity::new(leaf.chain_der(), leaf.key_der()).unwrap());
        let now = SystemTime::now();
        let entry = |resign_after| Cached {
            identity: identity.clone(),
            value: HeaderValue::from_static("sig"),
            resign_after,
        };
        let principal = |n: usize| Principal::new("org", "proj", format!("user-{n}"));
        let cache = SignatureCache::new();
        let stale = now - Duration::from_secs(1);
        let fresh = now + Duration::from_secs(60);
        for n in 0..SIGNATURE_CACHE_CAPACITY - 1 {
            cache.put(&principal(n), entry(stale), now);
        }
        cache.put(&principal(usize::MAX), entry(fresh), now);
        assert_eq!(cache.lock().len(), SIGNATURE_CACHE_CAPACITY);
        // Full: the stale entries go, the fresh one stays.
        cache.put(&principal(SIGNATURE_CACHE_CAPACITY), entry(fresh), now);
        assert_eq!(cache.lock().len(), 2);
        assert!(cache.get(&principal(usize::MAX), &identity, now).is_some());

        let cache = SignatureCache::new();
        for n in 0..SIGNATURE_CACHE_CAPACITY {
            cache.put(&principal(n), entry(fresh), now);
        }
        assert_eq!(cache.lock().len(), SIGNATURE_CACHE_CAPACITY);
        cache.put(&principal(usize::MAX), entry(fresh), now);
        assert_eq!(cache.lock().len(), 1, "nothing stale to drop: start over");
    }
}
