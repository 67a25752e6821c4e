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
use rustls::{SignatureAlgorithm, SignatureScheme};
use rustls_pki_types::CertificateDer;

use super::{
    Principal,
    json::{DecodeError, from_json},
    pss,
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
    /// The client key is not RSA; the platform verifies PS512 only.
    #[error("a {key_type} key cannot sign the principal: the platform accepts RSA (PS512) only")]
    UnsupportedKeyType {
        /// The key's algorithm, e.g. `ECDSA` or `ED25519`.
        key_type: String,
    },
    /// The key refused to sign.
    #[error("signing the principal failed")]
    Sign(#[source] rustls::Error),
}

/// Signs `principal` with the key of `identity`: the compact JWS the controller path sends.
///
/// PSS signatures are randomized: two calls give different, equally valid values.
pub fn sign(principal: &Principal, identity: &ClientIdentity) -> Result<String, SignError> {
    let key = identity.signing_key();
    let unsupported = || SignError::UnsupportedKeyType {
        key_type: key_type(key.algorithm()),
    };
    if key.algorithm() != SignatureAlgorithm::RSA {
        return Err(unsupported());
    }
    let signer = key
        .choose_scheme(&[SignatureScheme::RSA_PSS_SHA512])
        .ok_or_else(unsupported)?;
    let mut jws = String::with_capacity(512);
    jws.push_str(ENCODED_PROTECTED_HEADER);
    jws.push('.');
    URL_SAFE_NO_PAD.encode_string(principal.to_json(), &mut jws);
    let signature = signer.sign(jws.as_bytes()).map_err(SignError::Sign)?;
    jws.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut jws);
    Ok(jws)
}

/// The name of a key algorithm in messages (`RSA`, `ECDSA`, `ED25519`, ...).
pub(crate) fn key_type(algorithm: SignatureAlgorithm) -> String {
    format!("{algorithm:?}")
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
    /// The certificate to verify against does not hold a usable RSA key.
    #[error("the caller's certificate holds no usable RSA key: {reason}")]
    UnsupportedKey {
        /// What is wrong with it.
        reason: String,
    },
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
    let key = rsa_public_key(certificate)?;
    // The signing input is the text as sent, not a re-encoding of the header.
    let signing_input = &jws[..header_part.len() + 1 + payload_part.len()];
    if !pss::verify_sha512_any_salt(&key, signing_input.as_bytes(), &signature) {
        return Err(JwsError::BadSignature);
    }
    from_json(&payload_json).map_err(JwsError::Payload)
}

/// The RSA public key of `certificate`.
fn rsa_public_key(certificate: &CertificateDer<'_>) -> Result<RsaPublicKey, JwsError> {
    let unsupported = |reason: String| JwsError::UnsupportedKey { reason };
    let (_, parsed) = x509_parser::parse_x509_certificate(certificate.as_ref())
        .map_err(|e| unsupported(format!("the certificate does not parse: {e}")))?;
    let spki = &parsed.tbs_certificate.subject_pki;
    let oid = spki.algorithm.algorithm.to_id_string();
    if oid != RSA_ENCRYPTION_OID {
        return Err(unsupported(format!("its key algorithm is {oid}, not RSA")));
    }
    let key = pkcs1::RsaPublicKey::from_der(&spki.subject_public_key.data)
        .map_err(|e| unsupported(format!("the RSA key does not parse: {e}")))?;
    let n = BigUint::from_bytes_be(key.modulus.as_bytes());
    let e = BigUint::from_bytes_be(key.public_exponent.as_bytes());
    let bits = n.bits();
    if !(pss::MIN_MODULUS_BITS..=pss::MAX_MODULUS_BITS).contains(&bits) {
        return Err(unsupported(format!(
            "a {bits}-bit modulus is outside {}..={} bits",
            pss::MIN_MODULUS_BITS,
            pss::MAX_MODULUS_BITS
        )));
    }
    RsaPublicKey::new_with_max_size(n, e, pss::MAX_MODULUS_BITS)
        .map_err(|e| unsupported(format!("the RSA key is invalid: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use region_client_testing::{Ca, KeyKind};

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
        for (kind, name) in [
            (KeyKind::EcdsaP256, "ECDSA"),
            (KeyKind::EcdsaP384, "ECDSA"),
            (KeyKind::Ed25519, "ED25519"),
        ] {
            let (identity, _) = identity(kind);
            match sign(&Principal::new("o", "", ""), &identity) {
                Err(SignError::UnsupportedKeyType { key_type }) => assert_eq!(key_type, name),
                other => panic!("{kind:?}: {other:?}"),
            }
        }
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
            Err(JwsError::UnsupportedKey { .. })
        ));
    }
}
