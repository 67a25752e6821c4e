//! The platform's trust model for outbound calls between services.
//!
//! `identity-client` sits on [`core_client`] (TLS, mTLS, pooled transport) and adds what every
//! call must carry, as four [`RequestEditor`](core_client::RequestEditor)s applied in order:
//!
//! 1. `Authorization: Bearer <token>` from an [`AccessTokenSource`]
//!    ([`StaticTokenSource`], [`CachingTokenSource`], fed by a [`TokenIssuer`]);
//! 2. W3C `traceparent`/`tracestate` from the OpenTelemetry context;
//! 3. `Unikorn-Client-Certificate`, the inbound client certificate forwarded verbatim;
//! 4. `X-Principal`, the delegated [`Principal`] as a compact JWS signed with the caller's
//!    client-certificate key ([`principal::sign`]; receivers use [`principal::verify`]).
//!
//! [`api_client`] (serving an inbound request, principal from the [`RequestContext`]) and
//! [`controller_client`] (reconciling a resource, principal from its labels and annotations)
//! apply all four to any generated client implementing
//! [`ClientBuilder`](core_client::ClientBuilder).
//!
//! ```no_run
//! # async fn demo<B: core_client::ClientBuilder>(
//! #     builder: B,
//! #     inbound: http::HeaderMap,
//! # ) -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use core_client::{HttpClientOptions, HttpOptions};
//! use identity_client::{BaseClient, Principal, RequestContext, TokenIssuer, api_client};
//!
//! // At start-up, once: one cache (Secrets read once, pooled connections) for both services.
//! let cache = core_client::ClientCache::new(kube::Client::try_default().await?);
//! let me = HttpClientOptions::new().with_certificate("unikorn", "compute-client");
//! let identity = BaseClient::with_cache(
//!     cache.clone(),
//!     HttpOptions::new("identity").with_host("https://identity.example.com"),
//!     me.clone(),
//! );
//! let tokens = Arc::new(TokenIssuer::new(identity, "compute", "1.0.0").token_source());
//!
//! let region = BaseClient::with_cache(
//!     cache,
//!     HttpOptions::new("region").with_host("https://region.example.com"),
//!     me,
//! );
//!
//! // Per inbound request.
//! let ctx = RequestContext::from_headers(&inbound)
//!     .with_principal(Principal::new("org-1", "proj-1", "alice@example.com"));
//! let client = api_client(&region, builder, tokens.clone(), &ctx).await?;
//! # let _ = client;
//! # Ok(())
//! # }
//! ```
#![warn(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod base;
mod clients;
mod context;
pub mod editor;
pub mod principal;
pub mod token;

pub use base::BaseClient;
pub use clients::{Error, api_client, controller_client, plain_client};
pub use context::RequestContext;
pub use core_client::BoxFuture;
pub use principal::{Principal, PrincipalError};
pub use token::{
    AccessToken, AccessTokenSource, CachingTokenSource, IssueError, IssuedToken, StaticTokenSource,
    TokenError, TokenIssuer,
};
