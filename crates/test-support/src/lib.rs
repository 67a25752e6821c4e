//! Test fixtures shared by every crate's tests and the quickstart: real servers on loopback,
//! never mocks.
//!
//! - [`pki`]: a PKI built at run time with `rcgen` (CA, server and client certificates of each
//!   key type and encoding);
//! - [`kube`]: an in-process Kubernetes API fake serving Secrets over HTTPS, for a real
//!   `kube::Client`;
//! - [`server`]: an mTLS HTTPS server that records what each request carried;
//! - [`oidc`]: an OIDC issuer (discovery and token endpoint) over mTLS;
//! - [`region`]: a region API fake implementing network references and a few read endpoints.
//!
//! This crate deliberately does not depend on the workspace's client crates (they depend on it
//! for their tests); [`server::client_tls_config`] gives a plain rustls client configuration.

pub mod kube;
pub mod oidc;
pub mod pki;
pub mod region;
pub mod server;

pub use pki::{Ca, KeyEncoding, KeyKind, Leaf};
pub use server::{RecordedRequest, TestServer};
