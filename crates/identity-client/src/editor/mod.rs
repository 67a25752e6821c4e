//! The request editors that carry the platform's trust model, in the order
//! [`api_client`](crate::api_client) and [`controller_client`](crate::controller_client) apply
//! them: [`TraceContextEditor`], [`ClientCertificateEditor`] (only when a certificate is
//! forwarded), then [`PrincipalEditor`] (API path) or [`SignedPrincipalEditor`] (controller
//! path), and last [`BearerEditor`] when a caller acting as a user attached a token.

mod bearer;
mod client_certificate;
mod principal;
mod signature_cache;
mod signed_principal;
mod trace_context;

pub use bearer::{BearerEditor, BearerError};
pub use client_certificate::ClientCertificateEditor;
pub use principal::PrincipalEditor;
pub use signature_cache::{SIGNATURE_CACHE_CAPACITY, SignatureCache};
pub use signed_principal::{SignedPrincipalEditor, SignedPrincipalError};
pub use trace_context::TraceContextEditor;
pub(crate) use trace_context::current_context;

use http::HeaderValue;

/// A header value would contain a control character (CR, LF, NUL, TAB, DEL, ...), which would
/// corrupt the request or smuggle headers; the request is not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the value for header `{header}` contains a control character; the request was not sent")]
pub struct InvalidHeaderValue {
    /// The header that could not be set.
    pub header: &'static str,
}

/// Builds a header value from `bytes`, refusing any ASCII control character.
pub(crate) fn header_value(
    header: &'static str,
    bytes: impl AsRef<[u8]>,
) -> Result<HeaderValue, InvalidHeaderValue> {
    let bytes = bytes.as_ref();
    if bytes.iter().any(|b| b.is_ascii_control()) {
        return Err(InvalidHeaderValue { header });
    }
    HeaderValue::from_bytes(bytes).map_err(|_| InvalidHeaderValue { header })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused() {
        assert!(header_value("x", "fine value").is_ok());
        for bad in ["a\r\nb", "a\nb", "a\0b", "a\tb", "a\x7fb"] {
            assert_eq!(
                header_value("x-test", bad).unwrap_err(),
                InvalidHeaderValue { header: "x-test" }
            );
        }
    }
}
