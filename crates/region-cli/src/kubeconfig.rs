//! Reaching the Kubernetes API the way kube infers it: `--kubeconfig`, else `$KUBECONFIG` or
//! `~/.kube/config`, else the pod's service account; `--context` picks a context.

use std::path::Path;

use anyhow::Context as _;
use kube::config::{KubeConfigOptions, Kubeconfig};

/// A client for the Kubernetes API, and the URL it talks to.
pub(crate) struct Kube {
    pub(crate) client: kube::Client,
    pub(crate) url: String,
}

/// The client `kubeconfig` and `context` (both optional) describe.
pub(crate) async fn connect(
    kubeconfig: Option<&Path>,
    context: Option<&str>,
) -> anyhow::Result<Kube> {
    let options = KubeConfigOptions {
        context: context.map(str::to_owned),
        ..KubeConfigOptions::default()
    };
    let config = match (kubeconfig, context) {
        (Some(path), _) => {
            let file = Kubeconfig::read_from(path)
                .with_context(|| format!("reading the kubeconfig {}", path.display()))?;
            kube::Config::from_custom_kubeconfig(file, &options)
                .await
                .with_context(|| format!("using the kubeconfig {}", path.display()))?
        }
        (None, Some(context)) => kube::Config::from_kubeconfig(&options)
            .await
            .with_context(|| format!("using the context {context:?} of the kubeconfig"))?,
        (None, None) => kube::Config::infer().await.context(
            "no Kubernetes configuration: neither a kubeconfig ($KUBECONFIG, ~/.kube/config) nor a \
             pod's service account",
        )?,
    };
    let url = config.cluster_url.to_string();
    let client = kube::Client::try_from(config).context("building the Kubernetes client")?;
    Ok(Kube { client, url })
}
