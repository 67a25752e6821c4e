//! `TokenIssuer` against the in-process OIDC issuer over mTLS.

mod common;

use std::time::Duration;

use common::{issuer, issuer_fixture as fixture};
use identity_client::{
    AccessTokenSource, IssueError,
    token::{Endpoint, MAX_BODY_EXCERPT},
};
use test_support::oidc::{DiscoveryMode, TokenMode};

#[tokio::test]
async fn success_discovers_then_grants_over_mtls() {
    let f = fixture().await;
    f.issuer
        .set_token_mode(TokenMode::Success { expires_in: 900 });
    let issuer = issuer(&f).with_scope("openid");
    let before = tokio::time::Instant::now();
    let issued = issuer.issue().await.unwrap();
    let after = tokio::time::Instant::now();
    assert_eq!(issued.token.expose_secret(), "issued-token-1");
    let lifetime = Duration::from_secs(900);
    assert!(before + lifetime <= issued.expires_at && issued.expires_at <= after + lifetime);
    assert!(!format!("{issued:?}").contains("issued-token"));

    let requests = f.issuer.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].uri.path(), "/.well-known/openid-configuration");
    let grant = &requests[1];
    assert_eq!(grant.method, "POST");
    assert_eq!(grant.uri.path(), test_support::oidc::TOKEN_PATH);
    assert_eq!(
        grant.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        std::str::from_utf8(&grant.body).unwrap(),
        "grant_type=client_credentials&scope=openid"
    );
    assert!(!grant.peer_certificates.is_empty(), "authenticated by mTLS");

    // Discovery is remembered.
    let issued = issuer.issue().await.unwrap();
    assert_eq!(issued.token.expose_secret(), "issued-token-2");
    assert_eq!(f.issuer.discovery_calls(), 1);
    assert_eq!(f.issuer.token_calls(), 2);
}

#[tokio::test]
async fn unauthorized_is_a_typed_error_with_status_and_body() {
    let f = fixture().await;
    f.issuer.set_token_mode(TokenMode::Unauthorized);
    let err = issuer(&f).issue().await.unwrap_err();
    assert!(
        matches!(
            err,
            IssueError::Status {
                endpoint: Endpoint::Token,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.status(), Some(http::StatusCode::UNAUTHORIZED));
    assert!(err.body_excerpt().unwrap().contains("invalid_client"));
    assert!(err.to_string().contains("401"), "{err}");
}

#[tokio::test]
async fn malformed_json_is_a_typed_error() {
    let f = fixture().await;
    f.issuer.set_token_mode(TokenMode::MalformedJson);
    let err = issuer(&f).issue().await.unwrap_err();
    assert!(matches!(err, IssueError::InvalidJson { .. }), "{err:?}");
    assert_eq!(err.status(), Some(http::StatusCode::OK));
    assert!(err.body_excerpt().unwrap().contains("oops"));
    assert!(err.body_excerpt().unwrap().len() <= MAX_BODY_EXCERPT);
}

#[tokio::test]
async fn missing_fields_are_typed_errors() {
    let f = fixture().await;
    f.issuer.set_token_mode(TokenMode::MissingAccessToken);
    let err = issuer(&f).issue().await.unwrap_err();
    assert!(
        matches!(
            err,
            IssueError::MissingField {
                endpoint: Endpoint::Token,
                field: "access_token",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.body_excerpt().unwrap().contains("expires_in"));

    f.issuer.set_token_mode(TokenMode::MissingExpiresIn);
    let err = issuer(&f).issue().await.unwrap_err();
    assert!(matches!(
        err,
        IssueError::MissingField {
            field: "expires_in",
            ..
        }
    ));
    // The token in that body does not leak into the error.
    assert!(!format!("{err} {err:?}").contains("issued-token"), "{err}");

    let f = fixture().await;
    f.issuer
        .set_discovery_mode(DiscoveryMode::MissingTokenEndpoint);
    let err = issuer(&f).issue().await.unwrap_err();
    assert!(matches!(
        err,
        IssueError::MissingField {
            endpoint: Endpoint::Discovery,
            field: "token_endpoint",
            ..
        }
    ));
    assert_eq!(f.issuer.token_calls(), 0);

    f.issuer.set_discovery_mode(DiscoveryMode::Status(503));
    let err = issuer(&f).issue().await.unwrap_err();
    assert_eq!(err.status(), Some(http::StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(err.endpoint(), Some(Endpoint::Discovery));
}

#[tokio::test]
async fn token_source_issues_once_for_concurrent_callers_and_keeps_token_on_failure() {
    let f = fixture().await;
    let source = issuer(&f).token_source();
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let source = source.clone();
            tokio::spawn(async move { source.token().await })
        })
        .collect();
    for task in tasks {
        assert_eq!(
            task.await.unwrap().unwrap().expose_secret(),
            "issued-token-1"
        );
    }
    assert_eq!(f.issuer.token_calls(), 1);

    // Tokens living 2 s are refreshed half-way through their lifetime (the default margin is
    // longer than that), on real time: the issuer sets the expiry.
    f.issuer
        .set_token_mode(TokenMode::Success { expires_in: 2 });
    let short = issuer(&f).token_source();
    assert_eq!(
        short.token().await.unwrap().expose_secret(),
        "issued-token-2"
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(
        short.token().await.unwrap().expose_secret(),
        "issued-token-3"
    );
    // The identity service now refuses: once due for refresh, the unexpired token keeps
    // being served.
    f.issuer.set_token_mode(TokenMode::Unauthorized);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(
        short.token().await.unwrap().expose_secret(),
        "issued-token-3"
    );
    assert_eq!(f.issuer.token_calls(), 4);
}
