//! [`SignedPrincipalEditor`]: the controller path's `X-Principal`, a PS512 JWS by the client
//! certificate's key.

use bytes::Bytes;
use core_client::{BoxFuture, EditorError, HttpClient, RequestEditor, SignedWith};
use http::HeaderValue;

use super::{InvalidHeaderValue, SignatureCache, header_value};
use crate::{
    Principal, headers,
    principal::jws::{self, SignError},
};

/// The signed principal could not be set; the request was not sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignedPrincipalError {
    /// The HTTP client presents no client certificate, so there is no key to sign with.
    /// Configure `HttpClientOptions::with_certificate` (flags `--client-certificate-namespace`
    /// and `--client-certificate-name`).
    #[error("no client certificate is configured, so the principal cannot be signed")]
    NoClientCertificate,
    /// Signing failed, most likely because a rotated client key is not RSA.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// The signed value could not be a header (cannot happen with base64url and dots).
    #[error(transparent)]
    InvalidHeaderValue(#[from] InvalidHeaderValue),
}

/// Sets `X-Principal` to the principal signed PS512 with the key of the client certificate the
/// [`HttpClient`] currently presents ([`jws::sign`]), and puts the [`SignedWith`] handle of
/// that certificate on the request, so it goes out over a connection presenting it however
/// many rotations happen in between: the receiver checks the signature against the
/// certificate the ingress saw.
///
/// Signatures are cached in a [`SignatureCache`] per principal and certificate. Fails (editor
/// name `"signed_principal"`) with [`SignedPrincipalError`].
pub struct SignedPrincipalEditor {
    http: HttpClient,
    principal: Principal,
    cache: SignatureCache,
}

impl std::fmt::Debug for SignedPrincipalEditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Cached signatures and the client key are left out.
        f.debug_struct("SignedPrincipalEditor")
            .field("principal", &self.principal)
            .finish_non_exhaustive()
    }
}

impl SignedPrincipalEditor {
    /// Signs `principal` with the client certificate of `http`, sharing signatures through
    /// `cache`.
    pub fn new(http: HttpClient, principal: Principal, cache: SignatureCache) -> Self {
        Self {
            http,
            principal,
            cache,
        }
    }

    /// The `X-Principal` value for a request sent now, and the handle of the identity that
    /// signed it (to put on the request).
    pub fn signed(&self) -> Result<(HeaderValue, SignedWith), SignedPrincipalError> {
        let signer = self
            .http
            .current_signer()
            .ok_or(SignedPrincipalError::NoClientCertificate)?;
        let identity = signer.identity();
        if let Some(value) = self.cache.get(&self.principal, identity) {
            return Ok((value, signer));
        }
        // Signed outside the cache's lock: concurrent requests never wait on each other.
        let jws = jws::sign(&self.principal, identity)?;
        let mut value = header_value(headers::PRINCIPAL, jws)?;
        value.set_sensitive(true);
        self.cache
            .put(&self.principal, identity.clone(), value.clone());
        Ok((value, signer))
    }
}

impl RequestEditor for SignedPrincipalEditor {
    fn edit<'a>(
        &'a self,
        request: &'a mut http::Request<Bytes>,
    ) -> BoxFuture<'a, Result<(), EditorError>> {
        Box::pin(async move {
            let (value, signer) = self
                .signed()
                .map_err(|e| EditorError::new("signed_principal", e))?;
            request.headers_mut().insert(headers::PRINCIPAL, value);
            request.extensions_mut().insert(signer);
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core_client::ClientIdentity;
    use region_client_testing::{Ca, KeyKind, server::client_tls_config};

    fn http(kind: Option<KeyKind>) -> (HttpClient, Option<region_client_testing::Leaf>) {
        let ca = Ca::new("ca");
        let leaf = kind.map(|kind| ca.client_cert("compute", kind));
        let identity = leaf
            .as_ref()
            .map(|leaf| ClientIdentity::new(leaf.chain_der(), leaf.key_der()).unwrap());
        let tls = client_tls_config(&ca, leaf.as_ref());
        (
            HttpClient::from_tls_config(tls, identity, Default::default()),
            leaf,
        )
    }

    #[tokio::test]
    async fn signs_once_and_marks_the_request_with_the_signer() {
        let (http, leaf) = http(Some(KeyKind::Rsa));
        let leaf = leaf.unwrap();
        let cache = SignatureCache::new();
        let alice = Principal::new("o", "p", "alice");
        let editor = SignedPrincipalEditor::new(http, alice.clone(), cache.clone());
        let mut first = http::Request::new(Bytes::new());
        editor.edit(&mut first).await.unwrap();
        let mut second = http::Request::new(Bytes::new());
        editor.edit(&mut second).await.unwrap();
        let value = &first.headers()[headers::PRINCIPAL];
        assert!(value.is_sensitive());
        assert_eq!(value, &second.headers()[headers::PRINCIPAL], "cached");
        assert_eq!(cache.len(), 1);
        assert_eq!(
            jws::verify(value.to_str().unwrap(), &leaf.cert_der).unwrap(),
            alice
        );
        let signer = first.extensions().get::<SignedWith>().unwrap();
        assert_eq!(signer.identity().certificate(), &leaf.cert_der);
    }

    #[tokio::test]
    async fn fails_without_a_certificate_or_with_a_non_rsa_key() {
        for (kind, expected) in [
            (None, "no client certificate"),
            (Some(KeyKind::EcdsaP256), "ECDSA"),
        ] {
            let (http, _) = http(kind);
            let editor = SignedPrincipalEditor::new(
                http,
                Principal::new("o", "", ""),
                SignatureCache::new(),
            );
            let mut request = http::Request::new(Bytes::new());
            let error = editor.edit(&mut request).await.unwrap_err();
            assert_eq!(error.editor(), "signed_principal");
            let inner = error.downcast_ref::<SignedPrincipalError>().unwrap();
            assert!(inner.to_string().contains(expected), "{inner}");
            assert!(request.headers().is_empty());
        }
    }
}
