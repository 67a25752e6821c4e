//! Client certificates in headers: the URL-escaped PEM that the ingress puts in
//! `Ssl-Client-Cert` and services forward in `Unikorn-Client-Certificate`
//! ([`ForwardedCertificate`]).

use std::fmt;

use bytes::Bytes;
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

/// A certificate header value could not be read, or a certificate cannot be forwarded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// A `%` is not followed by two hex digits, or the text is not UTF-8 once unescaped.
    #[error("the certificate is not URL-escaped text")]
    Unescape,
    /// A value to forward holds what a header cannot carry (a line break, a control
    /// character, non-ASCII text): most likely a raw PEM given where its URL-escaped form is
    /// expected. [`ForwardedCertificate::from_pem`] takes raw PEM.
    #[error(
        "the certificate is not URL-escaped (a raw PEM? give it to ForwardedCertificate::from_pem)"
    )]
    NotEscaped,
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
    certificate_of_pem(&query_unescape(value)?)
}

/// Go's `url.QueryUnescape`: `+` is a space; `%` must start a valid escape.
fn query_unescape(value: &str) -> Result<Vec<u8>, CertificateError> {
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
    Ok(percent_decode(plus_as_space.as_bytes()).collect())
}

/// The first PEM block of `pem`, which must be an X.509 `CERTIFICATE`, as the platform reads
/// a certificate header once unescaped.
fn certificate_of_pem(pem: &[u8]) -> Result<CertificateDer<'static>, CertificateError> {
    let (kind, der) =
        <(SectionKind, Vec<u8>)>::from_pem_slice(pem).map_err(|_| CertificateError::NotPem)?;
    if kind != SectionKind::Certificate {
        return Err(CertificateError::NotCertificate);
    }
    x509_parser::parse_x509_certificate(&der).map_err(|_| CertificateError::Parse)?;
    Ok(CertificateDer::from(der))
}

/// A client certificate to forward in `Unikorn-Client-Certificate`
/// ([`RequestContext::with_client_certificate`](crate::RequestContext::with_client_certificate)):
/// checked when made (an X.509 certificate), and held in the header's form, URL-escaped PEM as
/// the platform's ingress writes it (`+` as `%2B`, so Go's `url.QueryUnescape` reads it back).
///
/// Made from what a service has at hand:
///
/// - the [`Authenticated`](crate::principal::Authenticated) of an inbound request:
///   [`Authenticated::forwardable_certificate`](crate::principal::Authenticated::forwardable_certificate);
/// - a PEM ([`ForwardedCertificate::from_pem`]) or DER ([`ForwardedCertificate::from_der`]);
/// - a header value received from the platform ([`ForwardedCertificate::from_escaped`]), kept
///   byte for byte, as the platform forwards it.
///
/// ```
/// use identity_client::ForwardedCertificate;
/// # let pem = rcgen::generate_simple_self_signed(["kubernetes".to_owned()])?.cert.pem();
///
/// let certificate = ForwardedCertificate::from_pem(&pem)?;
/// assert!(certificate.as_str().starts_with("-----BEGIN%20CERTIFICATE-----%0A"));
/// // A raw PEM is not a header value.
/// assert!(ForwardedCertificate::from_escaped(&pem).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ForwardedCertificate {
    /// The header value: URL-escaped PEM, visible ASCII.
    escaped: Bytes,
    common_name: String,
}

impl ForwardedCertificate {
    /// The certificate in `der` (X.509, DER-encoded), to be sent escaped.
    ///
    /// # Example
    ///
    /// ```
    /// # use identity_client::ForwardedCertificate;
    /// # let der = rcgen::generate_simple_self_signed(["kubernetes".to_owned()])?.cert.der().to_vec();
    /// let certificate = ForwardedCertificate::from_der(&der)?;
    /// assert_eq!(certificate.common_name(), "rcgen self signed cert");
    /// assert!(ForwardedCertificate::from_der(b"not DER").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_der(der: impl AsRef<[u8]>) -> Result<Self, CertificateError> {
        let der = der.as_ref();
        x509_parser::parse_x509_certificate(der).map_err(|_| CertificateError::Parse)?;
        Self::checked(CertificateDer::from(der))
    }

    /// The certificate in the first PEM block of `pem`, which must be a `CERTIFICATE` (further
    /// blocks, such as the rest of a chain, are not forwarded: the platform reads the first).
    ///
    /// # Example
    ///
    /// ```
    /// # use identity_client::ForwardedCertificate;
    /// # let pem = rcgen::generate_simple_self_signed(["kubernetes".to_owned()])?.cert.pem();
    /// let certificate = ForwardedCertificate::from_pem(&pem)?;
    /// assert!(!certificate.as_str().contains(['\n', ' ', '+']));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_pem(pem: impl AsRef<[u8]>) -> Result<Self, CertificateError> {
        Self::checked(certificate_of_pem(pem.as_ref())?)
    }

    /// A value as received in `Unikorn-Client-Certificate` or `Ssl-Client-Cert` (URL-escaped
    /// PEM), forwarded byte for byte once checked: it must be header text and read back as the
    /// platform reads it ([`unescape_certificate`]). A raw PEM is refused
    /// ([`CertificateError::NotEscaped`]).
    ///
    /// # Example
    ///
    /// ```
    /// # use identity_client::{ForwardedCertificate, principal::CertificateError};
    /// # let der = rcgen::generate_simple_self_signed(["kubernetes".to_owned()])?.cert.der().clone();
    /// # let received = identity_client::principal::escape_certificate(&der);
    /// let certificate = ForwardedCertificate::from_escaped(&received)?;
    /// assert_eq!(certificate.as_str(), received);
    /// assert_eq!(
    ///     ForwardedCertificate::from_escaped("abc\r\nX-Injected: 1"),
    ///     Err(CertificateError::NotEscaped)
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_escaped(value: &str) -> Result<Self, CertificateError> {
        if !value.bytes().all(|b| b.is_ascii() && !b.is_ascii_control()) {
            return Err(CertificateError::NotEscaped);
        }
        let certificate = unescape_certificate(value)?;
        Ok(Self {
            escaped: Bytes::copy_from_slice(value.as_bytes()),
            common_name: common_name(&certificate)?,
        })
    }

    /// `certificate`, which parsed, in the header's form.
    fn checked(certificate: CertificateDer<'_>) -> Result<Self, CertificateError> {
        Ok(Self {
            common_name: common_name(&certificate)?,
            escaped: Bytes::from(escape_certificate(&certificate)),
        })
    }

    /// The header value: URL-escaped PEM.
    pub fn as_str(&self) -> &str {
        // Made from visible ASCII only (checked, or written by `escape_certificate`).
        std::str::from_utf8(&self.escaped).unwrap_or_default()
    }

    /// The header value, as bytes that share this value's storage.
    pub fn to_bytes(&self) -> Bytes {
        self.escaped.clone()
    }

    /// The certificate's subject CN: the service the receiver will take the call to be from.
    pub fn common_name(&self) -> &str {
        &self.common_name
    }
}

impl fmt::Debug for ForwardedCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The escaped PEM is left out: long, and the CN says which certificate it is.
        f.debug_struct("ForwardedCertificate")
            .field("common_name", &self.common_name)
            .finish_non_exhaustive()
    }
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
    use region_client_testing::{Ca, KeyKind};

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
    fn forwarded_certificates_are_checked_when_made_and_escaped_the_platforms_way() {
        let ca = Ca::new("ca");
        let leaf = ca.client_cert("kubernetes", KeyKind::EcdsaP256);
        let escaped = escape_certificate(&leaf.cert_der);
        let from_der = ForwardedCertificate::from_der(&leaf.cert_der).unwrap();
        let from_pem = ForwardedCertificate::from_pem(leaf.chain_pem()).unwrap();
        let received = ForwardedCertificate::from_escaped(&escaped).unwrap();
        for certificate in [&from_der, &from_pem, &received] {
            assert_eq!(certificate.as_str(), escaped);
            assert_eq!(certificate.common_name(), "kubernetes");
            assert_eq!(
                unescape_certificate(certificate.as_str()).unwrap(),
                leaf.cert_der
            );
            assert_eq!(
                format!("{certificate:?}"),
                r#"ForwardedCertificate { common_name: "kubernetes", .. }"#
            );
        }
        // `+` in the base64 travels as `%2B`, never as a `+` Go would read as a space.
        let pem = pem("CERTIFICATE", leaf.cert_der.as_ref());
        assert!(!escaped.contains('+'));
        assert_eq!(escaped.matches("%2B").count(), pem.matches('+').count());

        // A received value is forwarded byte for byte, in Go's `url.QueryEscape` style too.
        let go_style = escaped.replace("%20", "+");
        assert_eq!(
            ForwardedCertificate::from_escaped(&go_style)
                .unwrap()
                .as_str(),
            go_style
        );
    }

    #[test]
    fn what_cannot_be_forwarded_is_refused_when_given() {
        let leaf = Ca::new("ca").client_cert("kubernetes", KeyKind::EcdsaP256);
        // A raw PEM where the escaped form is wanted: it would fail only when sent.
        assert_eq!(
            ForwardedCertificate::from_escaped(&leaf.chain_pem()),
            Err(CertificateError::NotEscaped)
        );
        for bad in ["abc\r\nX-Injected: 1", "tab\there", "caf\u{e9}"] {
            assert_eq!(
                ForwardedCertificate::from_escaped(bad),
                Err(CertificateError::NotEscaped),
                "{bad:?}"
            );
        }
        assert_eq!(
            ForwardedCertificate::from_escaped("not%20pem"),
            Err(CertificateError::NotPem)
        );
        assert_eq!(
            ForwardedCertificate::from_pem(leaf.key_pem()),
            Err(CertificateError::NotCertificate)
        );
        assert_eq!(
            ForwardedCertificate::from_pem("no PEM here"),
            Err(CertificateError::NotPem)
        );
        assert_eq!(
            ForwardedCertificate::from_der([0x30, 0x03, 0x02, 0x01, 0x01]),
            Err(CertificateError::Parse)
        );
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
