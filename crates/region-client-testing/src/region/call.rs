//! [`Call`]: one request as the region API saw it, and what it answered.

use std::{collections::BTreeMap, fmt};

use identity_client::{
    Principal,
    principal::{Authenticated, Caller},
};
use region_openapi::{OperationId, types};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::answer::Fault;
use crate::{platform, server::RecordedRequest};

/// Who answered a [`Call`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AnsweredBy {
    /// The platform itself, before any stub could: no operation has this path and method
    /// (404), a path parameter did not bind (400), authentication or the principal was
    /// refused (400, 401, 500), the request body does not match its schema (400), or RBAC
    /// denied the caller (403).
    Platform,
    /// The stub with this number (stubs are numbered from 0 in the order they were made).
    Stub(usize),
    /// The kit's model of the release, regions, networks and references (the default
    /// behaviour of `getVersion`, `listRegions`, `getNetworkV2` of a known network, and the
    /// two reference operations).
    Model,
    /// Nothing: no stub matched and the model has no answer, so the platform's `404
    /// not_found`, saying how to stub the operation.
    NotStubbed,
    /// Not answered yet: the call as a stub's predicate or closure sees it.
    Pending,
}

/// One request as the region API saw it behind its ingress: which operation it was, its path
/// parameters and body as the platform decoded them, who called and for whom as the
/// platform's middleware established it, and what was answered.
///
/// While a stub decides (its [`when`](super::Stub::when) predicate, its
/// [`respond_with`](super::Stub::respond_with) closure), the call is the same, not answered
/// yet: [`status`](Self::status) is `None` and [`answered_by`](Self::answered_by) is
/// [`AnsweredBy::Pending`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Call {
    /// The operation the platform's router found, `None` when none has this path and method.
    pub operation: Option<OperationId>,
    /// The request as the service behind the ingress got it: `Ssl-Client-*` set by the
    /// ingress, the rest as the client sent it (see [`RecordedRequest`]).
    pub request: RecordedRequest,
    /// The path as the platform's router matched it: decoded once (Go's `URL.Path`), so a
    /// reference escaped twice on the wire (`%252F`) is still escaped once here (`%2F`).
    pub path: String,
    /// The path parameters as the handler gets them (decoded once more: a reference is
    /// `kubernetesclusters.kubernetes.unikorn-cloud.org/abc`), by name.
    pub params: BTreeMap<String, String>,
    /// The JSON request body, when the operation takes one and it matched its schema.
    pub body: Option<serde_json::Value>,
    /// Who called and for whom, as the middleware established it; `None` when it refused
    /// the call (or did not get that far).
    pub authenticated: Option<Authenticated>,
    /// The status answered; `None` while pending, and when a fault dropped the connection
    /// instead of answering.
    pub status: Option<u16>,
    /// The platform's error body of the answer (`{"error", "error_description",
    /// "trace_id"}`), when it was an error of the platform or of a stub.
    pub error: Option<types::Error>,
    /// Who answered.
    pub answered_by: AnsweredBy,
    /// The fault a stub inflicted instead of (or before) an answer.
    pub fault: Option<Fault>,
}

impl Call {
    pub(super) fn new(request: RecordedRequest, path: String) -> Self {
        Self {
            operation: None,
            request,
            path,
            params: BTreeMap::new(),
            body: None,
            authenticated: None,
            status: None,
            error: None,
            answered_by: AnsweredBy::Pending,
            fault: None,
        }
    }

    /// The path parameter `name` as the handler gets it, e.g. `call.param("reference")`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// The path parameter `name` as a UUID (`organizationID`, `networkID`, ...).
    pub fn uuid(&self, name: &str) -> Option<Uuid> {
        self.param(name).and_then(|id| id.parse().ok())
    }

    /// The request body as `T`, e.g. `call.body_as::<types::NetworkV2Create>()`.
    ///
    /// # Errors
    /// When the call has no body, or it is not a `T`.
    pub fn body_as<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_value(self.body.clone().unwrap_or_default())
    }

    /// The calling service: the common name of the client certificate the platform
    /// authenticated the call as (`None` for a bearer token, or a refused call).
    pub fn caller(&self) -> Option<&str> {
        match &self.authenticated.as_ref()?.caller {
            Caller::System { common_name } => Some(common_name),
            _ => None,
        }
    }

    /// The principal the call was made for, as the platform accepted it.
    pub fn principal(&self) -> Option<&Principal> {
        self.authenticated.as_ref()?.principal.as_ref()
    }

    /// Whether the caller asked to be authorized as the principal (`X-Impersonate: true`), and
    /// the platform took it.
    pub fn impersonated(&self) -> bool {
        self.authenticated.as_ref().is_some_and(|a| a.impersonate)
    }

    /// The trace ID of the caller's `traceparent` (32 hex digits), when it sent one.
    pub fn trace_id(&self) -> Option<&str> {
        platform::caller_trace_id(&self.request)
    }

    /// Whether the platform refused the call before any stub saw it.
    pub fn is_refused(&self) -> bool {
        self.answered_by == AnsweredBy::Platform
    }
}

impl fmt::Display for Call {
    /// One line: operation, method and path, what was answered by whom, and who called for
    /// whom.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.operation {
            Some(operation) => write!(f, "{operation} ")?,
            None => f.write_str("(no operation) ")?,
        }
        write!(f, "{} {} -> ", self.request.method, self.request.uri.path())?;
        match (self.status, &self.fault) {
            (Some(status), None) => write!(f, "{status}")?,
            (Some(status), Some(fault)) => write!(f, "{status} ({fault})")?,
            (None, Some(fault)) => write!(f, "{fault}")?,
            (None, None) => f.write_str("(pending)")?,
        }
        match self.answered_by {
            AnsweredBy::Platform => f.write_str(" by the platform")?,
            AnsweredBy::Stub(number) => write!(f, " by stub #{number}")?,
            AnsweredBy::Model => f.write_str(" by the model")?,
            AnsweredBy::NotStubbed => f.write_str(", not stubbed")?,
            AnsweredBy::Pending => {}
        }
        if let Some(error) = &self.error {
            write!(f, ": {:?}", error.error_description)?;
        }
        if let Some(caller) = self.caller() {
            write!(f, "; caller {caller:?}")?;
        }
        if let Some(principal) = self.principal() {
            write!(
                f,
                ", principal {:?}",
                String::from_utf8_lossy(&principal.to_json())
            )?;
        }
        if self.impersonated() {
            f.write_str(", impersonating")?;
        }
        Ok(())
    }
}
