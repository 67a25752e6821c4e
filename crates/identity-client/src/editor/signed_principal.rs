//! [`SignedPrincipalEditor`]: the controller path's `X-Principal`, a PS512 JWS by the client
//! certificate's key.

use bytes::Bytes;
use core_client::{BoxFuture, EditorError, HttpClient, RequestEditor, SignedWith, edited};
use http::HeaderValue;

use super::{InvalidHeaderValue, SignatureCache, header_value};
use crate::{
    Principal, PrincipalError, headers,
    principal::{
        SignerError, check_sendable, check_signable,
        jws::{self, SignError},
    },
};

/// The signed principal could not be set; the request was not sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignedPrincipalError {
    /// The client certificate the HTTP client presents now cannot sign: there is none, or a
    /// rotated certificate's key is not RSA ([`check_signable`]).
    #[error("the client certificate cannot sign the principal")]
    Signer(#[from] SignerError),
    /// Signing failed.
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
///
/// ```no_run
/// # fn demo(http: core_client::HttpClient) -> Result<(), identity_client::PrincipalError> {
/// use identity_client::{
///     Principal,
///     editor::{SignatureCache, SignedPrincipalEditor},
/// };
///
/// let principal = Principal::new("org-1", "", "alice");
/// let editor = SignedPrincipalEditor::new(http, principal, SignatureCache::new())?;
/// # let _ = editor;
/// # Ok(())
/// # }
/// ```
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
    /// `cache`. A principal [`check_sendable`] refuses is refused: an
    /// [empty](Principal::is_empty) one ([`PrincipalError::Empty`]).
    pub fn new(
        http: HttpClient,
        principal: Principal,
        cache: SignatureCache,
    ) -> Result<Self, PrincipalError> {
        check_sendable(&principal, false)?;
        Ok(Self {
            http,
            principal,
            cache,
        })
    }

    /// The `X-Principal` value for a request sent now, and the handle of the identity that
    /// signed it (to put on the request).
    pub fn signed(&self) -> Result<(HeaderValue, SignedWith), SignedPrincipalError> {
        let signer = check_signable(&self.http)?;
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
        let (value, signer) = match self.signed() {
            Ok(signed) => signed,
            Err(e) => return edited(Err(EditorError::new("signed_principal", e))),
        };
        request.headers_mut().insert(headers::PRINCIPAL, value);
        request.extensions_mut().insert(signer);
        edited(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_fixtures::http_presenting as http;
    use region_client_testing::KeyKind;

    #[tokio::test]
    async fn signs_once_and_marks_the_request_with_the_signer() {
        let (http, leaf) = http(Some(KeyKind::Rsa));
        let leaf = leaf.unwrap();
        let cache = SignatureCache::new();
        let alice = Principal::new("o", "p", "alice");
        let editor = SignedPrincipalEditor::new(http, alice.clone(), cache.clone()).unwrap();
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

    /// The API path's editor refused an empty principal; this one signed and sent it.
    #[test]
    fn an_empty_principal_is_never_signed() {
        let (http, _) = http(Some(KeyKind::Rsa));
        let refused = SignedPrincipalEditor::new(http, Principal::default(), SignatureCache::new());
        assert!(matches!(refused, Err(PrincipalError::Empty)), "{refused:?}");
    }

    #[tokio::test]
    async fn fails_without_a_certificate_or_with_a_non_rsa_key() {
        for (kind, expected) in [
            (None, SignerError::NoClientCertificate),
            (
                Some(KeyKind::EcdsaP256),
                SignerError::UnsupportedKeyType {
                    key_type: rustls::SignatureAlgorithm::ECDSA,
                },
            ),
        ] {
            let (http, _) = http(kind);
            let editor = SignedPrincipalEditor::new(
                http,
                Principal::new("o", "", ""),
                SignatureCache::new(),
            )
            .unwrap();
            let mut request = http::Request::new(Bytes::new());
            let error = editor.edit(&mut request).await.unwrap_err();
            assert_eq!(error.editor(), "signed_principal");
            let inner = error.downcast_ref::<SignedPrincipalError>().unwrap();
            assert!(
                matches!(inner, SignedPrincipalError::Signer(found) if *found == expected),
                "{inner:?}"
            );
            assert!(request.headers().is_empty());
        }
    }
}
