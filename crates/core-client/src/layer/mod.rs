//! The tower layers an [`HttpClient`](crate::HttpClient) stacks around its transport, outermost
//! first, the way kube-client builds its stack:
//!
//! 1. [`deadline`]: one deadline for the whole call, retries and their waits included
//!    ([`HttpConfig::request_timeout`](crate::HttpConfig::request_timeout));
//! 2. [`retry`]: repeats the request when that is safe ([`RetryConfig`](crate::RetryConfig));
//! 3. [`telemetry`]: a client span and metrics for each attempt
//!    ([`TelemetryConfig`](crate::TelemetryConfig));
//! 4. the transport: one attempt through the pooled hyper client.
//!
//! Callers add layers of their own (rate or concurrency limits) around the whole stack with
//! [`HttpClient::with_layer`](crate::HttpClient::with_layer).

pub(crate) mod deadline;
pub(crate) mod retry;
pub(crate) mod telemetry;
