//! The delegated principal: the user on whose behalf a call is made, how it travels in
//! `X-Principal`, and how a receiver reads it back.
//!
//! Two wire forms, as the platform's Go services use them (`UPSTREAM.md` §3, §4):
//!
//! - **API path**: `base64url` without padding of the principal JSON ([`encode`]), plus
//!   `X-Impersonate: true` when the caller asks the receiver to authorize as that user;
//! - **controller path**: a compact JWS with the protected header exactly `{"alg":"PS512"}`,
//!   the principal JSON as payload, signed RSASSA-PSS SHA-512 with the client certificate's RSA
//!   key ([`jws::sign`]); the receiver checks it against the certificate the ingress saw.
//!
//! [`extract`] is the receiver's side: what the platform's middleware does with an inbound
//! request's headers.

mod certificate;
mod extract;
mod json;
pub mod jws;
mod pss;
mod resource;
mod rules;

use std::fmt;

use serde::Serialize;
use uuid::Uuid;

use crate::{Id, InvalidId};

pub use certificate::{
    CertificateError, ForwardedCertificate, escape_certificate, unescape_certificate,
};
pub use extract::{
    Authenticated, Caller, CertificateSource, ExtractError, MAX_HEADER_LEN, PrincipalRefusal,
    extract,
};
pub use json::{DecodeError, decode, encode};
pub use resource::{
    CREATOR_ANNOTATION, CREATOR_PRINCIPAL_ANNOTATION, ORGANIZATION_LABEL,
    ORGANIZATION_PRINCIPAL_LABEL, PRINCIPAL_PREFIX, PROJECT_LABEL, PROJECT_PRINCIPAL_LABEL,
};
pub use rules::{SignerError, check_sendable, check_signable, check_signing_key};

/// The user (or service) on whose behalf a call is made.
///
/// On the wire it is JSON with the platform's field names, in this order, each left out when
/// empty: `organizationId`, `organizationIds`, `projectId`, `type`, `actor`. Decoding is as
/// lenient as the Go services': unknown fields are ignored, `null` reads as empty, key names
/// match case-insensitively, and an account type this crate does not know is kept
/// ([`AccountType::Other`]).
///
/// ```
/// use identity_client::{AccountType, Principal};
///
/// let principal = Principal::new("org-1", "", "alice@example.com")
///     .with_account_type(AccountType::User);
/// assert_eq!(
///     serde_json::to_string(&principal).unwrap(),
///     r#"{"organizationId":"org-1","type":"user","actor":"alice@example.com"}"#
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Principal {
    /// The organization the call acts in (empty when none).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub organization_id: String,
    /// Every organization the actor can access (empty when not known).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub organization_ids: Vec<String>,
    /// The project the call acts in (empty when none).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub project_id: String,
    /// What kind of account the actor is (`type` on the wire; left out when `None` or when its
    /// text is empty, as Go's `omitempty` leaves out an empty `AuthClaimsAcctype`).
    #[serde(rename = "type", skip_serializing_if = "kind_is_empty")]
    pub kind: Option<AccountType>,
    /// Who caused the call: an end user's e-mail, a service's name, ... (empty when unknown).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub actor: String,
}

impl Principal {
    /// A principal with these fields, no organization list and no account type. The IDs are
    /// UUIDs on the platform, given as a [`Uuid`] (written in its canonical form) or as text
    /// (kept as given: the platform does not check them either; pass `""` for an absent one).
    ///
    /// # Example
    ///
    /// ```
    /// # use identity_client::Principal;
    /// # let (organization, project) = (uuid::Uuid::nil(), uuid::Uuid::max());
    /// // IDs as the generated region client holds them...
    /// let p = Principal::new(organization, project, "alice");
    /// assert_eq!(p.organization_id, "00000000-0000-0000-0000-000000000000");
    /// // ...or as labels do.
    /// let p = Principal::new("9a3f1c2e-5b7d-4e0a-8c6f-1d2e3f4a5b6c", "", "alice");
    /// assert!(p.project_id.is_empty());
    /// ```
    pub fn new(organization_id: impl Id, project_id: impl Id, actor: impl Into<String>) -> Self {
        Self {
            organization_id: organization_id.to_text(),
            project_id: project_id.to_text(),
            actor: actor.into(),
            ..Self::default()
        }
    }

    /// Sets the organizations the actor can access ([`Uuid`]s or text, as in
    /// [`Principal::new`]).
    ///
    /// # Example
    ///
    /// ```
    /// # use identity_client::Principal;
    /// let p = Principal::new("o1", "", "alice").with_organization_ids(["o1", "o2"]);
    /// assert_eq!(p.organization_ids, ["o1", "o2"]);
    /// ```
    pub fn with_organization_ids<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Id,
    {
        self.organization_ids = ids.into_iter().map(|id| id.to_text()).collect();
        self
    }

    /// The organization ID as a [`Uuid`], for the generated client's methods; an error naming
    /// the text when it is not one (or is empty).
    ///
    /// # Example
    ///
    /// ```
    /// # use identity_client::Principal;
    /// let p = Principal::new("9a3f1c2e-5b7d-4e0a-8c6f-1d2e3f4a5b6c", "", "alice");
    /// assert_eq!(p.organization_uuid()?.to_string(), "9a3f1c2e-5b7d-4e0a-8c6f-1d2e3f4a5b6c");
    /// assert!(p.project_uuid().is_err());
    /// # Ok::<(), identity_client::InvalidId>(())
    /// ```
    pub fn organization_uuid(&self) -> Result<Uuid, InvalidId> {
        self.organization_id.to_uuid()
    }

    /// The project ID as a [`Uuid`]; see [`Principal::organization_uuid`].
    pub fn project_uuid(&self) -> Result<Uuid, InvalidId> {
        self.project_id.to_uuid()
    }

    /// Sets the account type.
    ///
    /// # Example
    ///
    /// ```
    /// # use identity_client::{AccountType, Principal};
    /// let p = Principal::new("", "", "compute").with_account_type(AccountType::Service);
    /// assert_eq!(p.kind, Some(AccountType::Service));
    /// ```
    pub fn with_account_type(mut self, kind: AccountType) -> Self {
        self.kind = Some(kind);
        self
    }

    /// Whether every field is empty: such a principal asserts nothing and is never sent.
    ///
    /// An account type whose text is empty (`AccountType::Other("")`) counts as empty: it is
    /// not written on the wire, so the receiver could not tell it from no type at all.
    pub fn is_empty(&self) -> bool {
        self.organization_id.is_empty()
            && self.organization_ids.is_empty()
            && self.project_id.is_empty()
            && kind_is_empty(&self.kind)
            && self.actor.is_empty()
    }

    /// The principal as JSON, exactly as the Go services write it.
    pub fn to_json(&self) -> Vec<u8> {
        // Serializing strings, a list of strings and an enum of strings cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// Whether `kind` writes nothing: none, or a value whose text is empty.
fn kind_is_empty(kind: &Option<AccountType>) -> bool {
    kind.as_ref().is_none_or(|kind| kind.as_str().is_empty())
}

/// The kind of account a principal's actor is (the platform's `AuthClaimsAcctype`).
///
/// A value this crate does not know (a newer platform) is kept as [`AccountType::Other`] and
/// sent back unchanged.
///
/// ```
/// use identity_client::AccountType;
///
/// assert_eq!(AccountType::from("service"), AccountType::Service);
/// assert_eq!(AccountType::from("robot").as_str(), "robot");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AccountType {
    /// `system`: a platform service authenticated by its client certificate.
    System,
    /// `service`: a service account.
    Service,
    /// `user`: an end user.
    User,
    /// Any other value, kept verbatim.
    Other(String),
}

impl AccountType {
    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            Self::System => "system",
            Self::Service => "service",
            Self::User => "user",
            Self::Other(other) => other,
        }
    }
}

impl From<&str> for AccountType {
    fn from(value: &str) -> Self {
        match value {
            "system" => Self::System,
            "service" => Self::Service,
            "user" => Self::User,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for AccountType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for AccountType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A principal could not be derived from a resource, or must not be sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrincipalError {
    /// The resource has no labels at all, so it was not created through the platform's API
    /// (which always labels organization and project): its metadata is inconsistent.
    #[error("consistency error: resource {resource} has no labels")]
    NoLabels {
        /// `namespace/name` of the resource (as far as known).
        resource: String,
    },
    /// The resource has no annotations at all, so its creator is unknown: its metadata is
    /// inconsistent.
    #[error("consistency error: resource {resource} has no annotations")]
    NoAnnotations {
        /// `namespace/name` of the resource (as far as known).
        resource: String,
    },
    /// The principal is [empty](Principal::is_empty): it would assert nothing about whom the
    /// call is for, which is always a bug upstream of the call, so it is never sent
    /// ([`check_sendable`]).
    #[error("the principal is empty (no organization, project, type or actor)")]
    Empty,
    /// The call asks to be authorized as the principal (`X-Impersonate: true`), and the
    /// principal names no actor: the platform refuses that with 400 "principal propagation
    /// failure", so it is never sent ([`check_sendable`]). Set the actor, or do not ask for
    /// impersonation.
    #[error("impersonation asked for a principal with no actor")]
    ImpersonationWithoutActor,
}

impl PrincipalError {
    /// Whether this is a consistency error in the resource's metadata.
    pub fn is_consistency_error(&self) -> bool {
        matches!(self, Self::NoLabels { .. } | Self::NoAnnotations { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_follows_the_go_field_order_and_omits_empty_fields() {
        let full = Principal::new("o", "p", "a")
            .with_organization_ids(["o", "o2"])
            .with_account_type(AccountType::User);
        assert_eq!(
            String::from_utf8(full.to_json()).unwrap(),
            r#"{"organizationId":"o","organizationIds":["o","o2"],"projectId":"p","type":"user","actor":"a"}"#
        );
        assert_eq!(Principal::default().to_json(), b"{}");
        assert!(Principal::default().is_empty());
        assert!(!Principal::new("", "", "a").is_empty());
    }

    /// Found by fuzzing (`principal_json`, input `1~`): `AccountType::Other("")` was written
    /// as `"type":""`, which Go leaves out and which reads back as no type, so a principal
    /// asserting nothing was not [`Principal::is_empty`] and would have been sent.
    #[test]
    fn an_empty_account_type_is_not_written_and_asserts_nothing() {
        let empty_kind = || AccountType::Other(String::new());
        let nothing = Principal::default().with_account_type(empty_kind());
        assert!(nothing.is_empty());
        assert_eq!(nothing.to_json(), b"{}");
        assert_eq!(
            super::decode(&super::encode(&nothing)).unwrap(),
            Principal::default()
        );
        let actor = Principal::new("", "", "a").with_account_type(empty_kind());
        assert!(!actor.is_empty());
        assert_eq!(actor.to_json(), br#"{"actor":"a"}"#);
    }

    #[test]
    fn unknown_account_types_are_kept() {
        for known in [AccountType::System, AccountType::Service, AccountType::User] {
            assert_eq!(AccountType::from(known.as_str()), known);
        }
        let other = AccountType::from("robot");
        assert_eq!(other, AccountType::Other("robot".into()));
        assert_eq!(other.to_string(), "robot");
    }
}
