//! The API-path wire form of a principal, `base64url(JSON)` without padding, and JSON decoding
//! as lenient as Go's `encoding/json`.

use std::fmt;

use base64::{
    Engine,
    alphabet::URL_SAFE,
    engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig},
};
use serde::{
    Deserialize, Deserializer,
    de::{IgnoredAny, MapAccess, Visitor},
};

use super::{AccountType, Principal};

/// Go's `base64.RawURLEncoding`: URL alphabet, no padding written, padding refused on input,
/// and (Go's decoder not being strict) non-zero trailing bits accepted.
const RAW_URL: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

/// The `X-Principal` value of the API path: the principal's JSON, base64url without padding.
///
/// ```
/// use identity_client::{Principal, principal};
///
/// let value = principal::encode(&Principal::new("org-1", "", "alice"));
/// assert_eq!(value, "eyJvcmdhbml6YXRpb25JZCI6Im9yZy0xIiwiYWN0b3IiOiJhbGljZSJ9");
/// assert_eq!(principal::decode(&value).unwrap(), Principal::new("org-1", "", "alice"));
/// ```
pub fn encode(principal: &Principal) -> String {
    RAW_URL.encode(principal.to_json())
}

/// Reads an API-path `X-Principal` value as the platform's middleware does: base64url without
/// padding (`=`, `+` or `/` make it fail), then JSON.
pub fn decode(value: &str) -> Result<Principal, DecodeError> {
    let json = RAW_URL
        .decode(value)
        .map_err(|_| DecodeError::NotBase64Url)?;
    from_json(&json)
}

/// Reads principal JSON the way Go's `json.Unmarshal` fills the platform's `Principal`.
pub(crate) fn from_json(json: &[u8]) -> Result<Principal, DecodeError> {
    serde_json::from_slice::<Option<Principal>>(json)
        .map(Option::unwrap_or_default)
        .map_err(DecodeError::Json)
}

/// An `X-Principal` value could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The value is not unpadded base64url.
    #[error("the value is not unpadded base64url")]
    NotBase64Url,
    /// The decoded bytes are not a principal JSON object.
    #[error("the principal is not valid JSON of the expected shape")]
    Json(#[source] serde_json::Error),
}

/// Field names as Go matches them: exactly or, failing that, ignoring ASCII case.
fn field(key: &str) -> Option<Field> {
    const FIELDS: [(&str, Field); 5] = [
        ("organizationId", Field::OrganizationId),
        ("organizationIds", Field::OrganizationIds),
        ("projectId", Field::ProjectId),
        ("type", Field::Type),
        ("actor", Field::Actor),
    ];
    FIELDS
        .iter()
        .find(|(name, _)| *name == key)
        .or_else(|| {
            FIELDS
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(key))
        })
        .map(|(_, field)| *field)
}

#[derive(Clone, Copy)]
enum Field {
    OrganizationId,
    OrganizationIds,
    ProjectId,
    Type,
    Actor,
}

impl<'de> Deserialize<'de> for Principal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(PrincipalVisitor)
    }
}

struct PrincipalVisitor;

impl<'de> Visitor<'de> for PrincipalVisitor {
    type Value = Principal;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a principal object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Principal, A::Error> {
        let mut principal = Principal::default();
        while let Some(key) = map.next_key::<String>()? {
            // As in Go: `null` leaves a field as it was, a later duplicate key wins, and
            // unknown keys are skipped.
            match field(&key) {
                Some(Field::OrganizationId) => {
                    if let Some(value) = map.next_value::<Option<String>>()? {
                        principal.organization_id = value;
                    }
                }
                Some(Field::OrganizationIds) => {
                    principal.organization_ids = map
                        .next_value::<Option<Vec<Option<String>>>>()?
                        .unwrap_or_default()
                        .into_iter()
                        .map(Option::unwrap_or_default)
                        .collect();
                }
                Some(Field::ProjectId) => {
                    if let Some(value) = map.next_value::<Option<String>>()? {
                        principal.project_id = value;
                    }
                }
                Some(Field::Type) => {
                    if let Some(value) = map.next_value::<Option<String>>()? {
                        principal.kind = (!value.is_empty()).then(|| AccountType::from(&*value));
                    }
                }
                Some(Field::Actor) => {
                    if let Some(value) = map.next_value::<Option<String>>()? {
                        principal.actor = value;
                    }
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(principal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_field() {
        let principal = Principal::new("o", "p", "a")
            .with_organization_ids(["o", "o2"])
            .with_account_type(AccountType::Other("robot".into()));
        assert_eq!(decode(&encode(&principal)).unwrap(), principal);
    }

    #[test]
    fn reads_json_as_go_does() {
        let read = |json: &str| from_json(json.as_bytes()).unwrap();
        assert_eq!(
            read(r#"{"ORGANIZATIONID":"o","projectid":"p","Actor":"a","extra":{"x":[1]}}"#),
            Principal::new("o", "p", "a")
        );
        assert_eq!(
            read(r#"{"organizationId":null,"organizationIds":null,"type":null}"#),
            Principal::default()
        );
        assert_eq!(read("null"), Principal::default());
        assert_eq!(
            read(r#"{"actor":"first","actor":"second"}"#),
            Principal::new("", "", "second")
        );
        assert_eq!(
            read(r#"{"organizationIds":["a",null]}"#).organization_ids,
            ["a", ""]
        );
        assert_eq!(read(r#"{"type":""}"#).kind, None);
        assert_eq!(read(r#"{"type":"system"}"#).kind, Some(AccountType::System));
        for bad in [r#"{"actor":1}"#, r#"{"organizationIds":"o"}"#, "[]", "{} x"] {
            assert!(
                matches!(from_json(bad.as_bytes()), Err(DecodeError::Json(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn base64_is_unpadded_url_safe_only() {
        // {"actor":"a?"} encodes with a `_` in the URL alphabet (`/` in the standard one).
        let value = encode(&Principal::new("", "", "a?"));
        assert_eq!(value, "eyJhY3RvciI6ImE_In0");
        assert!(matches!(
            decode(&value.replace('_', "/")),
            Err(DecodeError::NotBase64Url)
        ));
        assert!(matches!(
            decode(&format!("{value}=")),
            Err(DecodeError::NotBase64Url)
        ));
        // A JWS is not base64url as a whole: the dots make it fail.
        assert!(matches!(
            decode("eyJhbGciOiJQUzUxMiJ9.e30.c2ln"),
            Err(DecodeError::NotBase64Url)
        ));
    }
}
