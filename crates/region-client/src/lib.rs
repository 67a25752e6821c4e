//! Region API clients that obey the platform's trust model, and the network [`References`]
//! helper.
//!
//! This crate only binds the layers below to the region API: TLS, mTLS, trace propagation
//! and the delegated principal all come from [`core_client`] and [`identity_client`];
//! the operations come from the generated [`region_openapi`] client. Depending on this crate
//! alone is enough: what a caller needs is re-exported, including the crates that appear in
//! its API at the versions it was built with ([`kube`], [`k8s_openapi`], [`http`],
//! [`opentelemetry`]), and [`install_trace_propagator`] to call once at start-up.
//!
//! # Choosing the Kubernetes version
//!
//! `k8s-openapi` builds only when exactly one Kubernetes version feature is enabled in the
//! final application, and libraries must leave that choice alone. An application whose only
//! platform dependency is this crate turns on the feature `k8s-openapi-latest`:
//!
//! ```toml
//! [dependencies]
//! region-client = { version = "0.1.0", features = ["k8s-openapi-latest"] }
//! ```
//!
//! An application that targets an older API server depends on `k8s-openapi` 0.29 itself with
//! that version's feature (for example `features = ["v1_34"]`) and leaves
//! `k8s-openapi-latest` off.
//!
//! The normal service path: build the [`Client`] once at start-up, and per inbound request
//! only a [`RequestContext`] and an API client:
//!
//! ```no_run
//! # async fn demo(inbound: http::request::Parts) -> Result<(), Box<dyn std::error::Error>> {
//! use region_client::{Client, HttpClientOptions, RequestContext};
//!
//! // At start-up: Secrets are read once, connections pooled.
//! let kube = kube::Client::try_default().await?;
//! let options = region_client::options()
//!     .with_host("https://region.example.com")
//!     .with_ca_secret("unikorn", "region-ca");
//! let me = HttpClientOptions::new().with_certificate("unikorn", "compute-client");
//! let region = Client::new(kube, options, me);
//! region.ready().await?; // a bad Secret fails here, named
//!
//! // Per inbound request, for the principal its authentication established (the
//! // `Authenticated` that `principal::extract` returned, stored in the request extensions by
//! // the authentication middleware), impersonating it when the inbound call did.
//! let ctx = RequestContext::from_parts(&inbound);
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
    AccessToken, AccessTokenSource, AccountType, BaseClient, Error, ForwardedCertificate, Id,
    InvalidId, Principal, RequestContext, StaticTokenSource, install_trace_propagator,
};
/// The layers below, for what is not re-exported one by one.
pub use {core_client, identity_client, region_openapi};

/// HTTP types (`http` 1) of this crate's API: the inbound request a
/// [`RequestContext`] is made from, headers, status codes.
pub use http;
/// The Kubernetes API types (`k8s-openapi` 0.29): the resources a controller reconciles.
/// See [Choosing the Kubernetes version](crate#choosing-the-kubernetes-version).
pub use k8s_openapi;
/// The Kubernetes client (`kube` 5) that [`Client::new`] reads Secrets with.
pub use kube;
/// OpenTelemetry (0.33): the trace context a [`RequestContext`] carries.
pub use opentelemetry;
