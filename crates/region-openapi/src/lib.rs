//! A typed client for the platform's region API, release v1.19.0: all 74 operations, generated
//! from `openapi/region.spec.yaml` (and `openapi/common.spec.yaml`) by `cargo xtask codegen`.
//!
//! - [`types`]: the API's schemas as Rust types (serde; enums as Rust enums; optional fields as
//!   `Option`; `format: uuid` as [`uuid::Uuid`], `date-time` as `chrono::DateTime<Utc>`,
//!   `ipv4` as [`std::net::Ipv4Addr`]); credentials never show in `Debug`;
//! - [`Client`]: one async method per operation, named after its `operationId`
//!   (`listRegions` is [`Client::list_regions`], `getNetworkV2` is [`Client::get_network_v2`]).
//!   IDs in the path are [`uuid::Uuid`] arguments, sent hyphenated in lower case; other path
//!   parameters are escaped as Go's `url.PathEscape` does, so a value is always one segment
//!   (an already escaped reference `a.b%2Fc` travels as `a.b%252Fc`, as the platform's own
//!   client sends it). Filters are typed query arguments; a list is sent repeated
//!   (`?tag=name%3Dvalue&tag=...`). A body is sent as JSON with `Content-Type:
//!   application/json`; an operation without one (every GET and DELETE, and the `x-no-body`
//!   actions such as [`Client::add_network_reference`] and [`Client::start_server_v2`]) sends no
//!   body and no `Content-Type`;
//! - every method returns a [`ResponseValue`]: the status, the headers (`Location`,
//!   `Retry-After`, ...) and a response enum (e.g. [`GetNetworkV2Response`]) with one variant per
//!   documented status carrying its decoded body, and `Unexpected { status, body }` for any
//!   other answer; [`ResponseValue::into_result`] turns it into the documented success body or
//!   one typed [`Error::Status`], which carries the platform's error body (`{"error",
//!   "error_description", "trace_id"}`) of any 4xx or 5xx answer, documented or not. A method
//!   itself fails ([`Error`]) only when nothing usable came back: the request was refused
//!   before sending, the transport failed, or a JSON body does not match its schema
//!   ([`Error::Decode`]). [`ResponseValue::from_parts`] decodes an answer that did not come
//!   from a call (a mock in a test, a recorded answer) exactly as a call does, for any
//!   operation's response enum ([`DecodeResponse`]);
//! - [`OperationId`]: the operation table, one variant per operation, with what the spec says
//!   of each ([`OperationSpec`]: method, path template, path parameters, request body,
//!   documented statuses) and [`OperationId::resolve`], which finds the operation of a request
//!   path the way the platform's router does: for fakes and test kits that route by operation.
//!
//! Every request carries a [`core_client::Operation`] extension (operation id and path
//! template), then runs the registered [`core_client::RequestEditor`]s in order, and is sent
//! through the [`core_client::HttpClient`].
//!
//! # The normal path
//!
//! ```no_run
//! # async fn demo(http: core_client::HttpClient, organization: uuid::Uuid, network: uuid::Uuid) -> Result<(), Box<dyn std::error::Error>> {
//! use core_client::ClientBuilder as _;
//! use region_openapi::Client;
//!
//! let client = Client::builder()
//!     .with_http_client(http)
//!     .build("https://region.example.com")?;
//!
//! // The documented success body, or an error with status, headers and the platform's
//! // `{"error", "error_description", "trace_id"}`.
//! let regions = client.list_regions(organization).await?.into_result()?;
//! println!("{} regions", regions.len());
//!
//! // Deciding on the status: predicates on the error...
//! match client.get_network_v2(network).await?.into_result() {
//!     Ok(network) => println!("prefix {}", network.status.prefix),
//!     Err(error) if error.is_not_found() => println!("gone"),
//!     Err(error) => return Err(error.into()),
//! }
//!
//! // ...or every documented answer, with the headers.
//! let answer = client.delete_network_v2(network).await?;
//! if let Some(retry) = answer.headers().get(http::header::RETRY_AFTER) {
//!     println!("retry after {retry:?}");
//! }
//! match answer.into_inner() {
//!     region_openapi::DeleteNetworkV2Response::Accepted => println!("deleting"),
//!     other => println!("not deleted: {other:?}"),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Answers from a newer server
//!
//! The platform adds enum values and fields between releases, and the client must keep working
//! against a server newer than its spec:
//!
//! - every string enum has a catch-all variant `Other(String)` that keeps a value the client
//!   does not know (`types::RegionType::Other("...")`); it serializes, prints (`Display`) and
//!   parses (`FromStr`, infallible) back to the same text, and `as_str()` gives the wire form;
//! - unknown object fields are ignored;
//! - required fields stay required: an answer without one is an [`Error::Decode`], with the
//!   status and an excerpt of at most [`EXCERPT_LIMIT`] bytes (withheld for operations whose
//!   answers may hold credentials);
//! - a body is decoded only when its `Content-Type` mentions `json`, as the platform's Go
//!   client does; any other answer (an ingress error page, say) is `Unexpected`, and
//!   `into_result` reports its status.
//!
//! # Refreshing for a new platform release
//!
//! `src/generated.rs` is generated; never edit it. The spec is our own text of the platform's
//! contract: structure exactly as upstream, descriptions in our words, an `operationId` on
//! every operation (the naming scheme is in the spec's `info.description`), `x-sensitive: true`
//! on credential-bearing properties.
//!
//! 1. Take the release's `pkg/openapi/server.spec.yaml` from the region repository, the core
//!    `pkg/openapi/common.spec.yaml` at the version its `$ref`s name, and the identity
//!    `pkg/openapi/server.spec.yaml` it borrows `organizationId`/`projectId` from.
//! 2. Run `cargo xtask spec-diff <region spec> <common spec> --identity <identity spec>`: it
//!    lists every difference to `openapi/` that matters (descriptions, summaries, examples,
//!    operationIds and `x-` keys are ignored). Edit `openapi/region.spec.yaml` and
//!    `openapi/common.spec.yaml` until it prints `no differences`: new operations get an
//!    `operationId` by the scheme, new descriptions are written anew, new credential
//!    properties get `x-sensitive: true`.
//! 3. Run `cargo xtask codegen` (a construct the generator does not support is an error naming
//!    its location in the spec); adapt `tests/client.rs`, the operation count in
//!    `tests/operations.rs` and the operation list in `xtask/src/codegen/tests.rs`.
//!
//! `src/generated.rs` holds what is particular to each operation: its types, its line in the
//! operation table, a line per documented status of its response enum, and its method. What
//! repeats from one operation to the next is written once here, in the runtime: the
//! `operations!` and `response_enum!` macros the generated code invokes, the request
//! plumbing of [`Client`], and the one place (`redact`) that decides what of a body may be
//! shown.
//! 4. Commit the specs together with `src/generated.rs`: `cargo xtask codegen --check`, run in
//!    CI, fails when they disagree.
#![warn(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod client;
mod error;
mod operations;
mod redact;
mod response;
mod response_enum;
#[rustfmt::skip]
mod generated;

pub use client::{Builder, Client};
pub use error::{Error, StatusError};
pub use generated::*;
pub use operations::{OperationSpec, PathParam, PathParams};
pub use redact::EXCERPT_LIMIT;
pub use response::{ApiResponse, DecodeResponse, ResponseValue};
/// The `uuid` crate the generated client's IDs come from, so callers name the same `Uuid`.
pub use uuid;
