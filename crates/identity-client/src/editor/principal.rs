//! [`PrincipalEditor`]: the API path's `X-Principal` (base64url JSON) and `X-Impersonate`.

use bytes::Bytes;
use core_client::{BoxFuture, EditorError, RequestEditor, edited};
use http::{HeaderName, HeaderValue};

use super::{InvalidHeaderValue, header_value};
use crate::{
    Principal, PrincipalError, headers,
    principal::{self, check_sendable},
};

/// The header names, parsed once (a `&str` name is parsed again on every insert).
static PRINCIPAL: HeaderName = HeaderName::from_static(headers::PRINCIPAL);
static IMPERSONATE: HeaderName = HeaderName::from_static(headers::IMPERSONATE);

/// Sets `X-Principal` to the base64url (unpadded) JSON of a principal and, when asked,
/// `X-Impersonate: true`, as the platform's API-path injector does. The value is computed once,
/// when the editor is made, and marked sensitive.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use core_client::RequestEditor;
/// use identity_client::{Principal, editor::PrincipalEditor};
///
/// let editor = PrincipalEditor::new(&Principal::new("org-1", "", "alice"), true).unwrap();
/// let mut request = http::Request::new(bytes::Bytes::new());
/// editor.edit(&mut request).await.unwrap();
/// assert_eq!(
///     request.headers()["x-principal"],
///     "eyJvcmdhbml6YXRpb25JZCI6Im9yZy0xIiwiYWN0b3IiOiJhbGljZSJ9"
/// );
/// assert_eq!(request.headers()["x-impersonate"], "true");
/// # }
/// ```
#[derive(Clone)]
pub struct PrincipalEditor {
    /// The base64url JSON, encoded and checked once, as a sensitive header value: each request
    /// gets a reference-counted copy, without validating or copying the bytes again. (Base64url
    /// is always a valid value; were it not, every request would be refused as before.)
    value: Result<HeaderValue, InvalidHeaderValue>,
    impersonate: bool,
}

impl std::fmt::Debug for PrincipalEditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The encoded principal is left out, as it is from logs of the request.
        f.debug_struct("PrincipalEditor")
            .field("impersonate", &self.impersonate)
            .finish_non_exhaustive()
    }
}

impl PrincipalEditor {
    /// Sends `principal`, and `X-Impersonate: true` when `impersonate`. A principal
    /// [`check_sendable`] refuses is refused: an [empty](Principal::is_empty) one
    /// ([`PrincipalError::Empty`]), or one impersonated without an actor
    /// ([`PrincipalError::ImpersonationWithoutActor`]).
    pub fn new(principal: &Principal, impersonate: bool) -> Result<Self, PrincipalError> {
        check_sendable(principal, impersonate)?;
        Ok(Self {
            value: header_value(headers::PRINCIPAL, principal::encode(principal)).map(
                |mut value| {
                    value.set_sensitive(true);
                    value
                },
            ),
            impersonate,
        })
    }
}

impl RequestEditor for PrincipalEditor {
    fn edit<'a>(
        &'a self,
        request: &'a mut http::Request<Bytes>,
    ) -> BoxFuture<'a, Result<(), EditorError>> {
        let value = match &self.value {
            Ok(value) => value.clone(),
            Err(error) => return edited(Err(EditorError::new("principal", error.clone()))),
        };
        let headers = request.headers_mut();
        headers.insert(PRINCIPAL.clone(), value);
        if self.impersonate {
            headers.insert(IMPERSONATE.clone(), HeaderValue::from_static("true"));
        } else {
            headers.remove(&IMPERSONATE);
        }
        edited(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sends_the_json_and_impersonation_only_when_asked() {
        let alice = Principal::new("o", "p", "alice");
        let mut request = http::Request::new(Bytes::new());
        PrincipalEditor::new(&alice, false)
            .unwrap()
            .edit(&mut request)
            .await
            .unwrap();
        let value = &request.headers()[headers::PRINCIPAL];
        assert!(value.is_sensitive());
        assert_eq!(principal::decode(value.to_str().unwrap()).unwrap(), alice);
        assert!(request.headers().get(headers::IMPERSONATE).is_none());
        assert!(!format!("{:?}", PrincipalEditor::new(&alice, false).unwrap()).contains("ey"));
    }

    #[test]
    fn an_empty_principal_is_refused() {
        assert!(matches!(
            PrincipalEditor::new(&Principal::default(), false),
            Err(PrincipalError::Empty)
        ));
    }

    #[test]
    fn impersonation_needs_an_actor() {
        let no_actor = Principal::new("o", "p", "");
        assert!(matches!(
            PrincipalEditor::new(&no_actor, true),
            Err(PrincipalError::ImpersonationWithoutActor)
        ));
        assert!(PrincipalEditor::new(&no_actor, false).is_ok());
    }
}
