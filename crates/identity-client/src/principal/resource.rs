//! [`Principal::from_resource`]: the principal persisted on a Kubernetes resource.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{Principal, PrincipalError};

/// Label holding a resource's organization ID.
pub const ORGANIZATION_LABEL: &str = "unikorn-cloud.org/organization";
/// Label holding a resource's project ID.
pub const PROJECT_LABEL: &str = "unikorn-cloud.org/project";
/// Annotation holding who created a resource.
pub const CREATOR_ANNOTATION: &str = "unikorn-cloud.org/creator";
/// The prefix that turns a label or annotation into its principal twin.
pub const PRINCIPAL_PREFIX: &str = "principal.";
/// Label overriding [`ORGANIZATION_LABEL`] when a service created the resource on a user's
/// behalf in another organization.
pub const ORGANIZATION_PRINCIPAL_LABEL: &str = "principal.unikorn-cloud.org/organization";
/// Label overriding [`PROJECT_LABEL`] as the principal's project.
pub const PROJECT_PRINCIPAL_LABEL: &str = "principal.unikorn-cloud.org/project";
/// Annotation overriding [`CREATOR_ANNOTATION`] as the principal's actor.
pub const CREATOR_PRINCIPAL_ANNOTATION: &str = "principal.unikorn-cloud.org/creator";

impl Principal {
    /// Reconstructs the principal persisted on a Kubernetes resource (the controller path), as
    /// the platform's `FromResource` does:
    ///
    /// - organization: label [`ORGANIZATION_LABEL`], overridden by
    ///   [`ORGANIZATION_PRINCIPAL_LABEL`] when that label is present (even if empty);
    /// - project: label [`PROJECT_LABEL`], overridden by [`PROJECT_PRINCIPAL_LABEL`];
    /// - actor: annotation [`CREATOR_ANNOTATION`], overridden by
    ///   [`CREATOR_PRINCIPAL_ANNOTATION`].
    ///
    /// The account type and organization list are never set. A resource without labels or
    /// without annotations (absent, not merely empty) is a consistency error
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
    ///         ("principal.unikorn-cloud.org/organization".to_owned(), "org-2".to_owned()),
    ///     ].into()),
    ///     annotations: Some([
    ///         ("unikorn-cloud.org/creator".to_owned(), "alice".to_owned()),
    ///     ].into()),
    ///     ..Default::default()
    /// };
    /// assert_eq!(
    ///     Principal::from_resource(&meta).unwrap(),
    ///     Principal::new("org-2", "proj-1", "alice")
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
        let Some(labels) = &meta.labels else {
            return Err(PrincipalError::NoLabels {
                resource: resource(),
            });
        };
        let Some(annotations) = &meta.annotations else {
            return Err(PrincipalError::NoAnnotations {
                resource: resource(),
            });
        };
        let pick = |map: &BTreeMap<String, String>, base: &str, over: &str| {
            map.get(over)
                .or_else(|| map.get(base))
                .cloned()
                .unwrap_or_default()
        };
        Ok(Self::new(
            pick(labels, ORGANIZATION_LABEL, ORGANIZATION_PRINCIPAL_LABEL),
            pick(labels, PROJECT_LABEL, PROJECT_PRINCIPAL_LABEL),
            pick(
                annotations,
                CREATOR_ANNOTATION,
                CREATOR_PRINCIPAL_ANNOTATION,
            ),
        ))
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
    fn override_names_are_the_base_names_with_the_prefix() {
        for (base, over) in [
            (ORGANIZATION_LABEL, ORGANIZATION_PRINCIPAL_LABEL),
            (PROJECT_LABEL, PROJECT_PRINCIPAL_LABEL),
            (CREATOR_ANNOTATION, CREATOR_PRINCIPAL_ANNOTATION),
        ] {
            assert_eq!(format!("{PRINCIPAL_PREFIX}{base}"), over);
        }
    }

    #[test]
    fn reads_labels_and_annotation() {
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
    fn present_overrides_win_even_when_empty() {
        let m = meta(
            map(&[
                (ORGANIZATION_LABEL, "org"),
                (PROJECT_LABEL, "proj"),
                (ORGANIZATION_PRINCIPAL_LABEL, "org-p"),
                (PROJECT_PRINCIPAL_LABEL, ""),
            ]),
            map(&[
                (CREATOR_ANNOTATION, "alice"),
                (CREATOR_PRINCIPAL_ANNOTATION, "bob"),
            ]),
        );
        assert_eq!(
            Principal::from_resource(&m).unwrap(),
            Principal::new("org-p", "", "bob")
        );
    }

    #[test]
    fn absent_labels_or_annotations_are_a_consistency_error_but_empty_ones_are_not() {
        let err = Principal::from_resource(&meta(None, map(&[]))).unwrap_err();
        assert!(
            matches!(err, PrincipalError::NoLabels { ref resource } if resource == "ns/cluster-a")
        );
        assert!(err.is_consistency_error());
        assert!(err.to_string().contains("consistency"), "{err}");
        let err = Principal::from_resource(&meta(map(&[]), None)).unwrap_err();
        assert!(matches!(err, PrincipalError::NoAnnotations { .. }));
        // As in Go: empty maps are consistent, and give an empty principal.
        assert!(
            Principal::from_resource(&meta(map(&[]), map(&[])))
                .unwrap()
                .is_empty()
        );
    }
}
