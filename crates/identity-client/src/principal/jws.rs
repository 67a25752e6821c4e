//! The `X-Principal` compact JWS: signing with the client-certificate key and verifying with
//! the certificate the caller presented in the mTLS handshake.
//!
//! Format: `BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(signature)` (no padding),
//! where the header is `{"alg":"<RS256|ES256|ES384|EdDSA>","x5t#S256":"<thumbprint>"}`, the
//! thumbprint is the base64url SHA-256 of the certificate DER, and the payload is the
//! [`Principal`] JSON plus `iat` and `exp` (seconds since the Unix epoch, `exp = iat + 300`).

use std::{
    fmt,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use core_client::ClientIdentity;
use rustls::{SignatureAlgorithm, SignatureScheme, sign::SigningKey};
use serde::{Deserialize, Serialize};

use super::{Principal, PrincipalError};

/// How long a signed principal is valid (`exp - iat`): 5 minutes.
pub const PRINCIPAL_LIFETIME: Duration = Duration::from_secs(300);

/// How far the clocks of signer and verifier may disagree: `iat` may be this far in the
/// future and `exp` this far in the past.
pub const CLOCK_SKEW: Duration = Duration::from_secs(30);

/// A JWS signature algorithm this crate signs and verifies with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RSA keys).
    Rs256,
    /// ECDSA P-256 with SHA-256; signature is the 64-byte `r || s`.
    Es256,
    /// ECDSA P-384 with SHA-384; signature is the 96-byte `r || s`.
    Es384,
    /// Ed25519.
    EdDsa,
}

impl Algorithm {
    /// The JWS `alg` name (`RS256`, `ES256`, `ES384`, `EdDSA`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
            Self::Es384 => "ES384",
            Self::EdDsa => "EdDSA",
        }
    }

    /// The algorithm named `name`, if supported.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Rs256, Self::Es256, Self::Es384, Self::EdDsa]
            .into_iter()
            .find(|a| a.name() == name)
    }

    fn scheme(self) -> SignatureScheme {
        match self {
            Self::Rs256 => SignatureScheme::RSA_PKCS1_SHA256,
            Self::Es256 => SignatureScheme::ECDSA_NISTP256_SHA256,
            Self::Es384 => SignatureScheme::ECDSA_NISTP384_SHA384,
            Self::EdDsa => SignatureScheme::ED25519,
        }
    }

    /// Length of one ECDSA scalar (`r` or `s`) in the fixed-size JWS form.
    fn ecdsa_scalar_len(self) -> Option<usize> {
        match self {
            Self::Es256 => Some(32),
            Self::Es384 => Some(48),
            Self::Rs256 | Self::EdDsa => None,
        }
    }

    fn verification(self) -> &'static dyn rustls::pki_types::SignatureVerificationAlgorithm {
        match self {
            Self::Rs256 => webpki::ring::RSA_PKCS1_2048_8192_SHA256,
            Self::Es256 => webpki::ring::ECDSA_P256_SHA256,
            Self::Es384 => webpki::ring::ECDSA_P384_SHA384,
            Self::EdDsa => webpki::ring::ED25519,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The principal could not be signed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The client-certificate key is of a type or size with no supported JWS algorithm
    /// (supported: RSA, ECDSA P-256/P-384, Ed25519).
    #[error("the client certificate key ({algorithm}) has no supported JWS algorithm")]
    UnsupportedKey {
        /// The key's algorithm as rustls reports it.
        algorithm: String,
    },
    /// The key refused to sign (a `ring` failure).
    #[error("signing the principal failed")]
    Signing(#[source] rustls::Error),
    /// The ECDSA signature the key produced was not the expected DER `SEQUENCE` of two
    /// integers; this points at a bug, not at the input.
    #[error("the ECDSA signature could not be converted to the JWS form")]
    MalformedEcdsaSignature,
    /// The principal holds a value that must not be signed.
    #[error(transparent)]
    InvalidPrincipal(#[from] PrincipalError),
    /// The system clock is before 1970.
    #[error("the system clock is before the Unix epoch")]
    Clock,
}

/// A signed principal failed verification.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The value is not a compact JWS of three base64url parts with JSON header and payload.
    #[error("malformed X-Principal JWS: {reason}")]
    Malformed {
        /// What is wrong.
        reason: &'static str,
    },
    /// The header names an algorithm that is not accepted (e.g. `none` or `HS256`).
    #[error("unsupported JWS algorithm {alg:?}")]
    UnsupportedAlgorithm {
        /// The `alg` as sent.
        alg: String,
    },
    /// The `x5t#S256` thumbprint is not that of the certificate the peer presented: the
    /// principal was signed by someone else.
    #[error("the x5t#S256 thumbprint does not match the peer certificate")]
    ThumbprintMismatch,
    /// The peer certificate could not be parsed.
    #[error("the peer certificate is not a valid X.509 certificate")]
    InvalidCertificate(#[source] webpki::Error),
    /// The signature does not verify with the peer certificate's public key (tampered
    /// payload, wrong key, or an algorithm that does not fit the key).
    #[error("the X-Principal signature is invalid")]
    BadSignature(#[source] webpki::Error),
    /// The payload is not the principal claims JSON (`iat` and `exp` are required).
    #[error("the X-Principal payload is not valid principal claims")]
    InvalidClaims(#[source] serde_json::Error),
    /// `exp` is not after `iat`, or further after it than [`PRINCIPAL_LIFETIME`]: the signer
    /// tried to mint a principal that lives longer than the platform allows.
    #[error("the X-Principal lifetime from {issued_at} to {expires_at} is not allowed")]
    InvalidLifetime {
        /// `iat`, seconds since the epoch.
        issued_at: u64,
        /// `exp`, seconds since the epoch.
        expires_at: u64,
    },
    /// `iat` is further in the future than [`CLOCK_SKEW`] allows.
    #[error("the X-Principal was issued at {issued_at}, in the future (now {now})")]
    NotYetValid {
        /// `iat`, seconds since the epoch.
        issued_at: u64,
        /// The verification time, seconds since the epoch.
        now: u64,
    },
    /// The signed principal has expired (allowing [`CLOCK_SKEW`]).
    #[error("the X-Principal expired at {expires_at} (now {now})")]
    Expired {
        /// `exp`, seconds since the epoch.
        expires_at: u64,
        /// The verification time, seconds since the epoch.
        now: u64,
    },
}

/// A principal whose signature and expiry were checked.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedPrincipal {
    /// The delegated principal.
    pub principal: Principal,
    /// The algorithm it was signed with.
    pub algorithm: Algorithm,
    /// `iat`, seconds since the Unix epoch.
    pub issued_at: u64,
    /// `exp`, seconds since the Unix epoch.
    pub expires_at: u64,
}

/// The protected header, as received.
#[derive(Deserialize)]
struct Header<'a> {
    alg: std::borrow::Cow<'a, str>,
    #[serde(rename = "x5t#S256")]
    x5t_s256: std::borrow::Cow<'a, str>,
    /// Critical extensions (RFC 7515 4.1.11): none is understood, so its presence is refused.
    #[serde(default)]
    crit: Option<serde_json::Value>,
}

#[derive(Serialize)]
struct ClaimsOut<'a> {
    #[serde(flatten)]
    principal: &'a Principal,
    iat: u64,
    exp: u64,
}

#[derive(Deserialize)]
struct ClaimsIn {
    #[serde(flatten)]
    principal: Principal,
    iat: u64,
    exp: u64,
}

/// The `x5t#S256` thumbprint of a certificate: base64url (no padding) of the SHA-256 of its DER.
pub fn thumbprint(certificate_der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, certificate_der))
}

/// Signs `principal` with `identity`'s key, valid from now for [`PRINCIPAL_LIFETIME`].
///
/// Returns the compact JWS ready for the `X-Principal` header. Prefer the
/// [`PrincipalEditor`](crate::editor::PrincipalEditor), which caches the signature.
pub fn sign(principal: &Principal, identity: &ClientIdentity) -> Result<String, SignError> {
    sign_at(principal, identity, SystemTime::now())
}

/// [`sign`] as of `now`; `iat` is `now` and `exp` is `now + PRINCIPAL_LIFETIME`.
pub fn sign_at(
    principal: &Principal,
    identity: &ClientIdentity,
    now: SystemTime,
) -> Result<String, SignError> {
    principal.validate()?;
    let key = identity.signing_key();
    let (algorithm, signer) = choose(key.as_ref())?;
    let iat = now
        .duration_since(UNIX_EPOCH)
        .map_err(|_| SignError::Clock)?
        .as_secs();
    let header = serde_json::json!({
        "alg": algorithm.name(),
        "x5t#S256": thumbprint(identity.certificate()),
    });
    let claims = ClaimsOut {
        principal,
        iat,
        exp: iat + PRINCIPAL_LIFETIME.as_secs(),
    };
    compact(algorithm, signer.as_ref(), &header, &claims)
}

/// `base64url(header).base64url(claims).base64url(signature)`.
fn compact(
    algorithm: Algorithm,
    signer: &dyn rustls::sign::Signer,
    header: &serde_json::Value,
    claims: &impl Serialize,
) -> Result<String, SignError> {
    // Serialising a JSON value or a plain struct of strings and numbers cannot fail.
    let header = serde_json::to_vec(header).unwrap_or_default();
    let claims = serde_json::to_vec(claims).unwrap_or_default();
    let mut jws = URL_SAFE_NO_PAD.encode(header);
    jws.push('.');
    URL_SAFE_NO_PAD.encode_string(claims, &mut jws);
    let signature = signer.sign(jws.as_bytes()).map_err(SignError::Signing)?;
    let signature = match algorithm.ecdsa_scalar_len() {
        Some(len) => der_to_fixed(&signature, len).ok_or(SignError::MalformedEcdsaSignature)?,
        None => signature,
    };
    jws.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut jws);
    Ok(jws)
}

fn choose(key: &dyn SigningKey) -> Result<(Algorithm, Box<dyn rustls::sign::Signer>), SignError> {
    let candidates: &[Algorithm] = match key.algorithm() {
        SignatureAlgorithm::RSA => &[Algorithm::Rs256],
        SignatureAlgorithm::ECDSA => &[Algorithm::Es256, Algorithm::Es384],
        SignatureAlgorithm::ED25519 => &[Algorithm::EdDsa],
        _ => &[],
    };
    candidates
        .iter()
        .find_map(|a| key.choose_scheme(&[a.scheme()]).map(|s| (*a, s)))
        .ok_or_else(|| SignError::UnsupportedKey {
            algorithm: format!("{:?}", key.algorithm()),
        })
}

/// Verifies an `X-Principal` value against the DER certificate the caller presented in the
/// mTLS handshake (its leaf), as of now.
///
/// Checks, in order: the compact form, the `alg` (only `RS256`, `ES256`, `ES384`, `EdDSA`), the
/// `x5t#S256` thumbprint against `peer_certificate_der`, the signature with that certificate's
/// public key, and that `exp` is in the future.
///
/// ```no_run
/// # fn demo(headers: &http::HeaderMap, peer_certificate_der: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
/// let jws = headers.get("x-principal").ok_or("no principal")?.to_str()?;
/// let verified = identity_client::principal::verify(jws, peer_certificate_der)?;
/// println!("acting for {:?}", verified.principal);
/// # Ok(())
/// # }
/// ```
pub fn verify(jws: &str, peer_certificate_der: &[u8]) -> Result<VerifiedPrincipal, VerifyError> {
    verify_at(jws, peer_certificate_der, SystemTime::now())
}

/// [`verify`] as of `now`.
pub fn verify_at(
    jws: &str,
    peer_certificate_der: &[u8],
    now: SystemTime,
) -> Result<VerifiedPrincipal, VerifyError> {
    let malformed = |reason| VerifyError::Malformed { reason };
    let mut parts = jws.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("expected three dot-separated parts"));
    };
    let header = URL_SAFE_NO_PAD
        .decode(header_b64)
        .map_err(|_| malformed("header is not base64url"))?;
    let header: Header<'_> =
        serde_json::from_slice(&header).map_err(|_| malformed("header is not the JWS JSON"))?;
    if header.crit.is_some() {
        return Err(malformed(
            "the header names critical extensions, none of which is supported",
        ));
    }
    let algorithm =
        Algorithm::from_name(&header.alg).ok_or_else(|| VerifyError::UnsupportedAlgorithm {
            alg: header.alg.clone().into_owned(),
        })?;
    if header.x5t_s256 != thumbprint(peer_certificate_der) {
        return Err(VerifyError::ThumbprintMismatch);
    }
    let signature = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .map_err(|_| malformed("signature is not base64url"))?;
    let signature = match algorithm.ecdsa_scalar_len() {
        Some(len) if signature.len() == 2 * len => fixed_to_der(&signature),
        Some(_) => return Err(malformed("ECDSA signature has the wrong length")),
        None => signature,
    };
    let der = rustls::pki_types::CertificateDer::from(peer_certificate_der);
    let certificate =
        webpki::EndEntityCert::try_from(&der).map_err(VerifyError::InvalidCertificate)?;
    let signed = &jws[..header_b64.len() + 1 + payload_b64.len()];
    certificate
        .verify_signature(algorithm.verification(), signed.as_bytes(), &signature)
        .map_err(VerifyError::BadSignature)?;
    let payload = URL_SAFE_NO_PAD
        .decode(payload_b64)
        .map_err(|_| malformed("payload is not base64url"))?;
    let claims: ClaimsIn = serde_json::from_slice(&payload).map_err(VerifyError::InvalidClaims)?;
    let now = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let skew = CLOCK_SKEW.as_secs();
    if claims.exp <= claims.iat || claims.exp - claims.iat > PRINCIPAL_LIFETIME.as_secs() {
        return Err(VerifyError::InvalidLifetime {
            issued_at: claims.iat,
            expires_at: claims.exp,
        });
    }
    if claims.iat > now.saturating_add(skew) {
        return Err(VerifyError::NotYetValid {
            issued_at: claims.iat,
            now,
        });
    }
    if claims.exp.saturating_add(skew) <= now {
        return Err(VerifyError::Expired {
            expires_at: claims.exp,
            now,
        });
    }
    Ok(VerifiedPrincipal {
        principal: claims.principal,
        algorithm,
        issued_at: claims.iat,
        expires_at: claims.exp,
    })
}

/// Converts a DER `SEQUENCE { INTEGER r, INTEGER s }` into `r || s`, each left-padded to `len`.
fn der_to_fixed(der: &[u8], len: usize) -> Option<Vec<u8>> {
    fn read<'a>(input: &mut &'a [u8], tag: u8) -> Option<&'a [u8]> {
        let (&t, rest) = input.split_first()?;
        if t != tag {
            return None;
        }
        let (&first, mut rest) = rest.split_first()?;
        let size = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 2 || rest.len() < count {
                return None;
            }
            let (bytes, tail) = rest.split_at(count);
            rest = tail;
            bytes
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
        };
        if rest.len() < size {
            return None;
        }
        let (value, tail) = rest.split_at(size);
        *input = tail;
        Some(value)
    }
    let mut input = der;
    let mut sequence = read(&mut input, 0x30)?;
    if !input.is_empty() {
        return None;
    }
    let mut out = vec![0u8; 2 * len];
    for half in out.chunks_mut(len) {
        let integer = read(&mut sequence, 0x02)?;
        let start = integer
            .iter()
            .position(|b| *b != 0)
            .unwrap_or(integer.len());
        let digits = &integer[start..];
        if digits.len() > len {
            return None;
        }
        half[len - digits.len()..].copy_from_slice(digits);
    }
    sequence.is_empty().then_some(out)
}

/// Converts `r || s` (two equal halves) into a DER `SEQUENCE { INTEGER r, INTEGER s }`.
fn fixed_to_der(fixed: &[u8]) -> Vec<u8> {
    fn push_len(out: &mut Vec<u8>, len: usize) {
        if len < 0x80 {
            out.push(len as u8);
        } else {
            out.push(0x81);
            out.push(len as u8);
        }
    }
    let (r, s) = fixed.split_at(fixed.len() / 2);
    let mut body = Vec::with_capacity(fixed.len() + 6);
    for integer in [r, s] {
        let start = integer
            .iter()
            .position(|b| *b != 0)
            .unwrap_or(integer.len().saturating_sub(1));
        let digits = &integer[start..];
        let pad = digits.first().is_none_or(|b| b & 0x80 != 0);
        body.push(0x02);
        push_len(&mut body, digits.len() + usize::from(pad));
        if pad {
            body.push(0);
        }
        body.extend_from_slice(digits);
    }
    let mut out = Vec::with_capacity(body.len() + 3);
    out.push(0x30);
    push_len(&mut out, body.len());
    out.extend_from_slice(&body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecdsa_signature_round_trips_between_der_and_fixed() {
        // r with a high bit (needs a 0x00 pad in DER), s with leading zeros (shorter in DER).
        let mut fixed = vec![0u8; 64];
        fixed[0] = 0x80;
        fixed[31] = 1;
        fixed[34] = 0x7f;
        fixed[63] = 2;
        let der = fixed_to_der(&fixed);
        assert_eq!(&der[..5], &[0x30, der.len() as u8 - 2, 0x02, 33, 0x00]);
        assert_eq!(der_to_fixed(&der, 32).unwrap(), fixed);
        // P-384 sizes.
        let fixed: Vec<u8> = (0..96u8).map(|b| b | 0x80).collect();
        assert_eq!(der_to_fixed(&fixed_to_der(&fixed), 48).unwrap(), fixed);
    }

    #[test]
    fn malformed_der_is_rejected() {
        assert!(der_to_fixed(&[], 32).is_none());
        assert!(der_to_fixed(&[0x30, 0x02, 0x02, 0x00], 32).is_none());
        assert!(der_to_fixed(&[0x31, 0x00], 32).is_none());
        // An integer longer than the scalar.
        let mut der = vec![0x30, 36, 0x02, 33];
        der.extend([0x01; 33]);
        der.extend([0x02, 1, 1]);
        assert!(der_to_fixed(&der, 32).is_none());
    }

    #[test]
    fn algorithm_names_round_trip() {
        for a in [
            Algorithm::Rs256,
            Algorithm::Es256,
            Algorithm::Es384,
            Algorithm::EdDsa,
        ] {
            assert_eq!(Algorithm::from_name(a.name()), Some(a));
        }
        assert_eq!(Algorithm::from_name("none"), None);
        assert_eq!(Algorithm::from_name("HS256"), None);
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        for bad in ["", "a", "a.b", "a.b.c.d", "!!.e30.AA", "e30.e30.AA"] {
            assert!(verify(bad, b"not a cert").is_err(), "{bad}");
        }
    }

    #[test]
    fn thumbprint_is_base64url_sha256() {
        // SHA-256("abc"), base64url without padding.
        assert_eq!(
            thumbprint(b"abc"),
            "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
        );
    }

    /// Signs `header` and `claims` as they are, with a fresh P-256 identity; returns the JWS
    /// and the certificate to verify it against.
    fn signed(header: serde_json::Value, claims: serde_json::Value) -> (String, Vec<u8>) {
        let ca = test_support::Ca::new("ca");
        let leaf = ca.client_cert("c", test_support::KeyKind::EcdsaP256);
        let identity = ClientIdentity::new(leaf.chain_der(), leaf.key_der()).unwrap();
        let (algorithm, signer) = choose(identity.signing_key().as_ref()).unwrap();
        let mut header = header;
        header["x5t#S256"] = thumbprint(&leaf.cert_der).into();
        let jws = compact(algorithm, signer.as_ref(), &header, &claims).unwrap();
        (jws, leaf.cert_der.to_vec())
    }

    fn epoch(at: SystemTime) -> u64 {
        at.duration_since(UNIX_EPOCH).unwrap().as_secs()
    }

    #[test]
    fn claims_must_describe_a_short_lifetime_starting_now() {
        let now = SystemTime::now();
        let t = epoch(now);
        let header = serde_json::json!({ "alg": "ES256" });
        let check = |iat: u64, exp: u64| {
            let (jws, cert) = signed(
                header.clone(),
                serde_json::json!({"actor": "a", "iat": iat, "exp": exp}),
            );
            verify_at(&jws, &cert, now)
        };
        assert!(check(t, t + 300).is_ok());
        // Within the clock skew on either side.
        assert!(check(t + 20, t + 320).is_ok());
        assert!(check(t - 320, t - 20).is_ok());
        // A principal minted to live for a year.
        assert!(matches!(
            check(t, t + 365 * 86_400),
            Err(VerifyError::InvalidLifetime { .. })
        ));
        assert!(matches!(
            check(t, t),
            Err(VerifyError::InvalidLifetime { .. })
        ));
        assert!(matches!(
            check(t + 10, t),
            Err(VerifyError::InvalidLifetime { .. })
        ));
        // Issued in the future, beyond the skew.
        assert!(matches!(
            check(t + 120, t + 400),
            Err(VerifyError::NotYetValid { .. })
        ));
        // Expired beyond the skew.
        assert!(matches!(
            check(t - 400, t - 100),
            Err(VerifyError::Expired { .. })
        ));
    }

    #[test]
    fn critical_header_extensions_are_refused() {
        let t = epoch(SystemTime::now());
        let claims = serde_json::json!({"actor": "a", "iat": t, "exp": t + 300});
        let (jws, cert) = signed(
            serde_json::json!({ "alg": "ES256", "crit": ["exp"] }),
            claims,
        );
        assert!(matches!(
            verify(&jws, &cert),
            Err(VerifyError::Malformed { .. })
        ));
    }
}
