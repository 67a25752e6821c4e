//! `principal::extract` on arbitrary inbound headers (`X-Principal`, `X-Impersonate`,
//! `Ssl-Client-Cert`, `Ssl-Client-Verify`, `Unikorn-Client-Certificate`, `Authorization`) and
//! an arbitrary certificate source.
//!
//! Beyond "no panic":
//! - the bearer token never shows: `extract` with the token replaced by as many `x` gives the
//!   same `Debug` and `Display` output, and a `Bearer` caller prints the same whatever the token;
//! - what is accepted is consistent: a principal exactly when the caller has a certificate,
//!   the direct caller named only from a verified certificate (and as the caller when nothing
//!   was forwarded),
//!   `impersonate` only with base64url JSON naming an actor and `X-Impersonate: true`, the
//!   JSON principal being what `principal::decode` reads, a `System` caller only without
//!   `Authorization`;
//! - a refusal answers as the platform does: 400, 401 (with `WWW-Authenticate`) or 500.
#![no_main]

use fuzz::{
    fixtures,
    inputs::{ExtractInput, Header, Source},
};
use http::{HeaderMap, HeaderName, HeaderValue};
use identity_client::principal::{self, Authenticated, Caller, CertificateSource, ExtractError};
use libfuzzer_sys::fuzz_target;
use rustls_pki_types::CertificateDer;

fuzz_target!(|input: ExtractInput<'_>| {
    let fixture = CertificateDer::from(fixtures::RSA_CERT_DER);
    let der;
    let source = match input.source {
        Source::Ingress => CertificateSource::Ingress,
        Source::PeerNone => CertificateSource::Peer(None),
        Source::PeerFixture => CertificateSource::Peer(Some(&fixture)),
        Source::PeerDer(bytes) => {
            der = CertificateDer::from(bytes);
            CertificateSource::Peer(Some(&der))
        }
    };
    let headers = header_map(&input.headers, None);
    let result = principal::extract(&headers, source);

    match &result {
        Ok(authenticated) => check_accepted(&headers, &input.source, authenticated),
        Err(error) => check_refused(error),
    }
    check_token_never_shows(&input, source, &result);
});

/// The headers, appended in order; a value that is not a valid header value is left out.
/// With `mask`, the `Authorization` token is replaced by `x`s.
fn header_map(headers: &[(Header, &[u8])], mask: Option<&[u8]>) -> HeaderMap {
    let mut map = HeaderMap::new();
    let mut masked = false;
    for (header, value) in headers {
        let Ok(mut value) = HeaderValue::from_bytes(value) else {
            continue;
        };
        if let (Header::Authorization, Some(replacement), false) = (header, mask, masked) {
            masked = true;
            if let Ok(replacement) = HeaderValue::from_bytes(replacement) {
                value = replacement;
            }
        }
        map.append(HeaderName::from_static(header.name()), value);
    }
    map
}

/// The first value of `name` as text, empty counting as absent (as `extract` reads headers).
fn first<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
}

fn check_accepted(headers: &HeaderMap, source: &Source<'_>, authenticated: &Authenticated) {
    let has_certificate = match source {
        Source::Ingress => {
            first(headers, "ssl-client-cert").is_some()
                && first(headers, "ssl-client-verify") == Some("SUCCESS")
        }
        Source::PeerNone => false,
        Source::PeerFixture | Source::PeerDer(_) => true,
    };
    assert_eq!(
        authenticated.principal.is_some(),
        has_certificate,
        "a principal exactly when the caller presented a certificate"
    );
    let authorization = first(headers, "authorization");
    match &authenticated.caller {
        Caller::System { .. } => {
            assert!(
                authorization.is_none(),
                "mTLS callers send no Authorization"
            );
            assert!(has_certificate, "mTLS needs a verified certificate");
        }
        Caller::Bearer { token } => {
            let authorization = authorization.expect("a bearer caller sent Authorization");
            let (scheme, sent) = authorization.split_once(' ').expect("`<scheme> <token>`");
            assert!(scheme.eq_ignore_ascii_case("bearer"), "{scheme:?}");
            assert_eq!(token.expose_secret(), sent);
        }
        _ => {}
    }
    let forwarded = first(headers, "unikorn-client-certificate");
    if let Some(forwarded) = forwarded {
        assert_eq!(authenticated.client_certificate.as_deref(), Some(forwarded));
    }
    assert_eq!(authenticated.forwarded, forwarded.is_some());
    if authenticated.direct_common_name.is_some() {
        assert!(
            has_certificate,
            "a direct caller is named only from a verified certificate"
        );
    }
    if let (Caller::System { common_name }, false) =
        (&authenticated.caller, authenticated.forwarded)
    {
        assert_eq!(
            authenticated.direct_common_name.as_deref(),
            Some(common_name.as_str()),
            "without forwarding, the caller is the direct caller"
        );
    }
    assert_eq!(
        authenticated.client_certificate.is_some(),
        forwarded.is_some() || has_certificate
    );
    let Some(found) = &authenticated.principal else {
        assert!(!authenticated.impersonate);
        return;
    };
    let value = first(headers, "x-principal").expect("a principal came from X-Principal");
    match principal::decode(value) {
        Ok(decoded) => {
            assert_eq!(
                found, &decoded,
                "the JSON form is read as `decode` reads it"
            );
            let asked = first(headers, "x-impersonate") == Some("true");
            assert_eq!(authenticated.impersonate, asked);
            if asked {
                assert!(!found.actor.is_empty(), "impersonating needs an actor");
            }
        }
        Err(_) => {
            assert!(
                !authenticated.impersonate,
                "no impersonation on the signed form"
            );
            // Only the fixture's key can have signed it: verify again against the fixture.
            let fixture = CertificateDer::from(fixtures::RSA_CERT_DER);
            if matches!(source, Source::PeerFixture) {
                let verified = principal::jws::verify(value, &fixture).expect("verifies");
                assert_eq!(found, &verified);
            }
        }
    }
}

fn check_refused(error: &ExtractError) {
    let status = error.status().as_u16();
    assert!(matches!(status, 400 | 401 | 500), "{status}");
    assert!(!error.description().is_empty());
    let code = error.error_code();
    match status {
        401 => assert_eq!(code, "access_denied"),
        500 => assert_eq!(code, "server_error"),
        _ => assert_eq!(code, "invalid_request"),
    }
    assert_eq!(error.www_authenticate("h").is_some(), status == 401);
    // Display and the source chain render.
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(current) = source {
        let _ = current.to_string();
        source = current.source();
    }
}

/// The token in `Authorization` must not reach any output: with it replaced by `x`s (same
/// length, same validity as a header) the outcome prints the same.
fn check_token_never_shows(
    input: &ExtractInput<'_>,
    source: CertificateSource<'_>,
    result: &Result<Authenticated, ExtractError>,
) {
    let Some((_, authorization)) = input.headers.iter().find(|(header, value)| {
        *header == Header::Authorization && HeaderValue::from_bytes(value).is_ok()
    }) else {
        return;
    };
    let Ok(text) = std::str::from_utf8(authorization) else {
        return;
    };
    // Only a value `extract` reads as text (visible ASCII) has a token to hide.
    if HeaderValue::from_bytes(authorization)
        .ok()
        .and_then(|v| v.to_str().ok().map(str::to_owned))
        .is_none()
    {
        return;
    }
    let Some((scheme, token)) = text.split_once(' ') else {
        return;
    };
    if token.is_empty() || token.contains(' ') {
        return;
    }
    let masked = format!("{scheme} {}", "x".repeat(token.len()));
    let headers = header_map(&input.headers, Some(masked.as_bytes()));
    let other = principal::extract(&headers, source);
    assert_eq!(
        format!("{result:?}"),
        format!("{other:?}"),
        "the token changes the Debug output"
    );
    if let (Err(a), Err(b)) = (result, &other) {
        assert_eq!(a.to_string(), b.to_string(), "the token changes Display");
    }
    if let Ok(Authenticated {
        caller: caller @ Caller::Bearer { .. },
        ..
    }) = result
    {
        assert_eq!(
            format!("{caller:?}"),
            "Bearer { token: AccessToken(<redacted>) }"
        );
    }
}
