//! The built `region` binary, as an operator runs it: the same flags, through the environment
//! as a service's pod gives them, its exit status and output.

mod common;

use common::{CA_SECRET, CLIENT_SECRET, NS, ORGANIZATION, Setup};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_reads_the_services_environment_and_exits_by_the_verdict() {
    let setup = Setup::healthy().await;
    let doctor = |extra: &'static [&'static str]| {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_region"));
        command
            .args([
                "doctor",
                "--output",
                "json",
                "--kubeconfig",
                &setup.kubeconfig(),
            ])
            .args(extra)
            // The service's own settings, as its Deployment sets them.
            .env("REGION_HOST", setup.region().url())
            .env("REGION_CA_SECRET_NAMESPACE", NS)
            .env("REGION_CA_SECRET_NAME", CA_SECRET)
            .env("CLIENT_CERTIFICATE_NAMESPACE", NS)
            .env("CLIENT_CERTIFICATE_NAME", CLIENT_SECRET)
            .env_remove("KUBECONFIG");
        command.output()
    };
    let healthy = doctor(&["--organization-id", ORGANIZATION]).await.unwrap();
    assert_eq!(
        healthy.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&healthy.stderr)
    );
    let report: Value = serde_json::from_slice(&healthy.stdout).unwrap();
    assert_eq!(report["healthy"], true);
    assert_eq!(report["summary"]["passed"], 21);

    setup.kube().forbid(NS, CA_SECRET);
    let broken = doctor(&[]).await.unwrap();
    assert_eq!(broken.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&broken.stdout).unwrap();
    assert_eq!(report["healthy"], false);

    let usage = tokio::process::Command::new(env!("CARGO_BIN_EXE_region"))
        .arg("no-such-command")
        .output()
        .await
        .unwrap();
    assert_eq!(usage.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&usage.stderr).contains("no-such-command"));
}
