//! A typed client for the region API, generated from `openapi/region.spec.yaml` (and
//! `openapi/common.spec.yaml`) by `cargo xtask codegen`.
//!
//! - [`types`]: the API's schemas as Rust types (serde, enums as Rust enums, optional fields
//!   as `Option`, `date-time` as `chrono::DateTime<Utc>`); credentials never show in `Debug`;
//! - [`Client`]: one async method per operation, named after its `operationId`
//!   (`listRegions` is [`Client::list_regions`]), with typed path and query parameters and
//!   JSON bodies. Path parameters are percent-encoded as single segments, so a reference such
//!   as `kubernetesclusters.kubernetes.unikorn-cloud.org/abc` survives;
//! - every method returns a [`ResponseValue`]: the status, the headers and a response enum
//!   (e.g. [`AddNetworkReferenceResponse`]) with one variant per documented status carrying the
//!   decoded body, and `Unexpected { status, body }` for anything else;
//!   [`ResponseValue::into_result`] turns it into the documented success body or an
//!   [`Error::Status`]. Sending, editing and decoding failures are an [`Error`] too.
//!
//! Every request carries a [`core_client::Operation`] extension and runs the registered
//! [`core_client::RequestEditor`]s, in order, before it is sent through the
//! [`core_client::HttpClient`].
//!
//! ```no_run
//! # async fn demo(http: core_client::HttpClient, organization: uuid::Uuid) -> Result<(), Box<dyn std::error::Error>> {
//! use core_client::ClientBuilder as _;
//! use region_openapi::Client;
//!
//! let client = Client::builder()
//!     .with_http_client(http)
//!     .build("https://region.example.com")?;
//! let regions = client.list_regions(organization).await?.into_result()?;
//! println!("{} regions", regions.len());
//! # Ok(())
//! # }
//! ```
//!
//! # Adding an endpoint
//!
//! `src/generated.rs` is generated; never edit it. To add an endpoint:
//!
//! 1. describe it in `openapi/region.spec.yaml`: the path, a camelCase `operationId` (it names
//!    the method and the response enum: `addNetworkReference` gives
//!    `Client::add_network_reference` and `AddNetworkReferenceResponse`), path and query
//!    parameters, a request body and responses whose JSON schemas are `$ref`s to
//!    `components/schemas` (shared ones live in `openapi/common.spec.yaml`), and every status
//!    code it answers with; mark credential properties `x-sensitive: true`;
//! 2. run `cargo xtask codegen` and commit the spec together with `src/generated.rs`
//!    (`cargo xtask codegen --check`, run in CI, fails when they disagree);
//! 3. add a round trip for it to `tests/client.rs`.
//!
//! A construct the generator does not support (an inline body schema, a header parameter, a
//! `default` response, ...) is reported with its location in the spec.
#![warn(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod client;
mod error;
mod response;
#[rustfmt::skip]
mod generated;

pub use client::{Client, ClientBuilder};
pub use error::{EXCERPT_LIMIT, Error, StatusError};
pub use generated::*;
pub use response::{ApiResponse, ResponseValue};
