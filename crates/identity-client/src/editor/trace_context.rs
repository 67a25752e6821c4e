//! [`TraceContextEditor`]: W3C `traceparent` / `tracestate` from an OpenTelemetry context.

use bytes::Bytes;
use core_client::{BoxFuture, EditorError, RequestEditor, edited};
use opentelemetry::{Context, trace::TraceContextExt};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::propagation::inject_context;

/// Injects the trace context through the global text-map propagator
/// ([`install_trace_propagator`](crate::install_trace_propagator) installs the W3C one), so
/// the callee's spans join the caller's trace. When there is a span to continue but the
/// propagator writes no `traceparent` (none installed), a `tracing` warning says so, once
/// per process.
///
/// The context is the one captured at construction (from a
/// [`RequestContext`](crate::RequestContext)) or, when none was captured, the one current when
/// the request is sent: the active `tracing` span's (with `tracing-opentelemetry`) or else
/// OpenTelemetry's current context. A captured context is also handed to the transport as
/// [`TraceParent`](core_client::TraceParent), so that the client span of the request is its
/// child and the `traceparent` finally sent is that span's. Never fails.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use core_client::RequestEditor;
/// use identity_client::editor::TraceContextEditor;
///
/// let editor = TraceContextEditor::new(None);
/// let mut request = http::Request::new(bytes::Bytes::new());
/// editor.edit(&mut request).await.unwrap();
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct TraceContextEditor {
    context: Option<Context>,
}

impl TraceContextEditor {
    /// Injects `context`, or the current context at send time when `None`.
    pub fn new(context: Option<Context>) -> Self {
        Self { context }
    }
}

/// The context of the active `tracing` span when it has an OpenTelemetry span, else
/// OpenTelemetry's current context.
pub(crate) fn current_context() -> Context {
    let span_context = tracing::Span::current().context();
    if span_context.has_active_span() {
        span_context
    } else {
        Context::current()
    }
}

impl RequestEditor for TraceContextEditor {
    fn edit<'a>(
        &'a self,
        request: &'a mut http::Request<Bytes>,
    ) -> BoxFuture<'a, Result<(), EditorError>> {
        match &self.context {
            Some(context) => {
                inject_context(context, request.headers_mut());
                // The transport's client span continues this context, not the current one.
                request
                    .extensions_mut()
                    .insert(core_client::TraceParent(context.clone()));
            }
            None => inject_context(&current_context(), request.headers_mut()),
        }
        edited(Ok(()))
    }
}
