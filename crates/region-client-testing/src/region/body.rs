//! The request validator's part for bodies: a body must be JSON of the operation's request
//! type, or the platform answers `400` before its handler runs (kin-openapi's request
//! validation in the middleware, `UPSTREAM.md` §5).
//!
//! The check decodes the body into the generated type the spec names for it
//! ([`OperationSpec::body`](region_openapi::OperationSpec::body)): required fields must be
//! there and of their types. It is as strict as the generated types, which accept an enum
//! value the client does not know (the platform would refuse it) and ignore unknown fields (as
//! the platform does unless a schema forbids them).

use region_openapi::types;
use serde::de::DeserializeOwned;

/// Why a body was refused: the validator's message.
pub(super) type Refusal = String;

fn check<T: DeserializeOwned>(body: &[u8]) -> Result<(), serde_json::Error> {
    serde_json::from_slice::<T>(body).map(drop)
}

macro_rules! request_bodies {
    ($($name:ident),* $(,)?) => {
        /// Checks `body` against the request type named `name`; `None` when the kit does not
        /// know the type.
        fn check_as(name: &str, body: &[u8]) -> Option<Result<(), serde_json::Error>> {
            match name {
                $(stringify!($name) => Some(check::<types::$name>(body)),)*
                _ => None,
            }
        }
    };
}

request_bodies!(
    IdentityWrite,
    ImageCreate,
    LoadBalancerV2Create,
    LoadBalancerV2Update,
    NetworkV2Create,
    NetworkV2Update,
    NetworkWrite,
    SecurityGroupV2Create,
    SecurityGroupV2Update,
    SecurityGroupWrite,
    ServerV2Create,
    ServerV2Update,
    ServerWrite,
    SnapshotCreate,
    SshCertificateAuthorityV2Create,
    StorageV2Create,
    StorageV2Update,
);

/// The body of a call to an operation whose request body is the type named `name`, as the
/// platform takes it: the JSON value, or the validator's refusal.
pub(super) fn validate(
    name: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<serde_json::Value, Refusal> {
    if body.is_empty() {
        return Err("request body has an error: value is required but missing".to_owned());
    }
    if !content_type.is_some_and(|value| value.starts_with("application/json")) {
        return Err(format!(
            "request body has an error: header Content-Type has unexpected value: {:?}",
            content_type.unwrap_or_default()
        ));
    }
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|error| {
        format!("request body has an error: failed to decode request body: {error}")
    })?;
    match check_as(name, body) {
        Some(Err(error)) => Err(format!(
            "request body has an error: doesn't match schema {name}: {error}"
        )),
        Some(Ok(())) | None => Ok(value),
    }
}

#[cfg(test)]
mod tests {
    use region_openapi::OperationId;

    use super::*;

    #[test]
    fn every_request_body_of_the_spec_is_checked() {
        for operation in OperationId::ALL {
            if let Some(name) = operation.spec().body {
                assert!(
                    check_as(name, b"{}").is_some(),
                    "{operation}: the body type {name} is not in request_bodies!"
                );
            }
        }
    }

    #[test]
    fn refusals_say_what_is_wrong() {
        let json = Some("application/json");
        assert!(
            validate("NetworkV2Create", json, b"")
                .unwrap_err()
                .contains("missing")
        );
        assert!(
            validate("NetworkV2Create", json, b"{")
                .unwrap_err()
                .contains("failed to decode")
        );
        let wrong = validate("NetworkV2Create", json, b"{}").unwrap_err();
        assert!(
            wrong.contains("doesn't match schema NetworkV2Create"),
            "{wrong}"
        );
        let text = validate("NetworkV2Create", Some("text/plain"), b"{}").unwrap_err();
        assert!(text.contains("Content-Type"), "{text}");
    }
}
