//! TLS and HTTP construction for outbound calls between platform services.
//!
//! `core-client` is the bottom layer of the outbound client stack:
//!
//! - [`HttpOptions`] / [`HttpClientOptions`]: where a service lives, which Secret holds its
//!   CA, and which Secret holds the caller's own client certificate (as clap flags with the
//!   `clap` feature);
//! - [`HttpClient`]: a pooled hyper client, TLS 1.3 only (rustls with `ring`), mTLS from
//!   `kubernetes.io/tls` Secrets, with timeouts and a response size limit, refusing plain
//!   `http://` unless allowed; [`ClientCache`] hands out one per distinct configuration and
//!   picks up rotated Secrets;
//! - [`layer`]: the tower layers of an [`HttpClient`]'s stack (deadline, retries, telemetry);
//! - [`TlsSecret`]: every check of a TLS Secret, one by one;
//! - [`RequestEditor`] / [`ClientBuilder`]: the plumbing generated API clients implement and
//!   the identity layer plugs headers into;
//! - [`reference`](mod@reference): the platform's resource-reference model.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use core_client::{ClientCache, HttpClientOptions, HttpOptions};
//!
//! let kube = kube::Client::try_default().await?;
//! let options = HttpOptions::new("region")
//!     .with_host("https://region.example.com")
//!     .with_ca_secret("unikorn", "region-ca");
//! let client_options = HttpClientOptions::new().with_certificate("unikorn", "compute-client");
//! let http = ClientCache::new(kube).http_client(&options, &client_options).await?;
//! # let _ = http;
//! # Ok(())
//! # }
//! ```
#![warn(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod cache;
mod client;
mod discovery;
mod duration;
mod editor;
mod error;
#[cfg(feature = "clap")]
mod flags;
pub mod layer;
mod material;
mod operation;
mod options;
mod path;
mod pem;
mod pool;
pub mod reference;
mod rotation;
mod secret;
pub mod tls;
mod transport;

pub use cache::{ClientCache, MAX_BUILD_BACKOFF};
pub use client::{HttpClient, HttpService};
pub use duration::{InvalidDuration, parse_duration};
pub use editor::{
    BaseUrl, BoxFuture, BuildError, ClientBuilder, EditorError, RequestEditor, apply_editors,
    edited,
};
pub use error::{ClientError, HttpError};
pub use layer::{Attempts, RetrySafe, TraceParent};
pub use material::SignedWith;
pub use operation::Operation;
pub use options::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BODY, DEFAULT_POOL_IDLE_TIMEOUT,
    DEFAULT_RELOAD_INTERVAL, DEFAULT_REQUEST_TIMEOUT, DEFAULT_SECRET_READ_TIMEOUT,
    DEFAULT_USER_AGENT, HttpClientOptions, HttpConfig, HttpOptions, HttpVersion,
    MIN_RELOAD_INTERVAL, OptionsError, RetryConfig, SecretRef, TelemetryConfig,
};
pub use path::path_escape;
pub use reference::ResourceReference;
pub use secret::{
    CaCertificates, SecretError, TLS_CERT_KEY, TLS_KEY_KEY, TLS_SECRET_TYPE, TlsSecret,
};
pub use tls::ClientIdentity;
