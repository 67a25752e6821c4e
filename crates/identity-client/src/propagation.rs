//! The global W3C trace-context propagator: installing it ([`install_trace_propagator`]), and
//! saying so, once, when a trace would be lost because nobody did.
//!
//! Trace propagation goes through OpenTelemetry's *global* text-map propagator, which is a
//! no-op until the application installs one. Without it an inbound `traceparent` is ignored
//! and no outbound `traceparent` is written, silently: every call starts a new trace. This
//! module turns that into one `tracing` warning per process and direction.

use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::{
    Context, global,
    propagation::{Injector, TextMapPropagator},
    trace::TraceContextExt,
};
use opentelemetry_http::HeaderInjector;
use opentelemetry_sdk::propagation::TraceContextPropagator;

/// The header of the W3C Trace Context the platform's services exchange.
const TRACEPARENT: &str = "traceparent";

/// Installs the W3C Trace Context propagator (`traceparent`, `tracestate`; no `baggage`) as
/// OpenTelemetry's global text-map propagator, which is what the platform's services speak.
///
/// Call it once at start-up, before serving or sending requests. Until some propagator is
/// installed, [`RequestContext::from_headers`](crate::RequestContext::from_headers) ignores an
/// inbound `traceparent` and outbound calls carry none: traces break at every service
/// boundary (a `tracing` warning says so, once). Installing it again is harmless; an
/// application that wants other propagators as well installs an
/// `opentelemetry::propagation::TextMapCompositePropagator` that includes a
/// [`TraceContextPropagator`] itself instead.
///
/// ```
/// identity_client::install_trace_propagator();
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert(
///     "traceparent",
///     http::HeaderValue::from_static("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
/// );
/// // The inbound trace is now continued by outbound calls.
/// let ctx = identity_client::RequestContext::from_headers(&headers);
/// assert!(ctx.otel_context().is_some());
/// ```
pub fn install_trace_propagator() {
    global::set_text_map_propagator(TraceContextPropagator::new());
}

/// Set once the inbound warning has been emitted.
static INBOUND_WARNED: AtomicBool = AtomicBool::new(false);
/// Set once the outbound warning has been emitted.
static OUTBOUND_WARNED: AtomicBool = AtomicBool::new(false);

/// Whether `propagator` reads and writes the W3C `traceparent` header.
fn speaks_w3c(propagator: &dyn TextMapPropagator) -> bool {
    propagator
        .fields()
        .any(|field| field.eq_ignore_ascii_case(TRACEPARENT))
}

/// An inbound request's trace would be dropped: it carries a `traceparent` that the global
/// propagator does not read.
fn inbound_trace_lost(headers: &http::HeaderMap, propagator: &dyn TextMapPropagator) -> bool {
    headers.contains_key(TRACEPARENT) && !speaks_w3c(propagator)
}

/// An outbound request's trace would be dropped: `context` has a span to continue, and
/// injecting it wrote no `traceparent`.
fn outbound_trace_lost(context: &Context, wrote_traceparent: bool) -> bool {
    context.span().span_context().is_valid() && !wrote_traceparent
}

/// Warns, once per process, that inbound requests with a `traceparent` are not continued when
/// the global propagator cannot read it. Called with the headers of each inbound request.
pub(crate) fn check_inbound(headers: &http::HeaderMap) {
    // Most requests end here, without touching the propagator's lock.
    if INBOUND_WARNED.load(Ordering::Relaxed) || !headers.contains_key(TRACEPARENT) {
        return;
    }
    let lost =
        global::get_text_map_propagator(|propagator| inbound_trace_lost(headers, propagator));
    if lost && !INBOUND_WARNED.swap(true, Ordering::Relaxed) {
        tracing::warn!(
            "an inbound request carries a `traceparent`, but the global OpenTelemetry text-map \
             propagator does not read it: the caller's trace is not continued. Install the W3C \
             propagator once at start-up: `identity_client::install_trace_propagator()` \
             (re-exported by region-client). This warning is not repeated."
        );
    }
}

/// Writes into the headers and notes whether `traceparent` was among what was written.
struct RecordingInjector<'a> {
    inner: HeaderInjector<'a>,
    wrote_traceparent: bool,
}

impl Injector for RecordingInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if key.eq_ignore_ascii_case(TRACEPARENT) {
            self.wrote_traceparent = true;
        }
        self.inner.set(key, value);
    }
}

/// Injects `context` into `headers` through the global propagator. Warns, once per process,
/// when `context` has a span to continue and the propagator wrote no `traceparent`.
pub(crate) fn inject_context(context: &Context, headers: &mut http::HeaderMap) {
    let mut injector = RecordingInjector {
        inner: HeaderInjector(headers),
        wrote_traceparent: false,
    };
    global::get_text_map_propagator(|propagator| {
        propagator.inject_context(context, &mut injector);
    });
    if outbound_trace_lost(context, injector.wrote_traceparent)
        && !OUTBOUND_WARNED.swap(true, Ordering::Relaxed)
    {
        tracing::warn!(
            "a request is sent inside a trace, but the global OpenTelemetry text-map propagator \
             wrote no `traceparent`: the callee starts a new trace. Install the W3C propagator \
             once at start-up: `identity_client::install_trace_propagator()` (re-exported by \
             region-client). This warning is not repeated."
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::propagation::text_map_propagator::FieldIter;
    use opentelemetry::propagation::{Extractor, TextMapCompositePropagator};
    use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};

    /// Reads and writes nothing, like the global default.
    #[derive(Debug)]
    struct Silent;

    impl TextMapPropagator for Silent {
        fn inject_context(&self, _: &Context, _: &mut dyn Injector) {}
        fn extract_with_context(&self, cx: &Context, _: &dyn Extractor) -> Context {
            cx.clone()
        }
        fn fields(&self) -> FieldIter<'_> {
            FieldIter::new(&[])
        }
    }

    fn traced() -> Context {
        Context::new().with_remote_span_context(SpanContext::new(
            TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736),
            SpanId::from(0x00f0_67aa_0ba9_02b7),
            TraceFlags::SAMPLED,
            true,
            TraceState::default(),
        ))
    }

    #[test]
    fn inbound_is_lost_only_with_a_traceparent_nobody_reads() {
        let mut headers = http::HeaderMap::new();
        let w3c = TraceContextPropagator::new();
        assert!(!inbound_trace_lost(&headers, &Silent), "nothing to lose");
        headers.insert(TRACEPARENT, http::HeaderValue::from_static("00-x-y-01"));
        assert!(inbound_trace_lost(&headers, &Silent));
        assert!(!inbound_trace_lost(&headers, &w3c));
        let composite = TextMapCompositePropagator::new(vec![Box::new(Silent), Box::new(w3c)]);
        assert!(!inbound_trace_lost(&headers, &composite));
    }

    #[test]
    fn outbound_is_lost_only_when_a_span_went_unwritten() {
        assert!(outbound_trace_lost(&traced(), false));
        assert!(!outbound_trace_lost(&traced(), true));
        assert!(
            !outbound_trace_lost(&Context::new(), false),
            "no span, no trace"
        );
    }

    #[test]
    fn the_recording_injector_notices_traceparent() {
        let mut headers = http::HeaderMap::new();
        let mut injector = RecordingInjector {
            inner: HeaderInjector(&mut headers),
            wrote_traceparent: false,
        };
        TraceContextPropagator::new().inject_context(&traced(), &mut injector);
        assert!(injector.wrote_traceparent);
        assert_eq!(
            headers["traceparent"],
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        );

        let mut headers = http::HeaderMap::new();
        let mut injector = RecordingInjector {
            inner: HeaderInjector(&mut headers),
            wrote_traceparent: false,
        };
        Silent.inject_context(&traced(), &mut injector);
        assert!(!injector.wrote_traceparent);
        assert!(headers.is_empty());
    }
}
