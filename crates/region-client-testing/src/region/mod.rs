//! A region API fake that answers as the platform's region server v1.19.0 does, behind the
//! platform's ingress: all 74 operations routed by the operation table, every call refused
//! exactly where the platform refuses it, and answered by the test's stubs.
//!
//! Each request goes through the Go server's pipeline, in its order: the
//! [ingress](crate::ingress), route resolution ([`OperationId::resolve`]), path parameter
//! binding, authentication and the principal
//! ([`identity_client::principal::extract`]), the request body against its schema, RBAC;
//! then the answer (see [`RegionApi::on`]):
//!
//! 1. the newest [stub](Stub) that takes the call;
//! 2. else the model: `getVersion` names the release ([`VERSION`]), `listRegions` lists the
//!    one region ([`REGION_ID`]), `getNetworkV2` reads a network
//!    [added](RegionApi::add_network), and the references of a network are kept as the
//!    platform keeps them:
//!
//!    | request | answers |
//!    |---|---|
//!    | `GET /api/version` | 200 `{"name":"region","version":"v1.19.0"}` (authenticated, but no RBAC: `x-no-authorization`) |
//!    | `PUT /api/v2/networks/{networkID}/references/{reference}` | 201 (also when already there), 400 when the network is being deleted, 404 |
//!    | `DELETE /api/v2/networks/{networkID}/references/{reference}` | 204 (also when absent or being deleted), 404 |
//!
//! 3. else `404 not_found`, as the platform answers for a missing resource, with a
//!    description naming the operation and how to stub it.
//!
//! Every call is recorded ([`RegionApi::calls`]): its operation, parameters, body, who called
//! for whom, and the answer. Expectations set on stubs ([`Stubbed::expect`]) are checked
//! when the fake is dropped.
//!
//! Every answer carries the server's `Date`, which [`RegionApi::set_clock_offset`] can put off
//! the true time, as a server whose clock is wrong.

mod answer;
mod body;
mod call;
mod clock;
mod expectations;
mod model;
mod pipeline;
mod registered;
mod state;
mod stub;
mod times;

use std::sync::Arc;

use identity_client::Id;
use region_openapi::OperationId;
use uuid::Uuid;

pub use answer::{Answer, Fault};
pub use call::{AnsweredBy, Call};
pub use expectations::Unmet;
pub(crate) use model::network_json;
pub use model::{REGION_ID, VERSION, region};
pub use stub::{Stub, Stubbed};
pub use times::Times;

use crate::{
    pki::{Ca, Leaf},
    server::{Protocol, TestServer},
};
use state::Shared;

/// A running region API fake behind the platform's ingress; stops when dropped, and then
/// checks the stubs' expectations (see [`RegionApi::verify`]).
pub struct RegionApi {
    server: TestServer,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for RegionApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegionApi")
            .field("url", &self.url())
            .finish_non_exhaustive()
    }
}

impl RegionApi {
    /// Starts the fake presenting `certificate`; its ingress accepts client certificates
    /// issued by `client_ca` (and clients with none, which the middleware then refuses), and
    /// speaks HTTP/2 and HTTP/1.1.
    pub async fn start(certificate: &Leaf, client_ca: &Ca) -> Self {
        Self::start_with(certificate, client_ca, Protocol::Both).await
    }

    /// Like [`RegionApi::start`], offering HTTP/1.1 only (an ingress that does not speak h2).
    pub async fn start_http1(certificate: &Leaf, client_ca: &Ca) -> Self {
        Self::start_with(certificate, client_ca, Protocol::Http1).await
    }

    /// Like [`RegionApi::start`], speaking the HTTP versions of `protocol`.
    pub async fn start_with(certificate: &Leaf, client_ca: &Ca, protocol: Protocol) -> Self {
        let shared = Arc::new(Shared::new());
        let handler_shared = shared.clone();
        let server = TestServer::builder(certificate)
            .optional_client_cert(client_ca)
            .protocol(protocol)
            .async_handler(move |request| pipeline::serve(handler_shared.clone(), request))
            .start()
            .await;
        Self { server, shared }
    }

    /// The base URL.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The TLS server in front, the ingress: requests as they arrived on the wire, handshakes,
    /// and which client certificates it trusts ([`TestServer::set_client_ca`],
    /// [`TestServer::set_revocation_lists`]).
    pub fn server(&self) -> &TestServer {
        &self.server
    }

    /// Starts a stub for `operation`; see [`Stub`].
    ///
    /// ```no_run
    /// # async fn demo(region: &region_client_testing::region::RegionApi, network: serde_json::Value) {
    /// use region_openapi::OperationId;
    /// use region_client_testing::region::Fault;
    ///
    /// // Every getNetworkV2 answers 200 with `network`; the test fails unless exactly one came.
    /// region.on(OperationId::GetNetworkV2).respond(200, &network).expect(1);
    /// // The next listRegions meets a 503 from the ingress; later ones the model again.
    /// region.on(OperationId::ListRegions).times(1).fail(Fault::status(503));
    /// # }
    /// ```
    pub fn on(&self, operation: OperationId) -> Stub {
        Stub::new(self.shared.clone(), operation)
    }

    /// Every call the region API received, in order, as it saw and answered it.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.state().calls.clone()
    }

    /// Waits until at least `count` calls were answered (or dropped) and recorded (the test's
    /// own timeout bounds the wait), for a test that acts at a point of its traffic without
    /// sleeping.
    pub async fn wait_for_calls(&self, count: usize) {
        let mut recorded = self.shared.recorded.subscribe();
        // The sender lives as long as `self`, so the wait ends only by reaching `count`.
        let _ = recorded.wait_for(|calls| *calls >= count).await;
    }

    /// Creates network `id` in organization `organization_id` and project `project_id`, with
    /// no references: `getNetworkV2` reads it, and references can be added to it.
    ///
    /// # Panics
    /// When an ID is not a UUID.
    #[track_caller]
    pub fn add_network(&self, id: impl Id, organization_id: impl Id, project_id: impl Id) {
        let (id, organization_id, project_id) = (uuid(id), uuid(organization_id), uuid(project_id));
        self.shared
            .state()
            .model
            .add_network(id, organization_id, project_id);
    }

    /// Marks network `id` as being deleted: adding references is then refused with 400.
    ///
    /// # Panics
    /// When `id` is not a UUID.
    #[track_caller]
    pub fn mark_deleting(&self, id: impl Id) {
        let id = uuid(id);
        self.shared.state().model.mark_deleting(id);
    }

    /// The references held on network `id`, sorted, as the handler decoded them (a reference
    /// sent as `a.b%252Fc` is held as `a.b/c`).
    ///
    /// # Panics
    /// When `id` is not a UUID.
    #[track_caller]
    pub fn references(&self, id: impl Id) -> Vec<String> {
        let id = uuid(id);
        self.shared.state().model.references(id)
    }

    /// Makes RBAC deny every operation to principals whose actor is `actor` (403).
    pub fn forbid(&self, actor: &str) {
        self.shared.state().forbidden.insert(actor.to_owned());
    }

    /// Puts the server's clock `seconds` ahead of the true time (behind when negative): the
    /// `Date` of every answer says so from then on, as a region API on a node whose time
    /// synchronisation failed.
    ///
    /// ```no_run
    /// # async fn demo(region: &region_client_testing::region::RegionApi) {
    /// region.set_clock_offset(-300); // five minutes slow
    /// # }
    /// ```
    pub fn set_clock_offset(&self, seconds: i64) {
        self.shared.state().clock_offset = seconds;
    }

    /// Makes the bearer token `token` valid, for the user `subject`.
    pub fn accept_token(&self, token: &str, subject: &str) {
        self.shared
            .state()
            .tokens
            .insert(token.to_owned(), subject.to_owned());
    }

    /// Checks the stubs' expectations now: `Err` with a readable report when a stub did not
    /// take as many calls as it expects, or a stub went wrong while answering (panicked, or
    /// answered what the platform cannot).
    pub fn check(&self) -> Result<(), Unmet> {
        expectations::check(&self.shared)
    }

    /// Checks the stubs' expectations now, as dropping the fake does.
    ///
    /// # Panics
    /// With the report of [`RegionApi::check`] when they are not met.
    #[track_caller]
    pub fn verify(&self) {
        if let Err(unmet) = self.check() {
            panic!("{unmet}");
        }
    }
}

impl Drop for RegionApi {
    /// Checks the expectations, unless the test is already failing (a second panic would abort
    /// the test run and hide the first).
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.verify();
        }
    }
}

/// `id` as a UUID, for the model's setters.
#[track_caller]
fn uuid(id: impl Id) -> Uuid {
    match id.to_uuid() {
        Ok(id) => id,
        Err(error) => panic!("network, organization and project IDs are UUIDs: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unauthenticated_operation_is_the_well_known_document() {
        let spec = OperationId::GetOpenidProtectedResource.spec();
        assert_eq!(spec.path, "/.well-known/openid-protected-resource");
    }
}
