//! [`ClientCertificateEditor`]: forwards the inbound client certificate.

use bytes::Bytes;
use core_client::{BoxFuture, EditorError, RequestEditor};

use super::{InvalidHeaderValue, header_value};
use crate::headers::CLIENT_CERTIFICATE;

/// Sets `Unikorn-Client-Certificate` to the certificate that started the call chain (URL-escaped
/// PEM), byte for byte. The receiver then authenticates the call as that certificate's
/// service, which is why only a caller that set it explicitly on its
/// [`RequestContext`](crate::RequestContext) sends it.
///
/// A value with a control character fails with [`InvalidHeaderValue`] (editor name
/// `"client_certificate"`) and the request is not sent.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use core_client::RequestEditor;
/// use identity_client::editor::ClientCertificateEditor;
///
/// let editor = ClientCertificateEditor::new("-----BEGIN%20CERTIFICATE-----...".into());
/// let mut request = http::Request::new(bytes::Bytes::new());
/// editor.edit(&mut request).await.unwrap();
/// assert_eq!(
///     request.headers()["unikorn-client-certificate"],
///     "-----BEGIN%20CERTIFICATE-----..."
/// );
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct ClientCertificateEditor {
    certificate: Bytes,
}

impl ClientCertificateEditor {
    /// Forwards `certificate` (the URL-escaped PEM, as received).
    pub fn new(certificate: Bytes) -> Self {
        Self { certificate }
    }

    fn apply(&self, request: &mut http::Request<Bytes>) -> Result<(), InvalidHeaderValue> {
        let value = header_value(CLIENT_CERTIFICATE, &self.certificate)?;
        request.headers_mut().insert(CLIENT_CERTIFICATE, value);
        Ok(())
    }
}

impl RequestEditor for ClientCertificateEditor {
    fn edit<'a>(
        &'a self,
        request: &'a mut http::Request<Bytes>,
    ) -> BoxFuture<'a, Result<(), EditorError>> {
        Box::pin(async move {
            self.apply(request)
                .map_err(|e| EditorError::new("client_certificate", e))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_value_with_a_control_character_is_refused() {
        let mut request = http::Request::new(Bytes::new());
        let err = ClientCertificateEditor::new(Bytes::from_static(b"abc\ndef"))
            .edit(&mut request)
            .await
            .unwrap_err();
        assert_eq!(err.editor(), "client_certificate");
        assert_eq!(
            err.downcast_ref::<InvalidHeaderValue>().unwrap().header,
            CLIENT_CERTIFICATE
        );
        assert!(request.headers().is_empty());
    }
}
