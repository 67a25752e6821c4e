//! What the platform requires of a principal before it is sent, and of the key that signs it:
//! each rule in one place, with one error.
//!
//! - [`check_sendable`]: a principal is never sent empty, and is impersonated only when it
//!   names an actor. Both clients ([`api_client`](crate::api_client),
//!   [`controller_client`](crate::controller_client)) and both principal editors
//!   ([`PrincipalEditor`](crate::editor::PrincipalEditor),
//!   [`SignedPrincipalEditor`](crate::editor::SignedPrincipalEditor)) apply it;
//!   [`extract`](super::extract) applies the impersonation half to what it receives, as the
//!   platform's middleware does.
//! - [`check_signable`]: the controller path signs with the current client certificate, whose
//!   key must be RSA (the platform verifies PS512 only). The controller client applies it when
//!   it is built, its editor for every signature. Its key half is
//!   [`check_signing_key`], for an identity in hand: [`jws::sign`](super::jws::sign) applies
//!   it to the identity it is given, and so can a tool that says which paths a certificate
//!   serves without signing anything (the `region doctor` command).

use core_client::{ClientIdentity, HttpClient, SignedWith};
use rustls::SignatureAlgorithm;

use super::{Principal, PrincipalError};

/// Refuses to send `principal` (impersonated when `impersonate`) when the platform would refuse
/// it, or when it would assert nothing:
///
/// - an [empty](Principal::is_empty) principal: [`PrincipalError::Empty`];
/// - impersonating a principal with no actor: [`PrincipalError::ImpersonationWithoutActor`]
///   (the platform answers 400 "principal propagation failure").
///
/// ```
/// use identity_client::{Principal, PrincipalError, principal::check_sendable};
///
/// let alice = Principal::new("org-1", "", "alice");
/// assert!(check_sendable(&alice, true).is_ok());
/// let nobody = Principal::new("org-1", "", "");
/// assert!(check_sendable(&nobody, false).is_ok());
/// assert!(matches!(
///     check_sendable(&nobody, true),
///     Err(PrincipalError::ImpersonationWithoutActor)
/// ));
/// assert!(matches!(
///     check_sendable(&Principal::default(), false),
///     Err(PrincipalError::Empty)
/// ));
/// ```
pub fn check_sendable(principal: &Principal, impersonate: bool) -> Result<(), PrincipalError> {
    if principal.is_empty() {
        return Err(PrincipalError::Empty);
    }
    if impersonate && !can_be_impersonated(principal) {
        return Err(PrincipalError::ImpersonationWithoutActor);
    }
    Ok(())
}

/// Whether a caller may ask to be authorized as `principal`: only when it names an actor (the
/// platform's middleware, `extractPrincipal`).
pub(crate) fn can_be_impersonated(principal: &Principal) -> bool {
    !principal.actor.is_empty()
}

/// The handle to sign the controller path's principal with on `http` now: its current client
/// certificate, whose key must be RSA. Put the handle on the request signed with its
/// [identity](SignedWith::identity), so that the request goes out presenting that certificate.
///
/// Fails with [`SignerError::NoClientCertificate`] when `http` presents no client certificate,
/// and [`SignerError::UnsupportedKeyType`] when its key is not RSA.
///
/// ```no_run
/// # fn demo(http: core_client::HttpClient) -> Result<(), identity_client::principal::SignerError> {
/// let signer = identity_client::principal::check_signable(&http)?;
/// # let _ = signer;
/// # Ok(())
/// # }
/// ```
pub fn check_signable(http: &HttpClient) -> Result<SignedWith, SignerError> {
    let signer = http
        .current_signer()
        .ok_or(SignerError::NoClientCertificate)?;
    check_signing_key(signer.identity())?;
    Ok(signer)
}

/// Whether the key of `identity` can sign the controller path's principal: only an RSA key
/// can (the platform verifies PS512 signatures only); any other is
/// [`SignerError::UnsupportedKeyType`], naming its type. Such a certificate still serves the
/// API path, where nothing is signed.
///
/// ```
/// use core_client::ClientIdentity;
/// use identity_client::principal::{SignerError, check_signing_key};
/// use rustls::SignatureAlgorithm;
///
/// # let ca = region_client_testing::Ca::new("ca");
/// # let leaf = ca.client_cert("doc", region_client_testing::KeyKind::EcdsaP256);
/// # let (certificate_pem, key_pem) = (leaf.chain_pem(), leaf.key_pem());
/// let identity = ClientIdentity::from_pem(certificate_pem.as_bytes(), key_pem.as_bytes())?;
/// assert_eq!(
///     check_signing_key(&identity),
///     Err(SignerError::UnsupportedKeyType { key_type: SignatureAlgorithm::ECDSA })
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_signing_key(identity: &ClientIdentity) -> Result<(), SignerError> {
    match identity.signing_key().algorithm() {
        SignatureAlgorithm::RSA => Ok(()),
        key_type => Err(SignerError::UnsupportedKeyType { key_type }),
    }
}

/// The client certificate cannot sign the controller path's principal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignerError {
    /// No client certificate is configured, so there is no key to sign with. The certificate is
    /// also the calling service's identity on the platform: configure it with
    /// `HttpClientOptions::with_certificate` (flags `--client-certificate-namespace` and
    /// `--client-certificate-name`).
    #[error(
        "no client certificate is configured (--client-certificate-namespace, --client-certificate-name)"
    )]
    NoClientCertificate,
    /// The client certificate's key is not RSA, and the platform verifies PS512 (RSA)
    /// signatures only. Issue the service an RSA certificate; the API path works with any key.
    #[error("its key is {key_type:?}; the platform verifies RSA (PS512) signatures only")]
    UnsupportedKeyType {
        /// The key's algorithm, e.g. `SignatureAlgorithm::ECDSA` or `ED25519`.
        key_type: SignatureAlgorithm,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_fixtures::http_presenting;
    use region_client_testing::KeyKind;

    fn http(kind: Option<KeyKind>) -> HttpClient {
        http_presenting(kind).0
    }

    #[test]
    fn only_an_rsa_client_certificate_signs() {
        let signer = check_signable(&http(Some(KeyKind::Rsa))).unwrap();
        assert_eq!(
            signer.identity().signing_key().algorithm(),
            SignatureAlgorithm::RSA
        );
        for (kind, key_type) in [
            (KeyKind::EcdsaP256, SignatureAlgorithm::ECDSA),
            (KeyKind::EcdsaP384, SignatureAlgorithm::ECDSA),
            (KeyKind::Ed25519, SignatureAlgorithm::ED25519),
        ] {
            let error = check_signable(&http(Some(kind))).unwrap_err();
            assert_eq!(error, SignerError::UnsupportedKeyType { key_type });
        }
        assert_eq!(
            check_signable(&http(None)).unwrap_err(),
            SignerError::NoClientCertificate
        );
    }

    /// The rule for an identity in hand is the one the transport's signer is checked by.
    #[test]
    fn an_identity_in_hand_is_checked_as_the_transports_signer() {
        for kind in [
            KeyKind::Rsa,
            KeyKind::EcdsaP256,
            KeyKind::EcdsaP384,
            KeyKind::Ed25519,
        ] {
            let (http, leaf) = http_presenting(Some(kind));
            let leaf = leaf.unwrap();
            let identity = ClientIdentity::new(leaf.chain_der(), leaf.key_der()).unwrap();
            assert_eq!(
                check_signing_key(&identity),
                check_signable(&http).map(drop),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn the_key_type_is_named_in_the_message() {
        let error = check_signable(&http(Some(KeyKind::Ed25519))).unwrap_err();
        assert_eq!(
            error.to_string(),
            "its key is ED25519; the platform verifies RSA (PS512) signatures only"
        );
    }
}
