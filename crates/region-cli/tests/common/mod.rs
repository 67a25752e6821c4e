//! The platform in the tests' process (the testing kit's [`Platform`]: the Kubernetes API
//! holding the service's Secrets, the region API behind its ingress, both on 127.0.0.1), and
//! the `region` command driven as a library against it, with a kubeconfig file for the
//! Kubernetes API.

#![allow(dead_code)]

use std::{
    path::PathBuf,
    process::ExitCode,
    sync::atomic::{AtomicUsize, Ordering},
};

use region_client_testing::{Leaf, Platform, harness, kube::KubeApi, region::RegionApi};
use serde_json::Value;

/// The namespace of the Secrets.
pub const NS: &str = harness::NAMESPACE;
/// The CA Secret.
pub const CA_SECRET: &str = harness::CA_SECRET;
/// The calling service: the CN of its client certificate.
pub const SERVICE: &str = "compute";
/// The client-certificate Secret (the kit's `{service}-client`).
pub const CLIENT_SECRET: &str = "compute-client";
/// The organization of the test calls (the kit's).
pub const ORGANIZATION: &str = "9a3f1c2e-5b7d-4e0a-8c6f-1d2e3f4a5b6c";
/// The project of the test calls (the kit's).
pub const PROJECT: &str = "77b0d4aa-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
/// Who the Kubernetes API says this is.
pub const USER: &str = "system:serviceaccount:unikorn:compute";

/// A setup a service could have: the platform with its Secrets, and the kubeconfig to reach
/// its Kubernetes API.
pub struct Setup {
    /// The region CA's Secret holds the CA of the region's server certificate (`platform-ca`);
    /// the client certificate is RSA, from the CA the ingress trusts (`clients-ca`).
    pub platform: Platform,
    kubeconfig: PathBuf,
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.kubeconfig);
    }
}

/// A file name no other test uses.
fn unique_path(what: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    std::env::temp_dir().join(format!("region-cli-{}-{n}.{what}", std::process::id()))
}

impl Setup {
    /// Everything as it should be: the kit's platform for service [`SERVICE`].
    pub async fn healthy() -> Self {
        let platform = Platform::builder().service(SERVICE).start().await;
        assert_eq!(platform.client_secret().name, CLIENT_SECRET);
        assert_eq!(platform.organization_id().to_string(), ORGANIZATION);
        assert_eq!(platform.project_id().to_string(), PROJECT);
        platform.kube().set_user(USER);
        let kubeconfig = unique_path("kubeconfig");
        std::fs::write(&kubeconfig, platform.kube().kubeconfig()).expect("write the kubeconfig");
        Self {
            platform,
            kubeconfig,
        }
    }

    /// The Kubernetes API.
    pub fn kube(&self) -> &KubeApi {
        self.platform.kube()
    }

    /// The region API.
    pub fn region(&self) -> &RegionApi {
        self.platform.region()
    }

    /// Replaces the client certificate Secret with `leaf`'s chain and key.
    pub fn put_client(&self, leaf: &Leaf) {
        self.kube()
            .put_tls_secret(NS, CLIENT_SECRET, &leaf.chain_pem(), Some(&leaf.key_pem()));
    }

    /// The kubeconfig file.
    pub fn kubeconfig(&self) -> String {
        self.kubeconfig.display().to_string()
    }

    /// The command line of a service of this setup, then `extra`.
    pub fn args(&self, host: &str, extra: &[&str]) -> Vec<String> {
        let mut args: Vec<String> = vec!["region".into()];
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        args.extend(
            [
                "--kubeconfig",
                &self.kubeconfig(),
                "--region-host",
                host,
                "--region-ca-secret-namespace",
                NS,
                "--region-ca-secret-name",
                CA_SECRET,
                "--client-certificate-namespace",
                NS,
                "--client-certificate-name",
                CLIENT_SECRET,
            ]
            .map(str::to_owned),
        );
        args
    }

    /// Runs `region` with this setup's flags after `extra` (the command and its flags).
    pub async fn run(&self, extra: &[&str]) -> Outcome {
        run(self.args(&self.region().url(), extra)).await
    }

    /// `region doctor --output json` (after `extra`), against `host`: the exit status and the
    /// report.
    pub async fn doctor_at(&self, host: &str, extra: &[&str]) -> (ExitCode, Report) {
        let mut args = vec!["doctor", "--output", "json"];
        args.extend(extra);
        let outcome = run(self.args(host, &args)).await;
        let report = serde_json::from_str(&outcome.out)
            .unwrap_or_else(|e| panic!("{e}: the report is JSON: {}", outcome.out));
        (outcome.status, Report(report))
    }

    /// `region doctor --output json` against this setup's region API.
    pub async fn doctor(&self, extra: &[&str]) -> (ExitCode, Report) {
        self.doctor_at(&self.region().url(), extra).await
    }
}

/// What a run printed, and its exit status.
pub struct Outcome {
    pub status: ExitCode,
    pub out: String,
    pub err: String,
}

/// Runs `region` with `args`.
pub async fn run(args: Vec<String>) -> Outcome {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let status = region_cli::run(args, &mut out, &mut err).await;
    Outcome {
        status,
        out: String::from_utf8(out).expect("UTF-8 output"),
        err: String::from_utf8(err).expect("UTF-8 errors"),
    }
}

/// A doctor's report, as JSON.
pub struct Report(pub Value);

impl Report {
    /// The check `id`.
    pub fn check(&self, id: &str) -> &Value {
        self.0["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .find(|check| check["id"] == id)
            .unwrap_or_else(|| panic!("no check {id} in {:#}", self.0))
    }

    /// The status of check `id`.
    pub fn status(&self, id: &str) -> &str {
        self.check(id)["status"].as_str().expect("a status")
    }

    /// The message of check `id`.
    pub fn message(&self, id: &str) -> &str {
        self.check(id)["message"].as_str().expect("a message")
    }

    /// The hint of check `id`.
    pub fn hint(&self, id: &str) -> &str {
        self.check(id)["hint"]
            .as_str()
            .unwrap_or_else(|| panic!("{id} has a hint: {:#}", self.check(id)))
    }

    /// Asserts that the message of check `id` contains `part`, showing it when not.
    #[track_caller]
    pub fn assert_message(&self, id: &str, part: &str) {
        let message = self.message(id);
        assert!(message.contains(part), "{id}: {message:?} lacks {part:?}");
    }

    /// Asserts that the hint of check `id` contains `part`, showing it when not.
    #[track_caller]
    pub fn assert_hint(&self, id: &str, part: &str) {
        let hint = self.hint(id);
        assert!(hint.contains(part), "{id}: {hint:?} lacks {part:?}");
    }

    /// The IDs of the checks that failed.
    pub fn failed(&self) -> Vec<&str> {
        self.with_status("fail")
    }

    /// The IDs of the checks with `status`.
    pub fn with_status(&self, status: &str) -> Vec<&str> {
        self.0["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .filter(|check| check["status"] == status)
            .map(|check| check["id"].as_str().expect("an id"))
            .collect()
    }

    /// Asserts that `id` failed, and only it, with `dependents` skipped because of it.
    pub fn only_failure(&self, id: &str, dependents: &[&str]) {
        assert_eq!(self.failed(), [id], "{:#}", self.0);
        for dependent in dependents {
            assert_eq!(self.status(dependent), "skip", "{dependent}");
            assert_eq!(self.check(dependent)["depends_on"], id, "{dependent}");
        }
        assert_eq!(self.0["healthy"], false);
    }
}
