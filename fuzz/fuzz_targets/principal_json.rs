//! `principal::decode` (the API-path `X-Principal`: base64url JSON) on arbitrary bytes, taken
//! three ways: as the header value, as the JSON inside it, and as the fields of a principal
//! that is encoded and decoded.
//!
//! Beyond "no panic":
//! - decode∘encode is the identity on what `decode` returns, and `encode` is a fixpoint;
//! - `Principal::to_json` writes the platform's shape: only its five keys, in Go's field order,
//!   none of them empty (Go's `omitempty`);
//! - `NotBase64Url` exactly when the value is not unpadded base64url (a character outside the
//!   URL alphabet, or a length of 4n + 1);
//! - any principal survives the trip: `decode(encode(p))` is `p` up to what the wire cannot
//!   tell apart (`AccountType::Other("user")` reads back as `User`, `Other("")` as no type),
//!   and a non-empty principal never reads back empty (an empty one is never sent, so a
//!   principal that is sent must not read back as one).
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use identity_client::{
    AccountType, Principal,
    principal::{self, DecodeError},
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        check_value(text);
    }
    check_value(&URL_SAFE_NO_PAD.encode(data));
    if let Ok(built) = built_principal(&mut Unstructured::new(data)) {
        check_any_principal_survives(&built);
    }
});

fn check_value(value: &str) {
    let is_base64url = value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && value.len() % 4 != 1;
    match principal::decode(value) {
        Ok(decoded) => {
            assert!(is_base64url, "{value:?} is not unpadded base64url");
            let encoded = principal::encode(&decoded);
            let back = principal::decode(&encoded).expect("an encoded principal decodes");
            assert_eq!(back, decoded);
            assert_eq!(principal::encode(&back), encoded, "encode is a fixpoint");
            check_json_shape(&decoded);
        }
        Err(DecodeError::NotBase64Url) => {
            assert!(!is_base64url, "{value:?} is unpadded base64url");
        }
        Err(error) => {
            assert!(is_base64url, "{value:?}: {error}");
        }
    }
}

/// `to_json` is the Go struct's JSON: its keys in field order, none empty.
fn check_json_shape(principal: &Principal) {
    const ORDER: [&str; 5] = [
        "organizationId",
        "organizationIds",
        "projectId",
        "type",
        "actor",
    ];
    let json = principal.to_json();
    let Ordered(value) = serde_json::from_slice(&json).expect("to_json writes a JSON object");
    let mut last = None;
    for (key, field) in &value {
        let position = ORDER.iter().position(|k| k == key).expect("a known key");
        assert!(last < Some(position), "Go's field order: {value:?}");
        last = Some(position);
        let empty = match field {
            serde_json::Value::String(s) => s.is_empty(),
            serde_json::Value::Array(a) => a.is_empty(),
            other => panic!("{key}: {other:?}"),
        };
        assert!(
            !empty,
            "`{key}` is empty but written (Go omits it): {value:?}"
        );
    }
}

/// A JSON object's entries in the order written (`serde_json::Map` sorts them).
struct Ordered(Vec<(String, serde_json::Value)>);

impl<'de> serde::Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> serde::de::Visitor<'de> for Entries {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Ordered, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Ordered(entries))
            }
        }
        deserializer.deserialize_map(Entries)
    }
}

/// A principal with arbitrary fields, as a caller could build one.
fn built_principal(u: &mut Unstructured<'_>) -> arbitrary::Result<Principal> {
    let kind = match u.int_in_range(0..=4u8)? {
        0 => None,
        1 => Some(AccountType::System),
        2 => Some(AccountType::Service),
        3 => Some(AccountType::User),
        _ => Some(AccountType::Other(String::arbitrary(u)?)),
    };
    let mut principal = Principal::new(
        String::arbitrary(u)?,
        String::arbitrary(u)?,
        String::arbitrary(u)?,
    )
    .with_organization_ids(Vec::<String>::arbitrary(u)?);
    if let Some(kind) = kind {
        principal = principal.with_account_type(kind);
    }
    Ok(principal)
}

fn check_any_principal_survives(built: &Principal) {
    let back = principal::decode(&principal::encode(built)).expect("an encoded principal decodes");
    let mut expected = built.clone();
    // The wire cannot tell `Other("user")` from `User`, nor `Other("")` from no type.
    expected.kind = built
        .kind
        .as_ref()
        .filter(|k| !k.as_str().is_empty())
        .map(|k| AccountType::from(k.as_str()));
    assert_eq!(back, expected, "decode(encode(p)) differs from p");
    assert!(
        built.is_empty() || !back.is_empty(),
        "a non-empty principal {built:?} reads back empty"
    );
    check_json_shape(built);
}
