//! One reconcile step from the command line: reads a ConfigMap and references a region
//! network for it, as the platform's principal persisted on the ConfigMap.
//!
//! ```sh
//! cargo run --manifest-path examples/standalone/Cargo.toml -- <namespace> <configmap> <network-id>
//! ```

use region_client::{k8s_openapi::api::core::v1::ConfigMap, kube};
use standalone::{Result, controller::reconcile, service::Outbound};

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(namespace), Some(name), Some(network_id)) = (args.next(), args.next(), args.next())
    else {
        return Err("usage: standalone <namespace> <configmap> <network-id>".into());
    };
    let outbound = Outbound::new().await?;
    let kube = kube::Client::try_default().await?;
    let cluster = kube::Api::<ConfigMap>::namespaced(kube, &namespace)
        .get(&name)
        .await?;
    reconcile(&outbound.region, &cluster, &network_id).await?;
    println!("{namespace}/{name} now references network {network_id}");
    Ok(())
}
