//! Region API clients that obey the platform's trust model, and the network [`References`]
//! helper.
//!
//! This crate only binds the layers below to the region API: TLS, mTLS, tokens, trace
//! propagation and the signed principal all come from [`core_client`] and [`identity_client`];
//! the operations come from the generated [`region_openapi`] client. Depending on this crate
//! alone is enough: what a caller needs is re-exported.
//!
//! The normal service path: build the [`Client`] (and the token source) once at start-up, and
//! per inbound request only a [`RequestContext`] and an API client:
//!
//! ```no_run
//! # async fn demo(inbound: http::HeaderMap) -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use region_client::{AccessToken, Client, HttpClientOptions, Principal, RequestContext, StaticTokenSource};
//!
//! // At start-up: Secrets are read once, connections pooled, signatures cached.
//! let kube = kube::Client::try_default().await?;
//! let options = region_client::options()
//!     .with_host("https://region.example.com")
//!     .with_ca_secret("unikorn", "region-ca");
//! let me = HttpClientOptions::new().with_certificate("unikorn", "compute-client");
//! let region = Client::new(kube, options, me);
//! let token = Arc::new(StaticTokenSource::new(AccessToken::new("service-token")));
//!
//! // Per inbound request.
//! let ctx = RequestContext::from_headers(&inbound)
//!     .with_principal(Principal::new("org-1", "proj-1", "alice@example.com"));
//! let api = region.api_client(&ctx, token.clone()).await?;
//! let regions = api.list_regions("org-1").await?;
//! # let _ = regions;
//! # Ok(())
//! # }
//! ```
#![warn(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod client;
mod references;

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;

pub use client::{Client, options};
pub use references::{References, ReferencesError};

pub use core_client::{
    ClientCache, HttpClientOptions, HttpConfig, HttpOptions, reference::ResourceReference,
};
pub use identity_client::{
    AccessToken, AccessTokenSource, BaseClient, CachingTokenSource, Error, Principal,
    RequestContext, StaticTokenSource, TokenIssuer,
};
/// The layers below, for what is not re-exported one by one.
pub use {core_client, identity_client, region_openapi};
