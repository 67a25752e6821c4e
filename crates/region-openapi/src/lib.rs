//! A typed client for the region API, generated from `openapi/region.spec.yaml` (and
//! `openapi/common.spec.yaml`) by `cargo xtask codegen`.
//!
//! - [`types`]: the API's schemas as Rust types (serde, enums as Rust enums, optional fields
//!   as `Option`, `date-time` as `chrono::DateTime<Utc>`); credentials never show in `Debug`;
//! - [`Client`]: one async method per operation, named after its `operationId`
//!   (`listRegions` is [`Client::list_regions`]), with typed path and query parameters and
//!   JSON bodies. Path parameters are percent-encoded as single segments, so a reference such
//!   as `kubernetesclusters.kubernetes.unikorn-cloud.org/abc` survives;
//! - every method returns a response enum (e.g. [`AddNetworkReferenceResponse`]) with one
//!   variant per documented status carrying the decoded body, and `Unexpected { status, body }`
//!   for anything else; sending, editing and decoding failures are an [`Error`].
//!
//! Every request runs the registered [`core_client::RequestEditor`]s, in order, before it is
//! sent through the [`core_client::HttpClient`].
//!
//! ```no_run
//! # async fn demo(http: core_client::HttpClient) -> Result<(), Box<dyn std::error::Error>> {
//! use core_client::ClientBuilder as _;
//! use region_openapi::{Client, ListRegionsResponse};
//!
//! let client = Client::builder()
//!     .with_http_client(http)
//!     .build("https://region.example.com")?;
//! match client.list_regions("my-organization").await? {
//!     ListRegionsResponse::Ok(regions) => println!("{} regions", regions.len()),
//!     other => println!("the region API said {}", other.status()),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The file `src/generated.rs` is generated: change the spec and run `cargo xtask codegen`;
//! `cargo xtask codegen --check` fails when it is stale.
#![warn(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod client;
mod error;
#[rustfmt::skip]
mod generated;

pub use client::{Client, ClientBuilder};
pub use error::{EXCERPT_LIMIT, Error};
pub use generated::*;
