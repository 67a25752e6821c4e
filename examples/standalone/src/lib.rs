//! The README's examples as a sibling service writes them, with `region-client` as its only
//! platform dependency: `kube`, `http` and `k8s_openapi` come from its re-exports, so their
//! versions always match the ones region-client was built with.
//!
//! The README writes `anyhow::Result`; this project depends on nothing but region-client and
//! tokio, so it uses [`Result`] instead.

pub mod controller;
pub mod service;

/// The error type the README's examples get from `anyhow`.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// The result type the README's examples get from `anyhow`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
