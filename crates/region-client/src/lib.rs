//! Region API clients that obey the platform's trust model, and the network [`References`]
//! helper.
//!
//! This crate only binds the layers below to the region API: TLS, mTLS, trace propagation
//! and the delegated principal all come from [`core_client`] and [`identity_client`];
//! the operations come from the generated [`region_openapi`] client. Depending on this crate
//! alone is enough: what a caller needs is re-exported.
//!
//! The normal service path: build the [`Client`] once at start-up, and per inbound request
//! only a [`RequestContext`] and an API client:
//!
//! ```no_run
//! # async fn demo(inbound: http::HeaderMap) -> Result<(), Box<dyn std::error::Error>> {
//! use region_client::{Client, HttpClientOptions, Principal, RequestContext};
//!
//! // At start-up: Secrets are read once, connections pooled.
//! let kube = kube::Client::try_default().await?;
//! let options = region_client::options()
//!     .with_host("https://region.example.com")
//!     .with_ca_secret("unikorn", "region-ca");
//! let me = HttpClientOptions::new().with_certificate("unikorn", "compute-client");
//! let region = Client::new(kube, options, me);
//!
//! // Per inbound request, with the principal its authentication established.
//! let ctx = RequestContext::from_headers(&inbound)
//!     .with_principal(Principal::new("org-1", "proj-1", "alice@example.com"));
//! let api = region.api_client(&ctx).await?;
//! # let _ = api;
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
pub use references::{ReferenceOperation, References, ReferencesError};

pub use core_client::{
    ClientCache, HttpClientOptions, HttpConfig, HttpOptions, reference::ResourceReference,
};
pub use identity_client::{
    AccessToken, AccessTokenSource, AccountType, BaseClient, Error, Principal, RequestContext,
    StaticTokenSource,
};
/// The layers below, for what is not re-exported one by one.
pub use {core_client, identity_client, region_openapi};
