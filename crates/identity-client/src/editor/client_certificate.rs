//! [`ClientCertificateEditor`]: forwards the inbound client certificate.

use bytes::Bytes;
use core_client::{BoxFuture, EditorError, RequestEditor, edited};

use super::{InvalidHeaderValue, header_value};
use crate::{ForwardedCertificate, headers::CLIENT_CERTIFICATE};

/// Sets `Unikorn-Client-Certificate` to the certificate that started the call chain (URL-escaped
/// PEM, checked when the [`ForwardedCertificate`] was made). The receiver then authenticates
/// the call as that certificate's service, which is why only a caller that set it explicitly on
/// its [`RequestContext`](crate::RequestContext) sends it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use core_client::RequestEditor;
/// use identity_client::{ForwardedCertificate, editor::ClientCertificateEditor};
/// # let pem = rcgen::generate_simple_self_signed(["kubernetes".to_owned()])?.cert.pem();
///
/// let certificate = ForwardedCertificate::from_pem(&pem)?;
/// let editor = ClientCertificateEditor::new(certificate.clone());
/// let mut request = http::Request::new(bytes::Bytes::new());
/// editor.edit(&mut request).await?;
/// assert_eq!(request.headers()["unikorn-client-certificate"], certificate.as_str());
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct ClientCertificateEditor {
    certificate: ForwardedCertificate,
}

impl ClientCertificateEditor {
    /// Forwards `certificate`.
    pub fn new(certificate: ForwardedCertificate) -> Self {
        Self { certificate }
    }

    fn apply(&self, request: &mut http::Request<Bytes>) -> Result<(), InvalidHeaderValue> {
        // A `ForwardedCertificate` is visible ASCII, so this does not fail; it is checked
        // anyway, as every header value this crate writes.
        let value = header_value(CLIENT_CERTIFICATE, self.certificate.to_bytes())?;
        request.headers_mut().insert(CLIENT_CERTIFICATE, value);
        Ok(())
    }
}

impl RequestEditor for ClientCertificateEditor {
    fn edit<'a>(
        &'a self,
        request: &'a mut http::Request<Bytes>,
    ) -> BoxFuture<'a, Result<(), EditorError>> {
        edited(
            self.apply(request)
                .map_err(|e| EditorError::new("client_certificate", e)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::principal::escape_certificate;
    use region_client_testing::{Ca, KeyKind};

    #[tokio::test]
    async fn the_certificate_is_sent_escaped_and_replaces_any_other() {
        let leaf = Ca::new("ca").client_cert("kubernetes", KeyKind::EcdsaP256);
        let certificate = ForwardedCertificate::from_der(&leaf.cert_der).unwrap();
        let mut request = http::Request::new(Bytes::new());
        request
            .headers_mut()
            .insert(CLIENT_CERTIFICATE, "stale".parse().unwrap());
        ClientCertificateEditor::new(certificate)
            .edit(&mut request)
            .await
            .unwrap();
        let sent = request.headers().get_all(CLIENT_CERTIFICATE);
        assert_eq!(
            sent.iter().collect::<Vec<_>>(),
            [escape_certificate(&leaf.cert_der).as_str()]
        );
    }
}
