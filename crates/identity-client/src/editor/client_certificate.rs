//! [`ClientCertificateEditor`]: forwards the inbound client certificate.

use bytes::Bytes;
use core_client::{BoxFuture, EditorError, RequestEditor};

use super::{InvalidHeaderValue, header_value};

/// The header carrying the client certificate of the request that started the call chain, as
/// TLS termination put it there; forwarded verbatim.
pub const CLIENT_CERTIFICATE_HEADER: &str = "unikorn-client-certificate";

/// Sets `Unikorn-Client-Certificate` to the propagated value, byte for byte, when there is
/// one; does nothing otherwise.
///
/// A value with a control character fails with [`InvalidHeaderValue`] (editor name
/// `"client_certificate"`) and the request is not sent.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use core_client::RequestEditor;
/// use identity_client::editor::ClientCertificateEditor;
///
/// let editor = ClientCertificateEditor::new(Some("-----BEGIN%20CERTIFICATE-----...".into()));
/// let mut request = http::Request::new(bytes::Bytes::new());
/// editor.edit(&mut request).await.unwrap();
/// assert_eq!(
///     request.headers()["unikorn-client-certificate"],
///     "-----BEGIN%20CERTIFICATE-----..."
/// );
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct ClientCertificateEditor {
    certificate: Option<Bytes>,
}

impl ClientCertificateEditor {
    /// Forwards `certificate` (the inbound header value) when `Some`.
    pub fn new(certificate: Option<Bytes>) -> Self {
        Self { certificate }
    }

    fn apply(&self, request: &mut http::Request<Bytes>) -> Result<(), InvalidHeaderValue> {
        if let Some(certificate) = &self.certificate {
            let value = header_value(CLIENT_CERTIFICATE_HEADER, certificate)?;
            request
                .headers_mut()
                .insert(CLIENT_CERTIFICATE_HEADER, value);
        }
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
    async fn absent_certificate_sets_nothing_and_bad_one_fails() {
        let mut request = http::Request::new(Bytes::new());
        ClientCertificateEditor::new(None)
            .edit(&mut request)
            .await
            .unwrap();
        assert!(request.headers().is_empty());

        let err = ClientCertificateEditor::new(Some(Bytes::from_static(b"abc\ndef")))
            .edit(&mut request)
            .await
            .unwrap_err();
        assert_eq!(err.editor(), "client_certificate");
        assert_eq!(
            err.downcast_ref::<InvalidHeaderValue>().unwrap().header,
            CLIENT_CERTIFICATE_HEADER
        );
    }
}
