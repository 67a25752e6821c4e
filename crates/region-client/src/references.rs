//! [`References`]: register and release dependencies on region networks, as the platform's Go
//! helper does on the wire.

use core_client::{
    path_escape,
    reference::{ReferenceError, ResourceReference},
};
use http::StatusCode;
use identity_client::Id;
use region_openapi::{StatusError, types, uuid::Uuid};

/// The operation a [`ReferencesError`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReferenceOperation {
    /// `PUT /api/v2/networks/{networkID}/references/{reference}`.
    Add,
    /// `DELETE /api/v2/networks/{networkID}/references/{reference}`.
    Remove,
}

/// A reference could not be added or removed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReferencesError {
    /// The network ID, given as text, is not a UUID (in any form Go's `uuid.Parse` accepts).
    /// Nothing was sent.
    #[error("network ID {network_id:?} is not a UUID")]
    InvalidNetworkId {
        /// The ID as given.
        network_id: String,
        /// Why it does not parse.
        #[source]
        source: region_openapi::uuid::Error,
    },
    /// The resource cannot be referenced (no name, or not a valid qualified name). Nothing was
    /// sent.
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    /// The region API answered with anything but the operation's success (201 for add, 204
    /// for remove): 404 for an unknown network, 400 when adding to a network being deleted,
    /// 403 when not allowed, ... The answer (status, headers, the platform's error body, the
    /// number of attempts) is the source. When the request was sent more than once, or the
    /// answer came from a gateway, the message says the operation
    /// [may have been applied](ReferencesError::may_have_been_applied).
    #[error(
        "region API answered {} to {operation:?} reference on network {network_id}{}{}",
        .answer.status(),
        describe(.answer),
        applied_note(*.operation, Some(.answer.attempts()), status_may_have_been_applied(.answer))
    )]
    Status {
        /// Add or remove.
        operation: ReferenceOperation,
        /// The network.
        network_id: Uuid,
        /// The answer.
        #[source]
        answer: Box<StatusError>,
    },
    /// The request could not be sent or its answer read (the cause says why). When it was sent
    /// more than once, or timed out, the message says the operation
    /// [may have been applied](ReferencesError::may_have_been_applied).
    #[error(
        "{operation:?} reference on network {network_id} failed{}",
        applied_note(*.operation, request_attempts(.source), request_may_have_been_applied(.source))
    )]
    Request {
        /// Add or remove.
        operation: ReferenceOperation,
        /// The network.
        network_id: Uuid,
        /// The cause.
        #[source]
        source: region_openapi::Error,
    },
}

/// The region handler's description of its refusal to add a reference to a network being
/// deleted (region v1.19.0, `ReferenceCreateV2`).
const BEING_DELETED: &str = "unable to add reference, resource is being deleted";

fn describe(answer: &StatusError) -> String {
    answer
        .error_body()
        .map(|b| format!(": {}", b.error_description))
        .unwrap_or_default()
}

/// Whether the operation answered with `answer` may have taken effect: an earlier attempt
/// may have (the request was sent more than once), or a gateway answered for the region
/// service (`502`, `504`), which may have acted after all.
fn status_may_have_been_applied(answer: &StatusError) -> bool {
    answer.attempts() > 1
        || matches!(
            answer.status(),
            StatusCode::BAD_GATEWAY | StatusCode::GATEWAY_TIMEOUT
        )
}

/// How many times a request that failed with `error` was sent, when known.
fn request_attempts(error: &region_openapi::Error) -> Option<u32> {
    match error {
        region_openapi::Error::Http(error) => error.attempts(),
        _ => None,
    }
}

/// Whether an operation that failed with `error` may have taken effect: it was sent more than
/// once, or it timed out after being sent.
fn request_may_have_been_applied(error: &region_openapi::Error) -> bool {
    match error {
        region_openapi::Error::Http(error) => {
            error.attempts().is_some_and(|attempts| attempts > 1) || error.is_timeout()
        }
        _ => false,
    }
}

/// ` (after N attempts; the reference may have been added)`, or nothing when it was not.
fn applied_note(operation: ReferenceOperation, attempts: Option<u32>, applied: bool) -> String {
    if !applied {
        return String::new();
    }
    let done = match operation {
        ReferenceOperation::Add => "added",
        ReferenceOperation::Remove => "removed",
    };
    match attempts {
        Some(1) => format!(" (after 1 attempt; the reference may have been {done})"),
        Some(attempts) => {
            format!(" (after {attempts} attempts; the reference may have been {done})")
        }
        None => format!(" (the reference may have been {done})"),
    }
}

impl ReferencesError {
    /// The HTTP status, when the region API answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Status { answer, .. } => Some(answer.status()),
            _ => None,
        }
    }

    /// The platform's error body, when the region API answered with one.
    pub fn error_body(&self) -> Option<&types::Error> {
        match self {
            Self::Status { answer, .. } => answer.error_body(),
            _ => None,
        }
    }

    /// Whether the network does not exist (404), or is not one of the v2 API.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// Whether the network is being deleted and takes no new references: the region handler's
    /// answer to an add, exactly as it writes it (`400`, error code `invalid_request`,
    /// description "unable to add reference, resource is being deleted").
    ///
    /// Every secured route of the platform answers `400` for other reasons too, which this is
    /// not: the principal or the certificate could not be propagated, a path element or the
    /// request did not validate (see [`ReferencesError::error_body`] for which).
    pub fn is_being_deleted(&self) -> bool {
        let Self::Status {
            operation: ReferenceOperation::Add,
            answer,
            ..
        } = self
        else {
            return false;
        };
        answer.status() == StatusCode::BAD_REQUEST
            && answer.error_body().is_some_and(|body| {
                body.error == types::ErrorError::InvalidRequest
                    && body.error_description == BEING_DELETED
            })
    }

    /// Whether the caller is not allowed to manage references on the network (403).
    pub fn is_forbidden(&self) -> bool {
        self.status() == Some(StatusCode::FORBIDDEN)
    }

    /// How many times the request was sent, the first included, when it was sent: more than 1
    /// when the transport retried it (after a `502`/`503`/`504` or a dropped connection).
    pub fn attempts(&self) -> Option<u32> {
        match self {
            Self::Status { answer, .. } => Some(answer.attempts()),
            Self::Request { source, .. } => request_attempts(source),
            _ => None,
        }
    }

    /// Whether the operation may have taken effect although it failed, as far as the client
    /// can tell: the request was sent more than once (an earlier attempt may have been applied
    /// before a later one was refused, e.g. a `504` and then `400` "being deleted"), a gateway
    /// answered for the region service (`502`, `504`), or it timed out after being sent.
    ///
    /// A controller that gets this from an add must not assume the reference is absent: the
    /// network could keep a finalizer that blocks its deletion. Remove the reference (removing
    /// an absent one succeeds) or add it again once the network allows it.
    ///
    /// ```no_run
    /// # async fn demo(
    /// #     references: region_client::References,
    /// #     network: &str,
    /// #     reference: &region_client::ResourceReference,
    /// # ) -> Result<(), region_client::ReferencesError> {
    /// match references.add_network_reference(network, reference).await {
    ///     Ok(()) => {}
    ///     Err(e) if e.may_have_been_applied() => {
    ///         // Leave nothing behind on a network that may be going away.
    ///         references.remove_network_reference(network, reference).await?;
    ///         return Err(e);
    ///     }
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn may_have_been_applied(&self) -> bool {
        match self {
            Self::Status { answer, .. } => status_may_have_been_applied(answer),
            Self::Request { source, .. } => request_may_have_been_applied(source),
            _ => false,
        }
    }
}

/// Adds and removes the references other services hold on region networks.
///
/// A network with references is protected from deletion: a service adds a reference for each
/// of its resources that uses the network and removes it when that resource goes. Both are
/// idempotent, so they suit convergent reconcile loops. On the wire they are exactly the
/// platform's Go helper: the network ID is parsed as a UUID and sent in its lowercase
/// canonical form, the reference is escaped once here and once more as a path segment (`/`
/// travels as `%252F`), and only `201` (add) and `204` (remove) are success; anything else is
/// a [`ReferencesError`], 404 on remove included.
///
/// A network ID is a UUID, taken as a [`Uuid`] (as the generated client's types hold it) or as
/// text (as resource metadata and labels hold it), parsed before anything is sent (see
/// [`Id`]).
///
/// ```no_run
/// # async fn demo(
/// #     region: region_client::Client,
/// #     cluster: k8s_openapi::api::core::v1::ConfigMap,
/// # ) -> Result<(), Box<dyn std::error::Error>> {
/// use region_client::References;
///
/// let references = References::new(region.controller_client(&cluster).await?);
/// let network = "c0a80101-0000-4000-8000-000000000001";
/// match references.add_network_reference_for(network, &cluster).await {
///     Ok(()) => {}
///     Err(e) if e.is_being_deleted() => { /* pick another network */ }
///     Err(e) => return Err(e.into()),
/// }
/// references.remove_network_reference_for(network, &cluster).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct References {
    client: region_openapi::Client,
}

impl References {
    /// References through `client` (from [`Client::api_client`](crate::Client::api_client) or
    /// [`Client::controller_client`](crate::Client::controller_client)).
    pub fn new(client: region_openapi::Client) -> Self {
        Self { client }
    }

    /// Records that `reference` depends on network `network_id`. Adding it again succeeds.
    /// A network being deleted refuses new references ([`ReferencesError::is_being_deleted`]).
    pub async fn add_network_reference(
        &self,
        network_id: impl Id,
        reference: &ResourceReference,
    ) -> Result<(), ReferencesError> {
        let network_id = parse_network_id(&network_id)?;
        let answer = self
            .client
            .add_network_reference(network_id, &path_escape(reference.as_str()))
            .await;
        settle(ReferenceOperation::Add, network_id, answer)
    }

    /// Records that `reference` no longer depends on network `network_id`. Removing an absent
    /// reference succeeds; an unknown network is an error ([`ReferencesError::is_not_found`]).
    pub async fn remove_network_reference(
        &self,
        network_id: impl Id,
        reference: &ResourceReference,
    ) -> Result<(), ReferencesError> {
        let network_id = parse_network_id(&network_id)?;
        let answer = self
            .client
            .remove_network_reference(network_id, &path_escape(reference.as_str()))
            .await;
        settle(ReferenceOperation::Remove, network_id, answer)
    }

    /// [`References::add_network_reference`] for the reference of `resource` (see
    /// [`ResourceReference::for_resource`]).
    pub async fn add_network_reference_for<K>(
        &self,
        network_id: impl Id,
        resource: &K,
    ) -> Result<(), ReferencesError>
    where
        K: kube::Resource,
        K::DynamicType: Default,
    {
        let reference = ResourceReference::for_resource(resource)?;
        self.add_network_reference(network_id, &reference).await
    }

    /// [`References::remove_network_reference`] for the reference of `resource`.
    pub async fn remove_network_reference_for<K>(
        &self,
        network_id: impl Id,
        resource: &K,
    ) -> Result<(), ReferencesError>
    where
        K: kube::Resource,
        K::DynamicType: Default,
    {
        let reference = ResourceReference::for_resource(resource)?;
        self.remove_network_reference(network_id, &reference).await
    }
}

/// `network_id` as a UUID: text in any form Go's `uuid.Parse` accepts (canonical,
/// `urn:uuid:`, braced or 32 hex digits, in any case), as the platform's helper parses it.
fn parse_network_id(network_id: &impl Id) -> Result<Uuid, ReferencesError> {
    network_id
        .to_uuid()
        .map_err(|invalid| ReferencesError::InvalidNetworkId {
            network_id: invalid.value,
            source: invalid.source,
        })
}

/// `Ok` exactly on the operation's documented success (201 for add, 204 for remove), as the
/// platform's helper decides; any other answer is [`ReferencesError::Status`].
fn settle<R: region_openapi::ApiResponse<Success = ()>>(
    operation: ReferenceOperation,
    network_id: Uuid,
    answer: Result<region_openapi::ResponseValue<R>, region_openapi::Error>,
) -> Result<(), ReferencesError> {
    match answer.and_then(region_openapi::ResponseValue::into_result) {
        Ok(()) => Ok(()),
        Err(region_openapi::Error::Status(answer)) => Err(ReferencesError::Status {
            operation,
            network_id,
            answer,
        }),
        Err(source) => Err(ReferencesError::Request {
            operation,
            network_id,
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use region_openapi::{AddNetworkReferenceResponse, RemoveNetworkReferenceResponse};

    const NETWORK: &str = "c0a80101-0000-4000-8000-00000000000a";

    /// The error for `operation` answered `status` with `body` (JSON when `json`), decoded as a
    /// call decodes it.
    fn refused(
        operation: ReferenceOperation,
        status: u16,
        json: bool,
        body: &str,
    ) -> ReferencesError {
        let status = StatusCode::from_u16(status).unwrap();
        let mut headers = http::HeaderMap::new();
        if json {
            headers.insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            );
        }
        let network_id = NETWORK.parse().unwrap();
        let body = body.to_owned();
        let result = match operation {
            ReferenceOperation::Add => settle(
                operation,
                network_id,
                region_openapi::ResponseValue::<AddNetworkReferenceResponse>::from_parts(
                    status, headers, body,
                ),
            ),
            ReferenceOperation::Remove => settle(
                operation,
                network_id,
                region_openapi::ResponseValue::<RemoveNetworkReferenceResponse>::from_parts(
                    status, headers, body,
                ),
            ),
        };
        result.unwrap_err()
    }

    /// The platform's error body.
    fn platform(code: &str, description: &str) -> String {
        serde_json::json!({
            "error": code,
            "error_description": description,
            "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
        })
        .to_string()
    }

    #[test]
    fn only_the_handlers_answer_says_the_network_is_being_deleted() {
        use ReferenceOperation::{Add, Remove};
        let being_deleted = platform(
            "invalid_request",
            "unable to add reference, resource is being deleted",
        );
        assert!(refused(Add, 400, true, &being_deleted).is_being_deleted());

        // Every other 400 a secured route of the platform gives (UPSTREAM.md §5).
        for description in [
            // Path binding, before authentication.
            "invalid path/query element",
            // Ssl-Client-Cert not verified by the ingress.
            "certificate propagation failure",
            // X-Principal missing, malformed, badly signed, or impersonated without an actor.
            "principal propagation failure for authentication",
            // The principal read again for the handler.
            "identity info propagation failure",
            // Request validation (kin-openapi's message).
            "parameter \"networkID\" in path has an error: value must be a UUID",
        ] {
            let error = refused(Add, 400, true, &platform("invalid_request", description));
            assert_eq!(error.status(), Some(StatusCode::BAD_REQUEST));
            assert!(!error.is_being_deleted(), "{description}");
        }
        // The description under another code, another status, no JSON body, or a remove.
        for error in [
            refused(
                Add,
                400,
                true,
                &platform(
                    "conflict",
                    "unable to add reference, resource is being deleted",
                ),
            ),
            refused(
                Add,
                404,
                true,
                &platform(
                    "invalid_request",
                    "unable to add reference, resource is being deleted",
                ),
            ),
            refused(
                Add,
                400,
                false,
                "unable to add reference, resource is being deleted",
            ),
            refused(Remove, 400, true, &being_deleted),
        ] {
            assert!(!error.is_being_deleted(), "{error:?}");
        }
    }

    #[test]
    fn network_ids_take_every_form_go_accepts() {
        let canonical = "c0a80101-0000-4000-8000-00000000000a";
        for form in [
            canonical,
            "C0A80101-0000-4000-8000-00000000000A",
            "urn:uuid:c0a80101-0000-4000-8000-00000000000a",
            "{c0a80101-0000-4000-8000-00000000000a}",
            "c0a8010100004000800000000000000a",
        ] {
            assert_eq!(
                parse_network_id(&form).unwrap().to_string(),
                canonical,
                "{form}"
            );
        }
        let uuid: Uuid = canonical.parse().unwrap();
        assert_eq!(parse_network_id(&uuid).unwrap(), uuid);
        assert_eq!(parse_network_id(&canonical.to_owned()).unwrap(), uuid);
        for bad in ["", "net-1", "c0a80101-0000-4000-8000-00000000000", "../x"] {
            assert!(
                matches!(
                    parse_network_id(&bad),
                    Err(ReferencesError::InvalidNetworkId { .. })
                ),
                "{bad}"
            );
        }
    }
}
