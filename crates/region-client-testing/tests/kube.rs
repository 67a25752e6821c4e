//! The Kubernetes API fake beyond Secrets, as a program that diagnoses a setup asks it: who
//! the client is, objects of custom resources found through discovery, and a kubeconfig file.

use k8s_openapi::api::{authentication::v1::SelfSubjectReview, core::v1::Secret};
use kube::{
    Api,
    api::{DynamicObject, PostParams},
    discovery,
};
use region_client_testing::kube::{DEFAULT_USER, KubeApi};
use serde_json::json;

async fn who(kube: &KubeApi) -> Option<String> {
    let reviews: Api<SelfSubjectReview> = Api::all(kube.client());
    let review = reviews
        .create(&PostParams::default(), &SelfSubjectReview::default())
        .await
        .unwrap();
    review.status?.user_info?.username
}

#[tokio::test]
async fn the_fake_says_who_the_client_is_and_a_refusal_names_that_user() {
    let kube = KubeApi::start().await;
    assert_eq!(who(&kube).await.as_deref(), Some(DEFAULT_USER));
    kube.set_user("system:serviceaccount:unikorn:compute");
    assert_eq!(
        who(&kube).await.as_deref(),
        Some("system:serviceaccount:unikorn:compute")
    );
    kube.forbid("unikorn", "compute-client");
    let secrets: Api<Secret> = Api::namespaced(kube.client(), "unikorn");
    match secrets.get("compute-client").await {
        Err(kube::Error::Api(status)) => {
            assert_eq!(status.code, 403);
            assert!(
                status
                    .message
                    .contains("User \"system:serviceaccount:unikorn:compute\" cannot get"),
                "{}",
                status.message
            );
        }
        other => panic!("expected a 403, got {other:?}"),
    }
    // A failing API fails the review as well.
    kube.fail_with(Some(500));
    let reviews: Api<SelfSubjectReview> = Api::all(kube.client());
    assert!(
        reviews
            .create(&PostParams::default(), &SelfSubjectReview::default())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn objects_of_custom_resources_are_found_through_discovery() {
    let kube = KubeApi::start().await;
    let client = kube.client();
    assert!(
        discovery::group(&client, "unikorn-cloud.org")
            .await
            .is_err()
    );
    kube.put_object(
        "unikorn-cloud.org",
        "v1alpha1",
        "KubernetesCluster",
        "kubernetesclusters",
        json!({ "metadata": {
            "name": "abc",
            "namespace": "team-a",
            "labels": { "unikorn-cloud.org/organization": "org-1" },
        } }),
    );
    let group = discovery::group(&client, "unikorn-cloud.org")
        .await
        .unwrap();
    let (resource, capabilities) = group
        .recommended_resources()
        .into_iter()
        .find(|(resource, _)| resource.plural == "kubernetesclusters")
        .unwrap();
    assert_eq!(resource.kind, "KubernetesCluster");
    assert_eq!(capabilities.scope, discovery::Scope::Namespaced);
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), "team-a", &resource);
    let object = api.get("abc").await.unwrap();
    assert_eq!(
        object.metadata.labels.unwrap()["unikorn-cloud.org/organization"],
        "org-1"
    );
    assert!(object.metadata.resource_version.is_some());
    match api.get("zzz").await {
        Err(kube::Error::Api(status)) => assert_eq!(status.code, 404),
        other => panic!("expected a 404, got {other:?}"),
    }
    let elsewhere: Api<DynamicObject> = Api::namespaced_with(client, "team-b", &resource);
    assert!(elsewhere.get("abc").await.is_err());
}

#[tokio::test]
async fn a_program_reading_the_kubeconfig_reaches_the_fake() {
    let kube = KubeApi::start().await;
    kube.put_tls_secret("unikorn", "region-ca", "not read here", None);
    let file = kube::config::Kubeconfig::from_yaml(&kube.kubeconfig()).unwrap();
    let config = kube::Config::from_custom_kubeconfig(file, &Default::default())
        .await
        .unwrap();
    assert_eq!(config.cluster_url.to_string(), format!("{}/", kube.url()));
    let client = kube::Client::try_from(config).unwrap();
    let secrets: Api<Secret> = Api::namespaced(client, "unikorn");
    let secret = secrets.get("region-ca").await.unwrap();
    assert_eq!(secret.type_.as_deref(), Some("kubernetes.io/tls"));
}
