//! Which HTTP version each host speaks, learned from the TLS handshake of the first connection
//! to it (ALPN).
//!
//! hyper's pool shares one connection between concurrent HTTP/2 requests, but it only knows a
//! host speaks HTTP/2 once a TLS handshake has negotiated it. Until then every request of a
//! burst starts its own handshake, and all but one connection are thrown away: measured here,
//! 1,000 concurrent requests on a cold client made 346 TLS handshakes. So the first request to
//! a host goes alone until its connection is established: the [`LearningConnector`] reads the
//! negotiated protocol as soon as the handshake is over, and the requests that waited go then,
//! without waiting for the first one's answer (a server slow to answer it stalls no one else).
//! HTTP/2 hosts are then sent to through an HTTP/2-only client, whose pool lets a single
//! connect happen at a time (also after idle connections were closed); HTTP/1.1 hosts keep the
//! negotiating client.

use std::{
    collections::HashMap,
    future::Future,
    pin::{Pin, pin},
    sync::{
        Arc, Mutex, OnceLock,
        atomic::{AtomicU8, Ordering},
    },
    task::{Context, Poll},
};

use hyper_util::client::legacy::connect::Connection;
use tokio::sync::Notify;

/// Nothing is known and no request is finding out.
const UNKNOWN: u8 = 0;
/// A request is connecting to find out.
const LEARNING: u8 = 1;
const HTTP1: u8 = 2;
const HTTP2: u8 = 3;

/// What is known of the hosts one set of connection pools talks to.
#[derive(Default)]
pub(crate) struct Hosts {
    /// The first host asked about: most clients talk to one (their base URL), found without a
    /// lock.
    first: OnceLock<Entry>,
    /// Every other host, by `scheme://authority`.
    others: Mutex<HashMap<String, Arc<Host>>>,
}

/// A host and what names it.
struct Entry {
    scheme: Box<str>,
    authority: Box<str>,
    host: Arc<Host>,
}

impl Entry {
    fn names(&self, scheme: &str, authority: &str) -> bool {
        *self.scheme == *scheme && *self.authority == *authority
    }
}

/// One host (`scheme://authority`).
#[derive(Default)]
pub(crate) struct Host {
    state: AtomicU8,
    /// Told when the protocol is learned, or when the request finding out gave up.
    changed: Notify,
}

/// How to send to a host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// It negotiated HTTP/2: share a connection.
    Http2,
    /// It negotiated HTTP/1.1 (or it is not known yet, and this request is finding out).
    Negotiate,
}

/// A request's turn to send to a host.
pub(crate) enum Turn {
    /// The host's protocol is known.
    Known(Protocol),
    /// This request finds it out: it sends by negotiating. Dropping the turn before the
    /// protocol is known hands the finding out to a waiting request.
    Learn(Learner),
}

/// The turn of the request finding out a host's protocol.
pub(crate) struct Learner {
    host: Arc<Host>,
}

impl Learner {
    /// Records the HTTP version of the answer, for when its connection was not a new one (the
    /// connector learns from new ones).
    pub(crate) fn answered(&self, version: http::Version) {
        self.host.learn(version == http::Version::HTTP_2);
    }
}

impl Drop for Learner {
    fn drop(&mut self) {
        // Not learned (the connection failed, or the request was dropped): the next waiting
        // request finds out.
        if self
            .host
            .state
            .compare_exchange(LEARNING, UNKNOWN, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.host.changed.notify_waiters();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned lock only means a panic elsewhere while inserting an `Arc`.
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

impl Hosts {
    /// The protocol to send to the host of `uri` with, once known. Without a lock or an
    /// allocation for the first host.
    pub(crate) fn known(&self, uri: &http::Uri) -> Option<Protocol> {
        let (scheme, authority) = names(uri);
        match self.first.get() {
            Some(first) if first.names(scheme, authority) => first.host.known(),
            _ => self.host(uri).known(),
        }
    }

    /// The state of the host `uri` names.
    pub(crate) fn host(&self, uri: &http::Uri) -> Arc<Host> {
        let (scheme, authority) = names(uri);
        let first = self.first.get_or_init(|| Entry {
            scheme: scheme.into(),
            authority: authority.into(),
            host: Arc::default(),
        });
        if first.names(scheme, authority) {
            return first.host.clone();
        }
        lock(&self.others)
            .entry(format!("{scheme}://{authority}"))
            .or_default()
            .clone()
    }
}

fn names(uri: &http::Uri) -> (&str, &str) {
    (
        uri.scheme_str().unwrap_or_default(),
        uri.authority().map(|a| a.as_str()).unwrap_or_default(),
    )
}

impl Host {
    /// The protocol to send with, once it is known.
    pub(crate) fn known(&self) -> Option<Protocol> {
        match self.state.load(Ordering::Acquire) {
            HTTP2 => Some(Protocol::Http2),
            HTTP1 => Some(Protocol::Negotiate),
            _ => None,
        }
    }

    /// Waits while another request is finding out the protocol: until it is known, or until
    /// this request is the one to find it out.
    pub(crate) async fn turn(self: &Arc<Self>) -> Turn {
        loop {
            // Registered before the state is read, so that no change in between is missed.
            let mut changed = pin!(self.changed.notified());
            changed.as_mut().enable();
            match self.state.load(Ordering::Acquire) {
                HTTP2 => return Turn::Known(Protocol::Http2),
                HTTP1 => return Turn::Known(Protocol::Negotiate),
                UNKNOWN => {
                    if self
                        .state
                        .compare_exchange(UNKNOWN, LEARNING, Ordering::AcqRel, Ordering::Acquire)
                        .is_ok()
                    {
                        return Turn::Learn(Learner { host: self.clone() });
                    }
                }
                _ => changed.await,
            }
        }
    }

    /// Records the protocol a connection negotiated; the first one recorded stands.
    pub(crate) fn learn(&self, http2: bool) {
        let protocol = if http2 { HTTP2 } else { HTTP1 };
        let learned = self
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |state| {
                (state == UNKNOWN || state == LEARNING).then_some(protocol)
            })
            .is_ok();
        if learned {
            self.changed.notify_waiters();
        }
    }
}

/// A connector that tells [`Hosts`] the protocol each new connection negotiated, as soon as its
/// TLS handshake is over.
#[derive(Clone)]
pub(crate) struct LearningConnector<C> {
    inner: C,
    hosts: Arc<Hosts>,
}

impl<C> LearningConnector<C> {
    /// `inner`, reporting to `hosts`.
    pub(crate) fn new(inner: C, hosts: Arc<Hosts>) -> Self {
        Self { inner, hosts }
    }
}

/// The future of a connection being made.
type Connecting<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<C> tower::Service<http::Uri> for LearningConnector<C>
where
    C: tower::Service<http::Uri>,
    C::Response: Connection + Send + 'static,
    C::Error: Send + 'static,
    C::Future: Send + 'static,
{
    type Response = C::Response;
    type Error = C::Error;
    type Future = Connecting<C::Response, C::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), C::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, destination: http::Uri) -> Self::Future {
        let host = self.hosts.host(&destination);
        let connecting = self.inner.call(destination);
        Box::pin(async move {
            let connection = connecting.await?;
            host.learn(connection.connected().is_negotiated_h2());
            Ok(connection)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_told_apart_by_scheme_and_authority_and_learn_once() {
        let hosts = Hosts::default();
        let a: http::Uri = "https://a.example.com/x".parse().unwrap();
        let a_again: http::Uri = "https://a.example.com/y?z".parse().unwrap();
        let b: http::Uri = "https://a.example.com:8443/x".parse().unwrap();
        let plain: http::Uri = "http://a.example.com/x".parse().unwrap();
        let host = hosts.host(&a);
        assert_eq!(hosts.known(&a), None);
        host.learn(true);
        assert_eq!(hosts.known(&a_again), Some(Protocol::Http2));
        assert_eq!(hosts.known(&b), None);
        assert_eq!(hosts.known(&plain), None);
        // The first one learned stands.
        host.learn(false);
        assert_eq!(host.known(), Some(Protocol::Http2));
        hosts.host(&b).learn(false);
        assert_eq!(hosts.known(&b), Some(Protocol::Negotiate));
        assert_eq!(hosts.known(&plain), None);
    }

    /// One request at a time finds out; the others wait until it has (not for its answer), or
    /// take over when it gave up.
    #[tokio::test]
    async fn one_request_finds_out_and_the_others_wait_for_it() {
        let host = Arc::new(Host::default());
        let Turn::Learn(first) = host.turn().await else {
            panic!("the first request finds out");
        };
        let waiting = tokio::spawn({
            let host = host.clone();
            async move {
                match host.turn().await {
                    Turn::Known(protocol) => Some(protocol),
                    Turn::Learn(_) => None,
                }
            }
        });
        // The first one's connection negotiated HTTP/2: the waiting request goes, while the
        // first one still holds its turn (its answer has not come).
        host.learn(true);
        assert_eq!(waiting.await.unwrap(), Some(Protocol::Http2));
        drop(first);
        assert_eq!(host.known(), Some(Protocol::Http2));

        // A request that gives up before anything is learned hands over to a waiting one.
        let host = Arc::new(Host::default());
        let Turn::Learn(first) = host.turn().await else {
            panic!("the first request finds out");
        };
        let waiting = tokio::spawn({
            let host = host.clone();
            async move { matches!(host.turn().await, Turn::Learn(_)) }
        });
        tokio::task::yield_now().await;
        drop(first);
        assert!(waiting.await.unwrap(), "the waiting request takes over");
    }
}
