//! `region_openapi::ResponseValue::from_parts` (what the client does with every answer) on an
//! arbitrary status, `Content-Type` and body, decoded as the answer of one of several
//! operations: lists, enums with a catch-all, timestamps, IP addresses, bodiless answers, and
//! operations whose answers hold credentials.
//!
//! Every `@SECRET@` in the body is replaced by a canary before decoding. Beyond "no panic":
//! - for an operation whose answers may hold credentials, no error (its `Debug`, its
//!   `Display`, and those of every error in its source chain) and no `StatusError` excerpt
//!   contains the canary; a decoded answer does not print it either when the body holds it
//!   only as the value of a credential property;
//! - the answer is consistent: the status kept, `Unexpected` exactly for an undocumented
//!   status or a body not declared JSON, `into_result` failing with that same status;
//! - decoding is stable: the success value, encoded to JSON and decoded again, encodes to the
//!   same JSON value (forward-compatible enums and every format survive the trip).
#![no_main]

use bytes::Bytes;
use fuzz::inputs::{ContentType, DecodeInput, Operation};
use http::{HeaderMap, HeaderValue, StatusCode, header::CONTENT_TYPE};
use libfuzzer_sys::fuzz_target;
use region_openapi::{
    AddNetworkReferenceResponse, CreateServerV2Response, DecodeResponse, DeleteNetworkV2Response,
    Error, GetIdentityResponse, GetNetworkV2Response, GetRegionDetailResponse,
    GetServerConsoleSessionV2Response, GetServerSshKeyResponse, GetVersionResponse,
    ListFlavorsResponse, ListImagesV2Response, ListRegionsResponse, ListServersV2Response,
    ResponseValue,
};
use serde::Serialize;

/// What the fuzzer writes where a credential goes.
const MARKER: &[u8] = b"@SECRET@";
/// What the marker becomes: text no message would contain by chance.
const CANARY: &str = "CANARY-k7Qx9v2Lw";
/// The properties the spec marks `x-sensitive`.
const SENSITIVE_KEYS: [&str; 7] = [
    "kubeconfig",
    "cloudConfig",
    "sshPrivateKey",
    "userData",
    "url",
    "contents",
    "privateKey",
];

fuzz_target!(|input: DecodeInput<'_>| {
    let status = StatusCode::from_u16(input.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut headers = HeaderMap::new();
    let content_type: Option<&[u8]> = match &input.content_type {
        ContentType::Absent => None,
        ContentType::Json => Some(b"application/json"),
        ContentType::ProblemJson => Some(b"application/problem+json; charset=utf-8"),
        ContentType::Html => Some(b"text/html"),
        ContentType::Raw(bytes) => Some(bytes),
    };
    if let Some(value) = content_type.and_then(|v| HeaderValue::from_bytes(v).ok()) {
        headers.insert(CONTENT_TYPE, value);
    }
    let body = Bytes::from(replace_marker(input.body));
    match input.operation {
        Operation::ListRegions => check::<ListRegionsResponse>(status, headers, body),
        Operation::GetRegionDetail => check::<GetRegionDetailResponse>(status, headers, body),
        Operation::GetIdentity => check::<GetIdentityResponse>(status, headers, body),
        Operation::GetServerSshKey => check::<GetServerSshKeyResponse>(status, headers, body),
        Operation::GetServerConsoleSessionV2 => {
            check::<GetServerConsoleSessionV2Response>(status, headers, body)
        }
        Operation::CreateServerV2 => check::<CreateServerV2Response>(status, headers, body),
        Operation::ListServersV2 => check::<ListServersV2Response>(status, headers, body),
        Operation::GetNetworkV2 => check::<GetNetworkV2Response>(status, headers, body),
        Operation::ListFlavors => check::<ListFlavorsResponse>(status, headers, body),
        Operation::ListImagesV2 => check::<ListImagesV2Response>(status, headers, body),
        Operation::DeleteNetworkV2 => check::<DeleteNetworkV2Response>(status, headers, body),
        Operation::AddNetworkReference => {
            check::<AddNetworkReferenceResponse>(status, headers, body)
        }
        Operation::GetVersion => check::<GetVersionResponse>(status, headers, body),
    }
});

fn replace_marker(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut rest = body;
    while !rest.is_empty() {
        if rest.starts_with(MARKER) {
            out.extend_from_slice(CANARY.as_bytes());
            rest = &rest[MARKER.len()..];
        } else {
            out.push(rest[0]);
            rest = &rest[1..];
        }
    }
    out
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"))
}

/// `Debug` and `Display` of `error` and of every error in its source chain.
fn rendered(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = format!("{error:?}");
    let mut current = Some(error);
    while let Some(e) = current {
        out.push('\n');
        out.push_str(&e.to_string());
        current = e.source();
    }
    out
}

/// Whether every occurrence of the canary in the body is the whole string value of a
/// credential property (so that a correct decoding keeps it only where `Debug` redacts).
fn canary_only_in_credentials(body: &[u8]) -> bool {
    fn walk(value: &serde_json::Value, key: Option<&str>) -> bool {
        match value {
            serde_json::Value::String(s) => {
                !s.contains(CANARY)
                    || (s == CANARY && key.is_some_and(|k| SENSITIVE_KEYS.contains(&k)))
            }
            serde_json::Value::Array(items) => items.iter().all(|item| walk(item, None)),
            serde_json::Value::Object(map) => map
                .iter()
                .all(|(k, v)| !k.contains(CANARY) && walk(v, Some(k))),
            _ => true,
        }
    }
    serde_json::from_slice::<serde_json::Value>(body).is_ok_and(|value| walk(&value, None))
}

fn check<R>(status: StatusCode, headers: HeaderMap, body: Bytes)
where
    R: DecodeResponse + std::fmt::Debug,
    R::Success: Serialize,
{
    let json = is_json(&headers);
    let result = ResponseValue::<R>::from_parts(status, headers.clone(), body.clone());
    let answer = match result {
        Err(error) => {
            assert!(json, "only a JSON body can fail to decode: {error:?}");
            assert!(matches!(error, Error::Decode { .. }), "{error:?}");
            assert_eq!(error.status(), Some(status));
            assert_eq!(error.operation(), Some(R::OPERATION));
            if R::SENSITIVE {
                let shown = rendered(&error);
                assert!(
                    !shown.contains(CANARY),
                    "{}: a decoding error shows the body of an answer that may hold \
                     credentials: {shown}",
                    R::OPERATION
                );
            }
            return;
        }
        Ok(answer) => answer,
    };
    assert_eq!(answer.status(), status);
    assert_eq!(answer.headers(), &headers);
    let inner: &R = &answer;
    assert_eq!(inner.status(), status);
    if let Some(raw) = inner.unexpected_body() {
        assert_eq!(raw, &body, "an unexpected answer keeps its body");
    } else if !json {
        // Only a documented answer without a body (201, 202, 204) needs no JSON.
        assert!(
            status.is_success(),
            "a documented error without a JSON body: {inner:?}"
        );
    }
    if R::SENSITIVE && canary_only_in_credentials(&body) {
        let shown = format!("{answer:?}");
        assert!(
            !shown.contains(CANARY),
            "a credential shows in Debug: {shown}"
        );
    }

    match answer.into_result() {
        Ok(success) => {
            assert!(status.is_success(), "{status} became a success");
            check_stable::<R>(status, &success);
        }
        Err(error) => {
            assert_eq!(error.status(), Some(status));
            let Error::Status(status_error) = &error else {
                panic!("into_result fails with Status only: {error:?}");
            };
            if R::SENSITIVE {
                assert!(
                    !status_error.excerpt().contains(CANARY),
                    "the excerpt quotes an answer that may hold credentials"
                );
                if status_error.error_body().is_none() {
                    assert!(!rendered(&error).contains(CANARY), "{error:?}");
                }
            }
        }
    }
}

/// The success value, encoded and decoded again, encodes to the same JSON.
fn check_stable<R>(status: StatusCode, success: &R::Success)
where
    R: DecodeResponse + std::fmt::Debug,
    R::Success: Serialize,
{
    let first = serde_json::to_vec(success).expect("a decoded value encodes");
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let again = ResponseValue::<R>::from_parts(status, headers, first.clone())
        .unwrap_or_else(|e| {
            panic!(
                "{}: the re-encoded success does not decode: {e}: {}",
                R::OPERATION,
                String::from_utf8_lossy(&first)
            )
        })
        .into_result()
        .unwrap_or_else(|e| panic!("{}: {e:?}", R::OPERATION));
    // Compared as JSON values: maps (`softwareVersions`, ...) are `HashMap`s, whose order
    // varies from one encoding to the next.
    let first: serde_json::Value = serde_json::from_slice(&first).expect("JSON");
    let second = serde_json::to_value(&again).expect("encodes");
    assert_eq!(
        first,
        second,
        "{}: encode∘decode is not stable",
        R::OPERATION
    );
}
