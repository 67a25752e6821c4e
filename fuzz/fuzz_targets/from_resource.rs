//! `Principal::from_resource` on arbitrary label and annotation maps (the principal keys and
//! their `principal.`-prefixed twins among arbitrary others), namespace and name.
//!
//! Beyond "no panic":
//! - the result is the platform's `FromResource`: each field from the `principal.` twin when
//!   present (even empty), else from the base key, else empty; no type, no organization list;
//! - no labels or no annotations at all (absent, not empty) is a consistency error naming
//!   `namespace/name`;
//! - the principal travels: `decode(encode(p)) == p`.
#![no_main]

use std::collections::BTreeMap;

use fuzz::inputs::{Key, ResourceInput};
use identity_client::{Principal, PrincipalError, principal};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use libfuzzer_sys::fuzz_target;

fn map(entries: &Option<Vec<(Key<'_>, &str)>>) -> Option<BTreeMap<String, String>> {
    entries.as_ref().map(|entries| {
        entries
            .iter()
            .map(|(key, value)| (key.as_str().to_owned(), (*value).to_owned()))
            .collect()
    })
}

/// A field as the platform reads it: the twin if present, else the base key, else "".
fn pick(map: &BTreeMap<String, String>, base: Key<'_>, twin: Key<'_>) -> String {
    map.get(twin.as_str())
        .or_else(|| map.get(base.as_str()))
        .cloned()
        .unwrap_or_default()
}

fuzz_target!(|input: ResourceInput<'_>| {
    let meta = ObjectMeta {
        namespace: input.namespace.map(str::to_owned),
        name: input.name.map(str::to_owned),
        labels: map(&input.labels),
        annotations: map(&input.annotations),
        ..ObjectMeta::default()
    };
    let resource = format!(
        "{}/{}",
        input.namespace.unwrap_or_default(),
        input.name.unwrap_or_default()
    );
    let result = Principal::from_resource(&meta);
    match (&result, &meta.labels, &meta.annotations) {
        (Ok(found), Some(labels), Some(annotations)) => {
            let expected = Principal::new(
                pick(labels, Key::Organization, Key::OrganizationPrincipal),
                pick(labels, Key::Project, Key::ProjectPrincipal),
                pick(annotations, Key::Creator, Key::CreatorPrincipal),
            );
            assert_eq!(found, &expected);
            assert!(found.kind.is_none() && found.organization_ids.is_empty());
            let back = principal::decode(&principal::encode(found)).expect("decodes");
            assert_eq!(&back, found);
        }
        (Err(error @ PrincipalError::NoLabels { resource: named }), None, _)
        | (Err(error @ PrincipalError::NoAnnotations { resource: named }), Some(_), None) => {
            assert_eq!(named, &resource);
            assert!(error.is_consistency_error());
            assert!(error.to_string().contains(&resource));
        }
        (result, labels, annotations) => {
            panic!("{result:?} for labels {labels:?}, annotations {annotations:?}")
        }
    }
});
