//! The region API by hand: `region regions list`, `region networks get`, `region references
//! add|remove`, on the API path and the controller path, against the in-process platform;
//! failures print the platform's error body and trace ID.

mod common;

use std::process::ExitCode;

use common::{ORGANIZATION, PROJECT, Setup};
use identity_client::principal::{CREATOR_ANNOTATION, ORGANIZATION_LABEL, PROJECT_LABEL};
use region_client_testing::region::REGION_ID;
use serde_json::{Value, json};

const NETWORK: &str = "c0a80101-0000-4000-8000-00000000000a";
const REFERENCE: &str = "kubernetesclusters.kubernetes.unikorn-cloud.org/abc";

fn is_trace_id(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[tokio::test]
async fn regions_are_listed_as_a_table_json_or_yaml_for_the_principal_given() {
    let setup = Setup::healthy().await;
    let list = [
        "regions",
        "list",
        "--organization-id",
        ORGANIZATION,
        "--actor",
        "alice",
    ];
    let table = setup.run(&list).await;
    assert_eq!(table.status, ExitCode::SUCCESS, "{}", table.err);
    let rows: Vec<Vec<&str>> = table
        .out
        .lines()
        .map(|line| line.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows,
        [
            vec!["ID", "NAME", "TYPE", "STATUS", "HEALTH"],
            vec![
                REGION_ID,
                "uk-west-1",
                "openstack",
                "provisioned",
                "healthy"
            ],
        ]
    );
    let calls = setup.region().calls();
    let principal = calls[0].principal().unwrap();
    assert_eq!(
        (principal.organization_id.as_str(), principal.actor.as_str()),
        (ORGANIZATION, "alice")
    );

    let mut as_json = list.to_vec();
    as_json.extend(["--output", "json"]);
    let json = setup.run(&as_json).await;
    let regions: Value = serde_json::from_str(&json.out).unwrap();
    assert_eq!(regions[0]["metadata"]["id"], REGION_ID);
    assert_eq!(regions[0]["spec"]["type"], "openstack");
    let mut as_yaml = list.to_vec();
    as_yaml.extend(["-o", "yaml"]);
    let yaml = setup.run(&as_yaml).await;
    let from_yaml: Value = serde_saphyr::from_str(&yaml.out).unwrap();
    assert_eq!(from_yaml, regions);
}

#[tokio::test]
async fn a_refusal_prints_the_platforms_error_body_and_trace_id() {
    let setup = Setup::healthy().await;
    setup.region().forbid("mallory");
    let list = [
        "regions",
        "list",
        "--organization-id",
        ORGANIZATION,
        "--actor",
        "mallory",
    ];
    let text = setup.run(&list).await;
    assert_eq!(text.status, ExitCode::FAILURE);
    assert_eq!(text.out, "");
    let lines: Vec<&str> = text.err.lines().collect();
    assert!(
        lines[0].starts_with("error: listRegions: the server answered 403 Forbidden"),
        "{}",
        text.err
    );
    assert_eq!(lines[1], "  status:      403 Forbidden");
    assert_eq!(lines[2], "  error:       forbidden");
    assert_eq!(
        lines[3],
        "  description: operation is not allowed by rbac: operation is not permitted"
    );
    let trace = lines[4].strip_prefix("  trace id:    ").unwrap();
    assert!(is_trace_id(trace), "{trace}");
    println!("{}", text.err);

    let mut as_json = list.to_vec();
    as_json.extend(["-o", "json"]);
    let json = setup.run(&as_json).await;
    assert_eq!(json.status, ExitCode::FAILURE);
    assert_eq!(json.err, "");
    let document: Value = serde_json::from_str(&json.out).unwrap();
    let error = &document["error"];
    assert_eq!(error["status"], 403);
    assert_eq!(error["code"], "forbidden");
    assert!(is_trace_id(error["trace_id"].as_str().unwrap()));
    assert!(error["message"].as_str().unwrap().contains("403 Forbidden"));
}

#[tokio::test]
async fn a_network_is_shown_and_an_unknown_one_is_not_found() {
    let setup = Setup::healthy().await;
    setup.region().add_network(NETWORK, ORGANIZATION, PROJECT);
    let shown = setup
        .run(&[
            "networks",
            "get",
            NETWORK,
            "--organization-id",
            ORGANIZATION,
        ])
        .await;
    assert_eq!(shown.status, ExitCode::SUCCESS, "{}", shown.err);
    let rows: Vec<Vec<&str>> = shown
        .out
        .lines()
        .map(|line| line.split_whitespace().collect())
        .collect();
    assert_eq!(rows[0][..3], ["ID", "NAME", "PREFIX"]);
    assert_eq!(rows[1][..3], [NETWORK, "network-a", "192.168.0.0/24"]);
    assert_eq!(rows[1][4..6], [ORGANIZATION, PROJECT]);

    let unknown = "c0a80101-0000-4000-8000-0000000000ff";
    let missing = setup
        .run(&[
            "networks",
            "get",
            unknown,
            "--organization-id",
            ORGANIZATION,
            "-o",
            "json",
        ])
        .await;
    assert_eq!(missing.status, ExitCode::FAILURE);
    let document: Value = serde_json::from_str(&missing.out).unwrap();
    assert_eq!(document["error"]["status"], 404);
    assert_eq!(document["error"]["code"], "not_found");
}

#[tokio::test]
async fn references_are_added_and_removed_on_the_api_path() {
    let setup = Setup::healthy().await;
    setup.region().add_network(NETWORK, ORGANIZATION, PROJECT);
    let principal = ["--organization-id", ORGANIZATION, "--actor", "alice"];
    let mut add = vec!["references", "add", NETWORK, REFERENCE];
    add.extend(principal);
    let added = setup.run(&add).await;
    assert_eq!(added.status, ExitCode::SUCCESS, "{}", added.err);
    assert_eq!(
        added.out,
        format!("reference {REFERENCE} added to network {NETWORK}\n")
    );
    assert_eq!(setup.region().references(NETWORK), [REFERENCE]);
    // As the platform's Go helper sends it: escaped twice.
    let last = setup.region().server().requests().pop().unwrap();
    assert!(
        last.uri
            .path()
            .ends_with("kubernetes.unikorn-cloud.org%252Fabc"),
        "{}",
        last.uri
    );

    let mut remove = vec!["references", "remove", NETWORK, REFERENCE, "-o", "json"];
    remove.extend(principal);
    let removed = setup.run(&remove).await;
    assert_eq!(removed.status, ExitCode::SUCCESS, "{}", removed.err);
    assert_eq!(
        serde_json::from_str::<Value>(&removed.out).unwrap(),
        json!({ "network_id": NETWORK, "reference": REFERENCE, "result": "removed" })
    );
    assert!(setup.region().references(NETWORK).is_empty());

    setup.region().mark_deleting(NETWORK);
    let refused = setup.run(&add).await;
    assert_eq!(refused.status, ExitCode::FAILURE);
    assert!(
        refused
            .err
            .contains("  description: unable to add reference, resource is being deleted\n"),
        "{}",
        refused.err
    );
}

#[tokio::test]
async fn references_on_the_controller_path_act_for_the_resource_in_the_cluster() {
    let setup = Setup::healthy().await;
    setup.region().add_network(NETWORK, ORGANIZATION, PROJECT);
    // A cluster of the legacy group, which references name `kubernetes.unikorn-cloud.org`.
    setup.kube().put_object(
        "unikorn-cloud.org",
        "v1alpha1",
        "KubernetesCluster",
        "kubernetesclusters",
        json!({ "metadata": {
            "name": "abc",
            "namespace": "team-a",
            "labels": { ORGANIZATION_LABEL: ORGANIZATION, PROJECT_LABEL: PROJECT },
            "annotations": { CREATOR_ANNOTATION: "bob" },
        } }),
    );
    let add = [
        "references",
        "add",
        NETWORK,
        REFERENCE,
        "--as-controller",
        "-n",
        "team-a",
    ];
    let added = setup.run(&add).await;
    assert_eq!(added.status, ExitCode::SUCCESS, "{}", added.err);
    assert_eq!(setup.region().references(NETWORK), [REFERENCE]);
    let call = setup.region().calls().pop().unwrap();
    assert!(
        call.request
            .header("x-principal")
            .unwrap()
            .starts_with("eyJhbGciOiJQUzUxMiJ9."),
        "signed, on the controller path"
    );
    let principal = call.principal().unwrap();
    assert_eq!(
        (
            principal.organization_id.as_str(),
            principal.project_id.as_str(),
            principal.actor.as_str()
        ),
        (ORGANIZATION, PROJECT, "bob")
    );

    // The same resource lists regions for its principal.
    let listed = setup
        .run(&[
            "regions",
            "list",
            "--organization-id",
            ORGANIZATION,
            "--as-controller",
            "--resource",
            REFERENCE,
            "--namespace",
            "team-a",
        ])
        .await;
    assert_eq!(listed.status, ExitCode::SUCCESS, "{}", listed.err);

    let missing = setup
        .run(&[
            "references",
            "add",
            NETWORK,
            "kubernetesclusters.kubernetes.unikorn-cloud.org/zzz",
            "--as-controller",
            "-n",
            "team-a",
        ])
        .await;
    assert_eq!(missing.status, ExitCode::FAILURE);
    assert!(
        missing.err.starts_with(
            "error: reading kubernetesclusters.kubernetes.unikorn-cloud.org/zzz in namespace team-a"
        ),
        "{}",
        missing.err
    );
}

#[tokio::test]
async fn the_libraries_refuse_what_the_platform_would_before_sending() {
    let setup = Setup::healthy().await;
    let impersonating = setup
        .run(&[
            "regions",
            "list",
            "--organization-id",
            ORGANIZATION,
            "--impersonate",
        ])
        .await;
    assert_eq!(impersonating.status, ExitCode::FAILURE);
    assert!(
        impersonating.err.contains("impersonat"),
        "{}",
        impersonating.err
    );
    let nobody = setup.run(&["networks", "get", NETWORK]).await;
    assert_eq!(nobody.status, ExitCode::FAILURE);
    assert!(nobody.err.contains("principal"), "{}", nobody.err);
    assert!(setup.region().calls().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn usage_errors_exit_2_and_help_succeeds() {
    let setup = Setup::healthy().await;
    let no_organization = setup.run(&["regions", "list"]).await;
    assert_eq!(no_organization.status, ExitCode::from(2));
    assert!(
        no_organization.err.contains("--organization-id"),
        "{}",
        no_organization.err
    );
    let both_paths = setup
        .run(&[
            "regions",
            "list",
            "--organization-id",
            ORGANIZATION,
            "--as-controller",
            "--impersonate",
        ])
        .await;
    assert_eq!(both_paths.status, ExitCode::from(2));
    let not_a_reference = setup
        .run(&["references", "add", NETWORK, "Not/A/Reference"])
        .await;
    assert_eq!(not_a_reference.status, ExitCode::from(2));
    let help = common::run(vec!["region".into(), "--help".into()]).await;
    assert_eq!(help.status, ExitCode::SUCCESS);
    assert!(
        help.out.contains("doctor") && help.out.contains("--region-host"),
        "{}",
        help.out
    );
}
