//! `kubernetes.api`: the Kubernetes API answers, and who this program is to it (a
//! `SelfSubjectReview`), which the Secret checks name when a read is forbidden.

use std::{path::Path, time::Duration};

use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use kube::{Api, api::PostParams};

use super::{catalogue::KUBERNETES_API, hints, report::Report};
use crate::kubeconfig;

/// How long the Kubernetes API may take to answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The Kubernetes API, as reached.
pub(super) struct Cluster {
    pub(super) client: kube::Client,
    /// Who the API knows this program as, when it said.
    pub(super) user: Option<String>,
}

/// Reaches the Kubernetes API `kubeconfig` and `context` describe, and asks who this is.
pub(super) async fn check(
    report: &mut Report,
    kubeconfig: Option<&Path>,
    context: Option<&str>,
) -> Option<Cluster> {
    report.section("kubernetes", "Kubernetes API");
    let kube = match kubeconfig::connect(kubeconfig, context).await {
        Ok(kube) => kube,
        Err(error) => {
            report.fail(KUBERNETES_API, hints::kube_config(&error));
            return None;
        }
    };
    let reviews: Api<SelfSubjectReview> = Api::all(kube.client.clone());
    let asked = tokio::time::timeout(
        TIMEOUT,
        reviews.create(&PostParams::default(), &SelfSubjectReview::default()),
    )
    .await;
    let user = match asked {
        Ok(Ok(review)) => review
            .status
            .and_then(|status| status.user_info)
            .and_then(|user| user.username),
        // It answered, but would not say who this is (an API server before 1.28, or RBAC).
        Ok(Err(kube::Error::Api(status))) => {
            report.warn(KUBERNETES_API, hints::kube_anonymous(&kube.url, &status));
            return Some(Cluster {
                client: kube.client,
                user: None,
            });
        }
        Ok(Err(error)) => {
            report.fail(KUBERNETES_API, hints::kube_unreachable(&kube.url, &error));
            return None;
        }
        Err(_) => {
            report.fail(KUBERNETES_API, hints::kube_silent(&kube.url, TIMEOUT));
            return None;
        }
    };
    let who = user.as_deref().unwrap_or("an identity it did not name");
    report.pass(
        KUBERNETES_API,
        format!("{} answers; this is {who}", kube.url.trim_end_matches('/')),
    );
    Some(Cluster {
        client: kube.client,
        user,
    })
}
