//! The controller-path wire form of a principal: a compact JWS, protected header exactly
//! `{"alg":"PS512"}`, the principal JSON as payload, RSASSA-PSS with SHA-512 and a 64-byte
//! salt by the client certificate's RSA key (`UPSTREAM.md` §4, go-jose's output).
//!
//! ```text
//! eyJhbGciOiJQUzUxMiJ9 . base64url(principal JSON) . base64url(signature)
//! ```

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use core_client::ClientIdentity;
use rsa::{
    BigUint, RsaPublicKey,
    pkcs1::{self, der::Decode},
};
use rustls::SignatureScheme;
use rustls_pki_types::CertificateDer;

use super::{
    Principal,
    json::{DecodeError, from_json},
    pss,
    rules::{SignerError, check_signing_key},
};

/// The only protected header this crate writes: `{"alg":"PS512"}`.
pub const PROTECTED_HEADER: &str = r#"{"alg":"PS512"}"#;

/// [`PROTECTED_HEADER`] in base64url, the first part of every JWS this crate writes.
pub const ENCODED_PROTECTED_HEADER: &str = "eyJhbGciOiJQUzUxMiJ9";

/// The OID of `rsaEncryption` keys.
const RSA_ENCRYPTION_OID: &str = "1.2.840.113549.1.1.1";

/// A principal could not be signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The identity cannot sign the principal: its key is not RSA
    /// ([`SignerError::UnsupportedKeyType`]).
    #[error("the client certificate cannot sign the principal")]
    Signer(#[from] SignerError),
    /// The RSA key offers no RSASSA-PSS SHA-512 scheme (a key from another provider than
    /// rustls's own).
    #[error("the RSA key offers no RSASSA-PSS SHA-512 signature scheme")]
    NoPssScheme,
    /// The key refused to sign.
    #[error("signing the principal failed")]
    Sign(#[source] rustls::Error),
}

/// Signs `principal` with the key of `identity`: the compact JWS the controller path sends.
/// The key must be RSA ([`check_signing_key`]).
///
/// PSS signatures are randomized: two calls give different, equally valid values.
pub fn sign(principal: &Principal, identity: &ClientIdentity) -> Result<String, SignError> {
    check_signing_key(identity)?;
    let signer = identity
        .signing_key()
        .choose_scheme(&[SignatureScheme::RSA_PSS_SHA512])
        .ok_or(SignError::NoPssScheme)?;
    let mut jws = String::with_capacity(512);
    jws.push_str(ENCODED_PROTECTED_HEADER);
    jws.push('.');
    URL_SAFE_NO_PAD.encode_string(principal.to_json(), &mut jws);
    let signature = signer.sign(jws.as_bytes()).map_err(SignError::Sign)?;
    jws.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut jws);
    Ok(jws)
}

/// A controller-path `X-Principal` could not be accepted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JwsError {
    /// Not three unpadded base64url parts, or a protected header that is not a JSON object.
    #[error("the JWS is malformed: {reason}")]
    Malformed {
        /// What is wrong.
        reason: &'static str,
    },
    /// The protected header names another algorithm than `PS512`.
    #[error("the JWS algorithm {algorithm:?} is not accepted (only PS512 is)")]
    UnsupportedAlgorithm {
        /// The `alg` found (empty when absent).
        algorithm: String,
    },
    /// The certificate to verify against does not hold a usable RSA key (the cause says why).
    #[error("the caller's certificate holds no usable RSA key")]
    UnsupportedKey(#[source] UnusableKey),
    /// The signature does not verify with the certificate's key.
    #[error("the JWS signature does not verify with the caller's certificate")]
    BadSignature,
    /// The signed payload is not a principal.
    #[error("the signed payload is not a principal")]
    Payload(#[source] DecodeError),
}

/// Verifies a controller-path `X-Principal` against the certificate (DER) of the service that
/// made the call, as the platform's `VerifyAndDecode` does: three unpadded base64url parts,
/// `alg` exactly `PS512` (other header fields are allowed), an RSA key, RSASSA-PSS SHA-512 with
/// any salt length; then the payload is read as principal JSON.
pub fn verify(jws: &str, certificate: &CertificateDer<'_>) -> Result<Principal, JwsError> {
    let malformed = |reason| JwsError::Malformed { reason };
    let mut parts = jws.split('.');
    let (Some(header_part), Some(payload_part), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("a compact JWS has exactly three parts"));
    };
    let decode = |part: &str, what| URL_SAFE_NO_PAD.decode(part).map_err(|_| malformed(what));
    let header_json = decode(
        header_part,
        "the protected header is not unpadded base64url",
    )?;
    let payload_json = decode(payload_part, "the payload is not unpadded base64url")?;
    let signature = decode(signature, "the signature is not unpadded base64url")?;
    let protected: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&header_json)
            .map_err(|_| malformed("the protected header is not a JSON object"))?;
    match protected.get("alg") {
        Some(serde_json::Value::String(alg)) if alg == "PS512" => {}
        other => {
            return Err(JwsError::UnsupportedAlgorithm {
                algorithm: other
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            });
        }
    }
    let key = rsa_public_key(certificate).map_err(JwsError::UnsupportedKey)?;
    // The signing input is the text as sent, not a re-encoding of the header.
    let signing_input = &jws[..header_part.len() + 1 + payload_part.len()];
    if !pss::verify_sha512_any_salt(&key, signing_input.as_bytes(), &signature) {
        return Err(JwsError::BadSignature);
    }
    from_json(&payload_json).map_err(JwsError::Payload)
}

/// Why a certificate's key cannot verify a signed principal.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UnusableKey {
    /// The certificate is not a DER X.509 certificate.
    #[error("the certificate does not parse")]
    Certificate(#[source] Cause),
    /// The certificate's key is of another algorithm than RSA: the caller's certificate has,
    /// say, an ECDSA key, and the platform's signatures are RSA only.
    #[error("its key algorithm is {oid}, not RSA")]
    NotRsa {
        /// The key algorithm's OID, dotted (`1.2.840.10045.2.1` for EC keys).
        oid: String,
    },
    /// The RSA public key is not a valid PKCS#1 `RSAPublicKey`.
    #[error("the RSA key does not parse")]
    Malformed(#[source] Cause),
    /// The modulus is too small to be safe or too large to verify in bounded time.
    #[error(
        "a {bits}-bit modulus is outside {}..={} bits",
        pss::MIN_MODULUS_BITS,
        pss::MAX_MODULUS_BITS
    )]
    ModulusSize {
        /// The modulus's size in bits.
        bits: usize,
    },
    /// The modulus and exponent do not make an RSA key.
    #[error("the RSA key is invalid")]
    Invalid(#[source] Cause),
}

/// The parser's own error behind an [`UnusableKey`]: `x509-parser`'s, `der`'s or `rsa`'s,
/// boxed so that their versions stay out of this crate's API (downcast to inspect it).
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// The RSA public key of `certificate`.
fn rsa_public_key(certificate: &CertificateDer<'_>) -> Result<RsaPublicKey, UnusableKey> {
    let (_, parsed) = x509_parser::parse_x509_certificate(certificate.as_ref())
        .map_err(|e| UnusableKey::Certificate(e.into()))?;
    let spki = &parsed.tbs_certificate.subject_pki;
    let oid = spki.algorithm.algorithm.to_id_string();
    if oid != RSA_ENCRYPTION_OID {
        return Err(UnusableKey::NotRsa { oid });
    }
    let key = pkcs1::RsaPublicKey::from_der(&spki.subject_public_key.data)
        .map_err(|e| UnusableKey::Malformed(e.into()))?;
    let n = BigUint::from_bytes_be(key.modulus.as_bytes());
    let e = BigUint::from_bytes_be(key.public_exponent.as_bytes());
    let bits = n.bits();
    if !(pss::MIN_MODULUS_BITS..=pss::MAX_MODULUS_BITS).contains(&bits) {
        return Err(UnusableKey::ModulusSize { bits });
    }
    RsaPublicKey::new_with_max_size(n, e, pss::MAX_MODULUS_BITS)
        .map_err(|e| UnusableKey::Invalid(e.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use region_client_testing::{Ca, KeyKind};
    use rustls::SignatureAlgorithm;

    fn identity(kind: KeyKind) -> (ClientIdentity, CertificateDer<'static>) {
        let ca = Ca::new("ca");
        let leaf = ca.client_cert("compute", kind);
        let identity = ClientIdentity::new(leaf.chain_der(), leaf.key_der()).unwrap();
        (identity, leaf.cert_der)
    }

    #[test]
    fn protected_header_is_exactly_alg_ps512() {
        assert_eq!(
            URL_SAFE_NO_PAD.encode(PROTECTED_HEADER),
            ENCODED_PROTECTED_HEADER
        );
    }

    #[test]
    fn signs_and_verifies_with_rsa() {
        let (identity, certificate) = identity(KeyKind::Rsa);
        let principal = Principal::new("o", "p", "a");
        let jws = sign(&principal, &identity).unwrap();
        let parts: Vec<&str> = jws.split('.').collect();
        assert_eq!(parts[0], ENCODED_PROTECTED_HEADER);
        assert_eq!(
            URL_SAFE_NO_PAD.decode(parts[1]).unwrap(),
            principal.to_json()
        );
        // RSA-2048: a 256-byte signature.
        assert_eq!(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().len(), 256);
        assert_eq!(verify(&jws, &certificate).unwrap(), principal);
        // Randomized: a second signature differs and verifies too.
        let again = sign(&principal, &identity).unwrap();
        assert_ne!(jws, again);
        assert_eq!(verify(&again, &certificate).unwrap(), principal);
    }

    #[test]
    fn other_key_types_cannot_sign() {
        for (kind, key_type) in [
            (KeyKind::EcdsaP256, SignatureAlgorithm::ECDSA),
            (KeyKind::EcdsaP384, SignatureAlgorithm::ECDSA),
            (KeyKind::Ed25519, SignatureAlgorithm::ED25519),
        ] {
            let (identity, _) = identity(kind);
            match sign(&Principal::new("o", "", ""), &identity) {
                Err(SignError::Signer(SignerError::UnsupportedKeyType { key_type: found })) => {
                    assert_eq!(found, key_type);
                }
                other => panic!("{kind:?}: {other:?}"),
            }
            // Asked without signing, the same answer.
            assert_eq!(
                check_signing_key(&identity),
                Err(SignerError::UnsupportedKeyType { key_type })
            );
        }
        assert_eq!(check_signing_key(&identity(KeyKind::Rsa).0), Ok(()));
    }

    #[test]
    fn refusals_are_precise() {
        let (identity, certificate) = identity(KeyKind::Rsa);
        let jws = sign(&Principal::new("o", "p", "a"), &identity).unwrap();
        let parts: Vec<&str> = jws.split('.').collect();

        assert!(matches!(
            verify(&parts[..2].join("."), &certificate),
            Err(JwsError::Malformed { .. })
        ));
        assert!(matches!(
            verify(&format!("{jws}="), &certificate),
            Err(JwsError::Malformed { .. })
        ));
        let rs512 = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS512"}"#);
        assert!(matches!(
            verify(&format!("{rs512}.{}.{}", parts[1], parts[2]), &certificate),
            Err(JwsError::UnsupportedAlgorithm { algorithm }) if algorithm == "RS512"
        ));
        // The header is signed as sent: swapping in another PS512 header breaks the signature.
        let other = URL_SAFE_NO_PAD.encode(r#"{"alg":"PS512","kid":"x"}"#);
        assert!(matches!(
            verify(&format!("{other}.{}.{}", parts[1], parts[2]), &certificate),
            Err(JwsError::BadSignature)
        ));
        let other_certificate = Ca::new("ca").client_cert_rsa("compute", 1).cert_der;
        assert!(matches!(
            verify(&jws, &other_certificate),
            Err(JwsError::BadSignature)
        ));
        let (_, ec_certificate) = self::identity(KeyKind::EcdsaP256);
        assert!(matches!(
            verify(&jws, &ec_certificate),
            Err(JwsError::UnsupportedKey(UnusableKey::NotRsa { oid })) if oid == "1.2.840.10045.2.1"
        ));
    }

    /// Why a key is unusable is kept as a type, the parser's error as the source.
    #[test]
    fn an_unusable_key_keeps_its_cause() {
        use std::error::Error as _;

        let (identity, _) = identity(KeyKind::Rsa);
        let jws = sign(&Principal::new("o", "p", "a"), &identity).unwrap();
        let garbage = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00]);
        let error = verify(&jws, &garbage).unwrap_err();
        let JwsError::UnsupportedKey(UnusableKey::Certificate(cause)) = &error else {
            panic!("{error:?}");
        };
        assert!(cause.is::<x509_parser::nom::Err<x509_parser::error::X509Error>>());
        assert_eq!(
            error.to_string(),
            "the caller's certificate holds no usable RSA key"
        );
        let reason = error.source().unwrap();
        assert_eq!(reason.to_string(), "the certificate does not parse");
        assert!(
            reason.source().is_some(),
            "the parser's error is the source"
        );
    }
}
