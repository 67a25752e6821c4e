//! The controller path: the principal is reconstructed from the reconciled resource.

mod common;

use std::{collections::BTreeMap, sync::Arc};

use common::{Fixture, TestApiBuilder};
use identity_client::{
    AccessToken, AccessTokenSource, Error, Principal, PrincipalError, StaticTokenSource,
    controller_client, principal,
};
use k8s_openapi::{api::core::v1::ConfigMap, apimachinery::pkg::apis::meta::v1::ObjectMeta};
use kube::core::{ApiResource, DynamicObject, GroupVersionKind};
use test_support::{KeyEncoding, KeyKind};

fn token() -> Arc<dyn AccessTokenSource> {
    Arc::new(StaticTokenSource::new(AccessToken::new("controller-token")))
}

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
        namespace: Some("org-1-proj-1".into()),
        labels,
        annotations,
        ..Default::default()
    }
}

async fn sent_principal(fixture: &Fixture, api: common::TestApi) -> Principal {
    api.get("/api/v1/regions").await.unwrap();
    let request = fixture.server.requests().pop().unwrap();
    assert_eq!(
        request.header("authorization"),
        Some("Bearer controller-token")
    );
    assert!(request.header("unikorn-client-certificate").is_none());
    principal::verify(
        request.header("x-principal").unwrap(),
        &request.peer_certificates[0],
    )
    .unwrap()
    .principal
}

#[tokio::test]
async fn principal_comes_from_labels_and_annotations() {
    let fixture = Fixture::start().await;
    fixture.client_secret("controller", KeyKind::Rsa, KeyEncoding::Pkcs1);
    let base = fixture.base(Some("controller"));
    let config_map = ConfigMap {
        metadata: meta(
            map(&[
                ("unikorn-cloud.org/organization", "org-1"),
                ("unikorn-cloud.org/project", "proj-1"),
            ]),
            map(&[("unikorn-cloud.org/creator", "alice@example.com")]),
        ),
        ..Default::default()
    };
    let api = controller_client(&base, TestApiBuilder::default(), token(), &config_map)
        .await
        .unwrap();
    assert_eq!(
        sent_principal(&fixture, api).await,
        Principal::new("org-1", "proj-1", "alice@example.com")
    );
}

#[tokio::test]
async fn principal_overrides_win_on_a_dynamic_object() {
    let fixture = Fixture::start().await;
    fixture.client_secret("controller", KeyKind::EcdsaP256, KeyEncoding::Sec1);
    let base = fixture.base(Some("controller"));
    let resource = ApiResource::from_gvk(&GroupVersionKind::gvk(
        "kubernetes.unikorn-cloud.org",
        "v1alpha1",
        "KubernetesCluster",
    ));
    let mut object = DynamicObject::new("cluster-a", &resource);
    object.metadata = meta(
        map(&[
            ("unikorn-cloud.org/organization", "org-1"),
            ("unikorn-cloud.org/project", "proj-1"),
            ("unikorn-cloud.org/organization-principal", "org-delegated"),
            ("unikorn-cloud.org/project-principal", "proj-delegated"),
        ]),
        map(&[
            ("unikorn-cloud.org/creator", "alice@example.com"),
            ("unikorn-cloud.org/creator-principal", "bob@example.com"),
        ]),
    );
    let api = controller_client(&base, TestApiBuilder::default(), token(), &object)
        .await
        .unwrap();
    assert_eq!(
        sent_principal(&fixture, api).await,
        Principal::new("org-delegated", "proj-delegated", "bob@example.com")
    );
}

#[tokio::test]
async fn resource_without_labels_or_annotations_fails_before_any_request() {
    let fixture = Fixture::start().await;
    fixture.client_secret("controller", KeyKind::EcdsaP256, KeyEncoding::Pkcs8);
    let base = fixture.base(Some("controller"));

    let unlabelled = ConfigMap {
        metadata: meta(None, map(&[("unikorn-cloud.org/creator", "alice")])),
        ..Default::default()
    };
    let err = controller_client(&base, TestApiBuilder::default(), token(), &unlabelled)
        .await
        .err()
        .unwrap();
    match &err {
        Error::Principal(inner @ PrincipalError::NoLabels { resource }) => {
            assert!(inner.is_consistency_error());
            assert_eq!(resource, "org-1-proj-1/cluster-a");
        }
        other => panic!("expected NoLabels, got {other:?}"),
    }

    let unannotated = ConfigMap {
        metadata: meta(map(&[("unikorn-cloud.org/organization", "org-1")]), None),
        ..Default::default()
    };
    let err = controller_client(&base, TestApiBuilder::default(), token(), &unannotated)
        .await
        .err()
        .unwrap();
    assert!(matches!(
        err,
        Error::Principal(PrincipalError::NoAnnotations { .. })
    ));

    // Labels and annotations, but none of the principal keys: nothing to act for.
    let unrelated = ConfigMap {
        metadata: meta(map(&[("app", "x")]), map(&[("note", "y")])),
        ..Default::default()
    };
    let err = controller_client(&base, TestApiBuilder::default(), token(), &unrelated)
        .await
        .err()
        .unwrap();
    assert!(matches!(err, Error::Principal(PrincipalError::Empty)));
    assert!(fixture.server.requests().is_empty());
}
