//! Client certificates in headers: the URL-escaped PEM that the ingress puts in
//! `Ssl-Client-Cert` and services forward in `Unikorn-Client-Certificate`.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode, utf8_percent_encode};
use rustls_pki_types::{
    CertificateDer,
    pem::{PemObject, SectionKind},
};

/// Everything but RFC 3986 unreserved characters is escaped (as nginx's
/// `$ssl_client_escaped_cert` does), so `+` travels as `%2B` and survives Go's
/// `url.QueryUnescape`.
const ESCAPE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A certificate header value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// A `%` is not followed by two hex digits, or the text is not UTF-8 once unescaped.
    #[error("the certificate is not URL-escaped text")]
    Unescape,
    /// No PEM block was found.
    #[error("the certificate is not PEM encoded")]
    NotPem,
    /// The first PEM block is not a `CERTIFICATE`.
    #[error("the first PEM block is not a CERTIFICATE")]
    NotCertificate,
    /// The DER in the block is not an X.509 certificate.
    #[error("the certificate does not parse as X.509")]
    Parse,
}

/// `certificate` as PEM, URL-escaped: the form of `Ssl-Client-Cert` and
/// `Unikorn-Client-Certificate`.
///
/// ```
/// # let der = rustls_pki_types::CertificateDer::from(vec![0x30, 0x00]);
/// let value = identity_client::principal::escape_certificate(&der);
/// assert!(value.starts_with("-----BEGIN%20CERTIFICATE-----%0A"));
/// ```
pub fn escape_certificate(certificate: &CertificateDer<'_>) -> String {
    let pem = pem("CERTIFICATE", certificate.as_ref());
    utf8_percent_encode(&pem, ESCAPE).to_string()
}

/// Reads a certificate header value as the platform does (Go's `url.QueryUnescape`, then the
/// first PEM block, which must be a `CERTIFICATE`, then X.509).
pub fn unescape_certificate(value: &str) -> Result<CertificateDer<'static>, CertificateError> {
    // Query unescaping: `+` is a space; `%` must start a valid escape.
    let bytes = value.as_bytes();
    for (index, byte) in bytes.iter().enumerate() {
        if *byte == b'%' {
            let valid = bytes
                .get(index + 1..index + 3)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit));
            if !valid {
                return Err(CertificateError::Unescape);
            }
        }
    }
    let plus_as_space = value.replace('+', " ");
    let pem: Vec<u8> = percent_decode(plus_as_space.as_bytes()).collect();
    let (kind, der) =
        <(SectionKind, Vec<u8>)>::from_pem_slice(&pem).map_err(|_| CertificateError::NotPem)?;
    if kind != SectionKind::Certificate {
        return Err(CertificateError::NotCertificate);
    }
    x509_parser::parse_x509_certificate(&der).map_err(|_| CertificateError::Parse)?;
    Ok(CertificateDer::from(der))
}

/// The subject common name of `certificate`, as Go's `Subject.CommonName` (the last CN
/// attribute; empty when there is none).
pub(crate) fn common_name(certificate: &CertificateDer<'_>) -> Result<String, CertificateError> {
    let (_, parsed) = x509_parser::parse_x509_certificate(certificate.as_ref())
        .map_err(|_| CertificateError::Parse)?;
    Ok(parsed
        .subject()
        .iter_common_name()
        .filter_map(|cn| cn.as_str().ok())
        .last()
        .unwrap_or_default()
        .to_owned())
}

/// `der` as a PEM block labelled `label`, lines of 64 characters.
fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        // Base64 output is ASCII.
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use test_support::{Ca, KeyKind};

    #[test]
    fn escaped_certificates_round_trip_and_name_their_subject() {
        let ca = Ca::new("ca");
        let leaf = ca.client_cert("compute", KeyKind::EcdsaP256);
        let value = escape_certificate(&leaf.cert_der);
        assert!(!value.contains(['+', '/', '=', '\n', ' ']), "{value}");
        let back = unescape_certificate(&value).unwrap();
        assert_eq!(back, leaf.cert_der);
        assert_eq!(common_name(&back).unwrap(), "compute");
        // What Go's url.QueryEscape writes (space as `+`) reads back too.
        let go_style = value.replace("%20", "+");
        assert_eq!(unescape_certificate(&go_style).unwrap(), leaf.cert_der);
    }

    #[test]
    fn refusals_are_precise() {
        assert_eq!(unescape_certificate("%zz"), Err(CertificateError::Unescape));
        assert_eq!(
            unescape_certificate("abc%2"),
            Err(CertificateError::Unescape)
        );
        assert_eq!(
            unescape_certificate("not%20pem"),
            Err(CertificateError::NotPem)
        );
        let key = utf8_percent_encode(&pem("PRIVATE KEY", &[1, 2, 3]), ESCAPE).to_string();
        assert_eq!(
            unescape_certificate(&key),
            Err(CertificateError::NotCertificate)
        );
        let garbage = utf8_percent_encode(&pem("CERTIFICATE", &[1, 2, 3]), ESCAPE).to_string();
        assert_eq!(unescape_certificate(&garbage), Err(CertificateError::Parse));
    }
}
