//! The delegated principal: the end user on whose behalf a call is made, and its signed wire
//! form (the `X-Principal` compact JWS, see [`sign`] and [`verify`]).

mod jws;

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

pub use jws::{
    Algorithm, CLOCK_SKEW, PRINCIPAL_LIFETIME, SignError, VerifiedPrincipal, VerifyError, sign,
    sign_at, thumbprint, verify, verify_at,
};

/// Label holding a resource's organization ID.
pub const ORGANIZATION_LABEL: &str = "unikorn-cloud.org/organization";
/// Label holding a resource's project ID.
pub const PROJECT_LABEL: &str = "unikorn-cloud.org/project";
/// Annotation holding the user who created a resource.
pub const CREATOR_ANNOTATION: &str = "unikorn-cloud.org/creator";
/// Label overriding [`ORGANIZATION_LABEL`] as the principal's organization.
pub const ORGANIZATION_PRINCIPAL_LABEL: &str = "unikorn-cloud.org/organization-principal";
/// Label overriding [`PROJECT_LABEL`] as the principal's project.
pub const PROJECT_PRINCIPAL_LABEL: &str = "unikorn-cloud.org/project-principal";
/// Annotation overriding [`CREATOR_ANNOTATION`] as the principal's actor.
pub const CREATOR_PRINCIPAL_ANNOTATION: &str = "unikorn-cloud.org/creator-principal";

/// The end user on whose behalf a call is made.
///
/// On the wire (inside the signed `X-Principal` header) it is JSON in camelCase
/// (`organizationId`, `projectId`, `actor`); empty fields are omitted.
///
/// ```
/// use identity_client::Principal;
///
/// let principal = Principal::new("org-1", "", "alice@example.com");
/// assert_eq!(
///     serde_json::to_string(&principal).unwrap(),
///     r#"{"organizationId":"org-1","actor":"alice@example.com"}"#
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Principal {
    /// The organization the call acts in (empty when none).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub organization_id: String,
    /// The project the call acts in (empty when none).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub project_id: String,
    /// The user (or service) that caused the call (empty when unknown).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub actor: String,
}

/// A principal could not be derived from a resource, or holds a value that cannot travel.
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
    /// The principal has no organization, project or actor: it would assert nothing, so it is
    /// never signed or sent.
    #[error("the principal is empty (no organization, project or actor)")]
    Empty,
    /// A principal field contains a control character (CR, LF, ...), which no real ID has; it
    /// is refused rather than signed.
    #[error("principal field `{field}` contains a control character")]
    ControlCharacter {
        /// `organizationId`, `projectId` or `actor`.
        field: &'static str,
    },
}

impl PrincipalError {
    /// Whether this is a consistency error in the resource's metadata.
    pub fn is_consistency_error(&self) -> bool {
        matches!(self, Self::NoLabels { .. } | Self::NoAnnotations { .. })
    }
}

impl Principal {
    /// A principal with these fields (pass `""` for an absent one).
    pub fn new(
        organization_id: impl Into<String>,
        project_id: impl Into<String>,
        actor: impl Into<String>,
    ) -> Self {
        Self {
            organization_id: organization_id.into(),
            project_id: project_id.into(),
            actor: actor.into(),
        }
    }

    /// Reconstructs the principal persisted on a Kubernetes resource (the controller path).
    ///
    /// - organization: label [`ORGANIZATION_LABEL`], overridden by
    ///   [`ORGANIZATION_PRINCIPAL_LABEL`] when present;
    /// - project: label [`PROJECT_LABEL`], overridden by [`PROJECT_PRINCIPAL_LABEL`];
    /// - actor: annotation [`CREATOR_ANNOTATION`], overridden by
    ///   [`CREATOR_PRINCIPAL_ANNOTATION`].
    ///
    /// A resource with no labels or no annotations at all is a consistency error
    /// ([`PrincipalError::is_consistency_error`]); a missing individual key leaves that field
    /// empty.
    ///
    /// ```
    /// use identity_client::Principal;
    /// use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    ///
    /// let meta = ObjectMeta {
    ///     labels: Some([
    ///         ("unikorn-cloud.org/organization".to_owned(), "org-1".to_owned()),
    ///         ("unikorn-cloud.org/project".to_owned(), "proj-1".to_owned()),
    ///     ].into()),
    ///     annotations: Some([
    ///         ("unikorn-cloud.org/creator".to_owned(), "alice".to_owned()),
    ///     ].into()),
    ///     ..Default::default()
    /// };
    /// assert_eq!(
    ///     Principal::from_resource(&meta).unwrap(),
    ///     Principal::new("org-1", "proj-1", "alice")
    /// );
    /// ```
    pub fn from_resource(meta: &ObjectMeta) -> Result<Self, PrincipalError> {
        let resource = || {
            format!(
                "{}/{}",
                meta.namespace.as_deref().unwrap_or(""),
                meta.name.as_deref().unwrap_or("")
            )
        };
        let labels = match &meta.labels {
            Some(labels) if !labels.is_empty() => labels,
            _ => {
                return Err(PrincipalError::NoLabels {
                    resource: resource(),
                });
            }
        };
        let annotations = match &meta.annotations {
            Some(annotations) if !annotations.is_empty() => annotations,
            _ => {
                return Err(PrincipalError::NoAnnotations {
                    resource: resource(),
                });
            }
        };
        let pick = |map: &BTreeMap<String, String>, base: &str, over: &str| {
            map.get(over)
                .or_else(|| map.get(base))
                .cloned()
                .unwrap_or_default()
        };
        Ok(Self {
            organization_id: pick(labels, ORGANIZATION_LABEL, ORGANIZATION_PRINCIPAL_LABEL),
            project_id: pick(labels, PROJECT_LABEL, PROJECT_PRINCIPAL_LABEL),
            actor: pick(
                annotations,
                CREATOR_ANNOTATION,
                CREATOR_PRINCIPAL_ANNOTATION,
            ),
        })
    }

    /// Whether every field is empty.
    pub fn is_empty(&self) -> bool {
        self.organization_id.is_empty() && self.project_id.is_empty() && self.actor.is_empty()
    }

    /// Checks that the principal can travel: not [empty](Self::is_empty), and no field contains
    /// a control character.
    pub fn validate(&self) -> Result<(), PrincipalError> {
        if self.is_empty() {
            return Err(PrincipalError::Empty);
        }
        for (field, value) in [
            ("organizationId", &self.organization_id),
            ("projectId", &self.project_id),
            ("actor", &self.actor),
        ] {
            if value.chars().any(char::is_control) {
                return Err(PrincipalError::ControlCharacter { field });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: &[(&str, &str)]) -> Option<BTreeMap<String, String>> {
        Some(
            entries
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    fn meta(
        labels: Option<BTreeMap<String, String>>,
        annotations: Option<BTreeMap<String, String>>,
    ) -> ObjectMeta {
        ObjectMeta {
            name: Some("cluster-a".into()),
            namespace: Some("ns".into()),
            labels,
            annotations,
            ..Default::default()
        }
    }

    #[test]
    fn from_resource_reads_labels_and_annotation() {
        let m = meta(
            map(&[(ORGANIZATION_LABEL, "org"), (PROJECT_LABEL, "proj")]),
            map(&[(CREATOR_ANNOTATION, "alice")]),
        );
        assert_eq!(
            Principal::from_resource(&m).unwrap(),
            Principal::new("org", "proj", "alice")
        );
    }

    #[test]
    fn overrides_win_when_present() {
        let m = meta(
            map(&[
                (ORGANIZATION_LABEL, "org"),
                (PROJECT_LABEL, "proj"),
                (ORGANIZATION_PRINCIPAL_LABEL, "org-p"),
                (PROJECT_PRINCIPAL_LABEL, "proj-p"),
            ]),
            map(&[
                (CREATOR_ANNOTATION, "alice"),
                (CREATOR_PRINCIPAL_ANNOTATION, "bob"),
            ]),
        );
        assert_eq!(
            Principal::from_resource(&m).unwrap(),
            Principal::new("org-p", "proj-p", "bob")
        );
        // Only one override: the others keep the base keys.
        let m = meta(
            map(&[(ORGANIZATION_LABEL, "org"), (PROJECT_PRINCIPAL_LABEL, "pp")]),
            map(&[("other", "x")]),
        );
        assert_eq!(
            Principal::from_resource(&m).unwrap(),
            Principal::new("org", "pp", "")
        );
    }

    #[test]
    fn no_labels_or_annotations_is_a_consistency_error() {
        let err = Principal::from_resource(&meta(None, map(&[("a", "b")]))).unwrap_err();
        assert!(
            matches!(err, PrincipalError::NoLabels { ref resource } if resource == "ns/cluster-a")
        );
        assert!(err.is_consistency_error());
        let err = Principal::from_resource(&meta(map(&[]), map(&[("a", "b")]))).unwrap_err();
        assert!(matches!(err, PrincipalError::NoLabels { .. }));
        let err =
            Principal::from_resource(&meta(map(&[(ORGANIZATION_LABEL, "o")]), None)).unwrap_err();
        assert!(matches!(err, PrincipalError::NoAnnotations { .. }));
        assert!(err.to_string().contains("consistency"), "{err}");
    }

    #[test]
    fn json_is_camel_case_and_omits_empty_fields() {
        let p = Principal::new("o", "p", "a");
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            serde_json::json!({"organizationId": "o", "projectId": "p", "actor": "a"})
        );
        assert_eq!(serde_json::to_string(&Principal::default()).unwrap(), "{}");
        let back: Principal = serde_json::from_str(r#"{"projectId":"p"}"#).unwrap();
        assert_eq!(back, Principal::new("", "p", ""));
    }

    #[test]
    fn control_characters_are_refused() {
        assert!(Principal::new("o", "p", "a").validate().is_ok());
        let err = Principal::new("o", "p\r\nX-Evil: 1", "a")
            .validate()
            .unwrap_err();
        assert!(matches!(
            err,
            PrincipalError::ControlCharacter { field: "projectId" }
        ));
        assert!(matches!(
            Principal::default().validate(),
            Err(PrincipalError::Empty)
        ));
        assert!(Principal::new("", "", "a").validate().is_ok());
    }
}
