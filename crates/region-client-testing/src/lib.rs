//! The platform in a box, for testing a service's calls to the region API: the region API
//! behind the platform's ingress and middleware, and the Kubernetes API holding the service's
//! Secrets, on loopback, in one line. The region API refuses exactly what the platform refuses,
//! so a test that passes against it makes calls the platform accepts.
//!
//! ```
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use region_client::RequestContext;
//! use region_client_testing::{Fault, OperationId, Platform};
//!
//! let platform = Platform::start().await;
//! // Every operation is programmable with the generated types; this one answers twice...
//! platform
//!     .region()
//!     .on(OperationId::ListRegions)
//!     .respond(200, &serde_json::json!([]))
//!     .expect(2); // ...checked when `platform` is dropped.
//! // The next call meets a 503 from the ingress: the client retries it.
//! platform.region().on(OperationId::ListRegions).times(1).fail(Fault::status(503));
//!
//! let ctx = RequestContext::new().with_principal(platform.principal());
//! let api = platform.client().api_client(&ctx).await?;
//! let answer = api.list_regions(platform.organization_id()).await?;
//! assert_eq!(answer.attempts(), 2);
//!
//! // What the platform saw, as its middleware established it.
//! let calls = platform.region().calls();
//! assert_eq!(calls[1].caller(), Some("my-service"));
//! assert_eq!(calls[1].principal(), Some(&platform.principal()));
//! # api.list_regions(platform.organization_id()).await?;
//! # Ok(())
//! # }
//! ```
//!
//! The parts, each usable on its own (every one a real server on 127.0.0.1, never a mock):
//!
//! - [`Platform`] ([`harness`]): the whole, started with [`Platform::start`] or
//!   [`Platform::builder`];
//! - [`region`]: the region API fake, all 74 operations routed by the operation table,
//!   programmable with stubs ([`region::Stub`]), recording every call ([`region::Call`]),
//!   with faults on demand ([`region::Fault`]);
//! - [`samples`]: values of the generated types as the platform answers them, for stubs;
//! - [`kube`]: an in-process Kubernetes API fake serving Secrets over HTTPS, for a real
//!   `kube::Client`;
//! - [`pki`]: a PKI built at run time with `rcgen` (CA, server and client certificates of each
//!   key type and encoding), with a few fixed, test-only RSA keys;
//! - [`server`]: an mTLS HTTPS server that records what each request carried and misbehaves
//!   on cue ([`server::Reply`]);
//! - [`ingress`]: the platform's ingress, as the services behind it see requests;
//! - [`platform`]: the platform servers' error bodies and authentication step;
//! - [`service`]: a Rust service behind the ingress, with the authentication middleware this
//!   project recommends (`extract`, then the `Authenticated` in the request's extensions).
//!
//! The fakes authenticate through `identity_client::principal::extract`, the receiver side of
//! the trust model, so they accept exactly what the platform's middleware accepts.
#![warn(missing_docs)]

pub mod harness;
pub mod ingress;
pub mod kube;
pub mod pki;
pub mod platform;
pub mod region;
mod resource;
pub mod samples;
pub mod server;
pub mod service;
mod sync;

pub use harness::{Platform, PlatformBuilder};
pub use pki::{Ca, KeyEncoding, KeyKind, Leaf, RSA_KEY_SLOTS};
pub use region::{Answer, Call, Fault};
pub use region_openapi::OperationId;
pub use resource::persist_principal;
pub use server::{RecordedRequest, TestServer};
