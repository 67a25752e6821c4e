//! The tower layers an [`HttpClient`](crate::HttpClient) stacks over its transport, outermost
//! first, as kube-client builds its stack with `tower::ServiceBuilder`:
//!
//! 1. [`DeadlineLayer`]: one deadline for the whole call, retries and their waits included
//!    ([`HttpConfig::request_timeout`](crate::HttpConfig::request_timeout));
//! 2. [`RetryLayer`]: repeats the request when that is safe ([`RetryConfig`](crate::RetryConfig));
//! 3. [`TelemetryLayer`]: a client span and metrics for each attempt
//!    ([`TelemetryConfig`](crate::TelemetryConfig));
//! 4. the transport: one attempt through the pooled hyper client.
//!
//! Callers add layers of their own (rate or concurrency limits) around the whole stack with
//! [`HttpClient::with_layer`](crate::HttpClient::with_layer).

mod deadline;
mod retry;
mod telemetry;

pub use deadline::{DeadlineFuture, DeadlineLayer, DeadlineService};
pub use retry::{Attempts, RetryLayer, RetryPolicy, RetrySafe};
pub use telemetry::{TelemetryFuture, TelemetryLayer, TelemetryService, TraceParent};
