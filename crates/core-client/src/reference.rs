//! The platform's resource-reference model.
//!
//! A reference names a Kubernetes object that depends on a remote resource, e.g. a Kubernetes
//! cluster that uses a region network: `"{plural}.{group}/{name}"`, such as
//! `kubernetesclusters.kubernetes.unikorn-cloud.org/abc`. The owner of the remote resource stores
//! references as finalizers, so a reference must be a valid Kubernetes qualified name: a DNS
//! subdomain prefix (at most 253 characters), `/`, and a name of at most 63 characters of
//! alphanumerics, `-`, `_` and `.`, starting and ending with an alphanumeric.
//!
//! Objects of the legacy group `unikorn-cloud.org` are referenced under
//! `kubernetes.unikorn-cloud.org`, the group they moved to, so that references made before and
//! after the move agree.
//!
//! ```
//! use core_client::reference::ResourceReference;
//! use k8s_openapi::api::core::v1::ConfigMap;
//!
//! let mut map = ConfigMap::default();
//! map.metadata.name = Some("settings".into());
//! let reference = ResourceReference::for_resource(&map).unwrap();
//! assert_eq!(reference.as_str(), "configmaps/settings");
//! ```

use std::{fmt, str::FromStr};

use kube::Resource;

/// The group whose objects are referenced under [`LEGACY_GROUP_REPLACEMENT`].
pub const LEGACY_GROUP: &str = "unikorn-cloud.org";
/// The group references to [`LEGACY_GROUP`] objects use.
pub const LEGACY_GROUP_REPLACEMENT: &str = "kubernetes.unikorn-cloud.org";

const MAX_PREFIX_LEN: usize = 253;
const MAX_NAME_LEN: usize = 63;

/// A reference could not be made or parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReferenceError {
    /// The object has no `metadata.name` (e.g. it has only a `generateName` so far).
    #[error("the {kind} object has no name")]
    MissingName {
        /// The object's kind.
        kind: String,
    },
    /// The text has no `/` separating the resource type from the name.
    #[error("reference {reference:?} is not of the form \"{{plural}}.{{group}}/{{name}}\"")]
    Malformed {
        /// The text given.
        reference: String,
    },
    /// The `{plural}.{group}` part is not a DNS subdomain.
    #[error("reference prefix {prefix:?} is not a valid DNS subdomain: {reason}")]
    InvalidPrefix {
        /// The prefix.
        prefix: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The name part is not a valid qualified-name name.
    #[error("reference name {name:?} is not a valid qualified name: {reason}")]
    InvalidName {
        /// The name.
        name: String,
        /// What is wrong.
        reason: &'static str,
    },
}

/// A validated reference to a Kubernetes object, `"{plural}.{group}/{name}"`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceReference(String);

impl ResourceReference {
    /// The reference for an object of resource `plural` in `group` (empty for the core group)
    /// called `name`; the legacy group is rewritten.
    pub fn new(plural: &str, group: &str, name: &str) -> Result<Self, ReferenceError> {
        let group = if group == LEGACY_GROUP {
            LEGACY_GROUP_REPLACEMENT
        } else {
            group
        };
        let prefix = if group.is_empty() {
            plural.to_owned()
        } else {
            format!("{plural}.{group}")
        };
        validate_prefix(&prefix)?;
        validate_name(name)?;
        Ok(Self(format!("{prefix}/{name}")))
    }

    /// The reference for a typed object, e.g. a `k8s-openapi` type or a `kube::CustomResource`.
    pub fn for_resource<K>(object: &K) -> Result<Self, ReferenceError>
    where
        K: Resource,
        K::DynamicType: Default,
    {
        Self::for_resource_with(object, &K::DynamicType::default())
    }

    /// The reference for an object whose type is known at run time, e.g. a
    /// `kube::api::DynamicObject` with its `kube::api::ApiResource`.
    pub fn for_resource_with<K: Resource>(
        object: &K,
        dynamic_type: &K::DynamicType,
    ) -> Result<Self, ReferenceError> {
        let name = object
            .meta()
            .name
            .as_deref()
            .filter(|n| !n.is_empty())
            .ok_or_else(|| ReferenceError::MissingName {
                kind: K::kind(dynamic_type).into_owned(),
            })?;
        Self::new(&K::plural(dynamic_type), &K::group(dynamic_type), name)
    }

    /// The reference as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The `{plural}.{group}` part.
    pub fn prefix(&self) -> &str {
        self.0.rsplit_once('/').map_or("", |(prefix, _)| prefix)
    }

    /// The object's name.
    pub fn name(&self) -> &str {
        self.0.rsplit_once('/').map_or("", |(_, name)| name)
    }

    /// The resource's plural name: the `{plural}` part, before the first `.`.
    pub fn plural(&self) -> &str {
        let prefix = self.prefix();
        prefix.split_once('.').map_or(prefix, |(plural, _)| plural)
    }

    /// The API group the object is served under, to find it in the cluster: the `{group}`
    /// part (empty for the core group), with [`LEGACY_GROUP_REPLACEMENT`] read back as
    /// [`LEGACY_GROUP`], where the objects such references were made for live.
    ///
    /// ```
    /// use core_client::reference::ResourceReference;
    ///
    /// let cluster: ResourceReference = "kubernetesclusters.kubernetes.unikorn-cloud.org/abc".parse()?;
    /// assert_eq!(cluster.plural(), "kubernetesclusters");
    /// assert_eq!(cluster.api_group(), "unikorn-cloud.org");
    /// let map: ResourceReference = "configmaps/settings".parse()?;
    /// assert_eq!((map.plural(), map.api_group()), ("configmaps", ""));
    /// # Ok::<(), core_client::reference::ReferenceError>(())
    /// ```
    pub fn api_group(&self) -> &str {
        match self.prefix().split_once('.') {
            Some((_, LEGACY_GROUP_REPLACEMENT)) => LEGACY_GROUP,
            Some((_, group)) => group,
            None => "",
        }
    }
}

impl FromStr for ResourceReference {
    type Err = ReferenceError;

    /// Parses and validates a reference, e.g. one received by a server.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (prefix, name) = s.split_once('/').ok_or_else(|| ReferenceError::Malformed {
            reference: s.to_owned(),
        })?;
        validate_prefix(prefix)?;
        validate_name(name)?;
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Display for ResourceReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for ResourceReference {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

fn validate_prefix(prefix: &str) -> Result<(), ReferenceError> {
    let invalid = |reason| {
        Err(ReferenceError::InvalidPrefix {
            prefix: prefix.to_owned(),
            reason,
        })
    };
    if prefix.is_empty() {
        return invalid("it is empty");
    }
    if prefix.len() > MAX_PREFIX_LEN {
        return invalid("it is longer than 253 characters");
    }
    for label in prefix.split('.') {
        let bytes = label.as_bytes();
        if bytes.is_empty() {
            return invalid("it has an empty label");
        }
        if !bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        {
            return invalid("only lowercase alphanumerics, '-' and '.' are allowed");
        }
        if !bytes[0].is_ascii_alphanumeric() || !bytes[bytes.len() - 1].is_ascii_alphanumeric() {
            return invalid("each label must start and end with an alphanumeric");
        }
    }
    Ok(())
}

fn validate_name(name: &str) -> Result<(), ReferenceError> {
    let invalid = |reason| {
        Err(ReferenceError::InvalidName {
            name: name.to_owned(),
            reason,
        })
    };
    let bytes = name.as_bytes();
    if bytes.is_empty() {
        return invalid("it is empty");
    }
    if bytes.len() > MAX_NAME_LEN {
        return invalid("it is longer than 63 characters");
    }
    if !bytes
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return invalid("only alphanumerics, '-', '_' and '.' are allowed");
    }
    if !bytes[0].is_ascii_alphanumeric() || !bytes[bytes.len() - 1].is_ascii_alphanumeric() {
        return invalid("it must start and end with an alphanumeric");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::Secret;
    use kube::{
        CustomResource,
        api::{ApiResource, DynamicObject, GroupVersionKind},
    };
    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};

    /// A custom resource in the legacy group.
    #[derive(CustomResource, Clone, Debug, Deserialize, Serialize, JsonSchema)]
    #[kube(
        group = "unikorn-cloud.org",
        version = "v1alpha1",
        kind = "KubernetesCluster"
    )]
    struct KubernetesClusterSpec {
        version: String,
    }

    /// A custom resource in a regular group.
    #[derive(CustomResource, Clone, Debug, Deserialize, Serialize, JsonSchema)]
    #[kube(
        group = "compute.unikorn-cloud.org",
        version = "v1alpha1",
        kind = "ComputeCluster"
    )]
    struct ComputeClusterSpec {
        size: u32,
    }

    #[test]
    fn core_group_typed_resource() {
        let mut secret = Secret::default();
        secret.metadata.name = Some("db-password".into());
        let reference = ResourceReference::for_resource(&secret).unwrap();
        assert_eq!(reference.as_str(), "secrets/db-password");
        assert_eq!(reference.prefix(), "secrets");
        assert_eq!(reference.name(), "db-password");
    }

    #[test]
    fn legacy_group_is_rewritten() {
        let cluster = KubernetesCluster::new(
            "abc",
            KubernetesClusterSpec {
                version: "1.30".into(),
            },
        );
        let reference = ResourceReference::for_resource(&cluster).unwrap();
        assert_eq!(
            reference.as_str(),
            "kubernetesclusters.kubernetes.unikorn-cloud.org/abc"
        );
    }

    #[test]
    fn a_reference_names_where_its_object_is_served() {
        let cluster = KubernetesCluster::new(
            "abc",
            KubernetesClusterSpec {
                version: "1.30".into(),
            },
        );
        let reference = ResourceReference::for_resource(&cluster).unwrap();
        // Back to the group the object lives in, as the resource reference was made from it.
        assert_eq!(reference.plural(), "kubernetesclusters");
        assert_eq!(reference.api_group(), KubernetesCluster::group(&()));
        let compute = ResourceReference::for_resource(&ComputeCluster::new(
            "c-1",
            ComputeClusterSpec { size: 3 },
        ))
        .unwrap();
        assert_eq!(compute.plural(), "computeclusters");
        assert_eq!(compute.api_group(), "compute.unikorn-cloud.org");
        let mut secret = Secret::default();
        secret.metadata.name = Some("db-password".into());
        let secret = ResourceReference::for_resource(&secret).unwrap();
        assert_eq!((secret.plural(), secret.api_group()), ("secrets", ""));
    }

    #[test]
    fn other_groups_are_kept() {
        let cluster = ComputeCluster::new("c-1", ComputeClusterSpec { size: 3 });
        assert_eq!(
            ResourceReference::for_resource(&cluster).unwrap().as_str(),
            "computeclusters.compute.unikorn-cloud.org/c-1"
        );
    }

    #[test]
    fn dynamic_object_with_api_resource() {
        let gvk = GroupVersionKind::gvk("unikorn-cloud.org", "v1alpha1", "KubernetesCluster");
        let resource = ApiResource::from_gvk(&gvk);
        let object = DynamicObject::new("xyz", &resource);
        let reference = ResourceReference::for_resource_with(&object, &resource).unwrap();
        assert_eq!(
            reference.as_str(),
            "kubernetesclusters.kubernetes.unikorn-cloud.org/xyz"
        );
    }

    #[test]
    fn missing_name_is_an_error() {
        let secret = Secret::default();
        assert_eq!(
            ResourceReference::for_resource(&secret),
            Err(ReferenceError::MissingName {
                kind: "Secret".into()
            })
        );
    }

    #[test]
    fn names_must_be_qualified_names() {
        let long = "a".repeat(64);
        for (name, expected) in [
            (long.as_str(), "it is longer than 63 characters"),
            ("-leading", "it must start and end with an alphanumeric"),
            (
                "has space",
                "only alphanumerics, '-', '_' and '.' are allowed",
            ),
            ("", "it is empty"),
        ] {
            match ResourceReference::new("networks", "region.unikorn-cloud.org", name) {
                Err(ReferenceError::InvalidName { reason, .. }) => assert_eq!(reason, expected),
                other => panic!("{name:?}: {other:?}"),
            }
        }
        let ok = "a".repeat(63);
        assert!(ResourceReference::new("networks", "", &ok).is_ok());
    }

    #[test]
    fn parse_validates_both_parts() {
        let text = "kubernetesclusters.kubernetes.unikorn-cloud.org/abc";
        assert_eq!(text.parse::<ResourceReference>().unwrap().as_str(), text);
        assert!(matches!(
            "no-slash".parse::<ResourceReference>(),
            Err(ReferenceError::Malformed { .. })
        ));
        assert!(matches!(
            "Upper.Case/abc".parse::<ResourceReference>(),
            Err(ReferenceError::InvalidPrefix { .. })
        ));
        assert!(matches!(
            "a..b/abc".parse::<ResourceReference>(),
            Err(ReferenceError::InvalidPrefix { .. })
        ));
        assert!(matches!(
            "ok.group/a/b".parse::<ResourceReference>(),
            Err(ReferenceError::InvalidName { .. })
        ));
    }
}
