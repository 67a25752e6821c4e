//! Resources as a controller reconciles them: the principal persisted in their labels and
//! annotations, as the platform writes it (`Principal::from_resource` reads it back).

use identity_client::{
    Principal,
    principal::{CREATOR_ANNOTATION, ORGANIZATION_LABEL, PROJECT_LABEL},
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// Persists `principal` on a resource's `meta` as the platform does when a user creates it:
/// label `unikorn-cloud.org/organization`, label `unikorn-cloud.org/project`, annotation
/// `unikorn-cloud.org/creator`. A controller's `controller_client(&resource)` then acts for
/// that principal.
///
/// ```
/// use identity_client::Principal;
/// use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
/// use region_client_testing::persist_principal;
///
/// let alice = Principal::new("org-1", "proj-1", "alice@example.com");
/// let mut meta = ObjectMeta::default();
/// persist_principal(&mut meta, &alice);
/// assert_eq!(Principal::from_resource(&meta).unwrap(), alice);
/// ```
pub fn persist_principal(meta: &mut ObjectMeta, principal: &Principal) {
    let labels = meta.labels.get_or_insert_default();
    labels.insert(
        ORGANIZATION_LABEL.to_owned(),
        principal.organization_id.clone(),
    );
    labels.insert(PROJECT_LABEL.to_owned(), principal.project_id.clone());
    meta.annotations
        .get_or_insert_default()
        .insert(CREATOR_ANNOTATION.to_owned(), principal.actor.clone());
}
