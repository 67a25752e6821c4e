//! Test fixtures shared by every crate's tests and the quickstart: real servers on loopback,
//! never mocks.
//!
//! - [`pki`]: a PKI built at run time with `rcgen` (CA, server and client certificates of each
//!   key type and encoding);
//! - [`kube`]: an in-process Kubernetes API fake serving Secrets over HTTPS, for a real
//!   `kube::Client`;
//! - [`server`]: an mTLS HTTPS server that records what each request carried;
//! - [`ingress`]: the platform's ingress, as the services behind it see requests;
//! - [`platform`]: the platform servers' error bodies and authentication step;
//! - [`region`]: a region API fake answering as region v1.19.0 does (network references and
//!   a few read endpoints), behind the ingress;
//! - [`service`]: a Rust service behind the ingress, with the authentication middleware this
//!   project recommends (`extract`, then the `Authenticated` in the request's extensions).
//!
//! The fakes authenticate through `identity_client::principal::extract`, the receiver side of
//! the trust model, so they accept exactly what the platform's middleware accepts. That makes
//! this crate depend on `identity-client` (whose tests use this crate: a dev-dependency
//! cycle cargo allows); [`server::client_tls_config`] gives a plain rustls client
//! configuration for tests below that layer.

pub mod ingress;
pub mod kube;
pub mod pki;
pub mod platform;
pub mod region;
pub mod server;
pub mod service;

pub use pki::{Ca, KeyEncoding, KeyKind, Leaf, RSA_KEY_SLOTS};
pub use server::{RecordedRequest, TestServer};
