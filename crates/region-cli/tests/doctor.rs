//! `region doctor` against the in-process platform: the healthy setup passes every check, and
//! each misconfiguration an operator meets fails its own line, with its own fix, and skips
//! the checks that depend on it.

mod common;

use std::{
    process::ExitCode,
    time::{Duration, SystemTime},
};

use common::{CA_SECRET, CLIENT_SECRET, NS, ORGANIZATION, PROJECT, Setup, USER};
use region_client_testing::{Ca, KeyKind, OperationId, TestServer};
use serde_json::Value;

/// Every check, in the order the doctor makes and prints them: automation relies on it.
const CHECK_IDS: [&str; 21] = [
    "kubernetes.api",
    "ca-secret.read",
    "ca-secret.format",
    "ca-secret.certificates",
    "ca-secret.validity",
    "client-certificate.read",
    "client-certificate.format",
    "client-certificate.pem",
    "client-certificate.key-match",
    "client-certificate.validity",
    "client-certificate.chain",
    "client-certificate.key-type",
    "region.dns",
    "region.tcp",
    "region.tls",
    "region.server-certificate",
    "region.client-ca",
    "region.mtls",
    "region.api-path",
    "region.controller-path",
    "region.clock",
];

/// Everything after the region's handshake, skipped when it cannot be trusted.
const AFTER_HANDSHAKE: [&str; 5] = [
    "region.client-ca",
    "region.mtls",
    "region.api-path",
    "region.controller-path",
    "region.clock",
];

/// The keys of a JSON object, sorted.
fn keys(object: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = object
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

fn at(seconds: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
}

#[tokio::test]
async fn the_healthy_setup_passes_every_check_and_calls_on_both_paths() {
    let setup = Setup::healthy().await;
    let principal = ["--organization-id", ORGANIZATION, "--project-id", PROJECT];
    let (status, report) = setup.doctor(&principal).await;
    assert_eq!(
        report.with_status("pass").len(),
        CHECK_IDS.len(),
        "{:#}",
        report.0
    );
    assert_eq!(status, ExitCode::SUCCESS);
    assert_eq!(report.0["healthy"], true);
    assert!(
        report
            .message("kubernetes.api")
            .ends_with(&format!("this is {USER}")),
        "{}",
        report.message("kubernetes.api")
    );
    assert!(report.message("region.tls").starts_with("TLS 1.3, TLS13_"));
    report.assert_message("region.client-ca", "CN=clients-ca");
    assert!(
        report
            .message("client-certificate.key-type")
            .starts_with("RSA")
    );

    // The calls went out as the service's would, and the platform accepted each on its path.
    let calls = setup.region().calls();
    let on = |operation: OperationId| {
        calls
            .iter()
            .filter(|c| c.operation == Some(operation))
            .map(|c| {
                let principal = c.request.header("x-principal").unwrap_or_default();
                (c.status, principal.starts_with("eyJhbGciOiJQUzUxMiJ9."))
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(on(OperationId::GetVersion), [(Some(200), false)]);
    // API path (JSON principal), then controller path (PS512 JWS).
    assert_eq!(
        on(OperationId::ListRegions),
        [(Some(200), false), (Some(200), true)]
    );
    assert_eq!(calls.len(), 3);
    let principal = calls.last().and_then(|c| c.principal()).unwrap();
    assert_eq!(principal.organization_id, ORGANIZATION);
    assert_eq!(principal.actor, "region-doctor");

    // The same, for people: one line per check, then the verdict.
    let text = common::run(setup.args(
        &setup.region().url(),
        &["doctor", "--organization-id", ORGANIZATION],
    ))
    .await;
    assert_eq!(text.status, ExitCode::SUCCESS);
    assert_eq!(
        text.out.matches("\n  ✓ ").count(),
        CHECK_IDS.len(),
        "{}",
        text.out
    );
    assert!(
        text.out
            .ends_with("healthy: 21 passed, 0 warning(s), 0 failed, 0 skipped\n")
    );
    println!("{}", text.out);
}

#[tokio::test]
async fn the_text_report_shows_a_failure_with_its_fix_and_what_it_skipped() {
    let setup = Setup::healthy().await;
    setup.put_client(&Ca::new("rogue-ca").client_cert_rsa("compute", 0));
    let text = common::run(setup.args(&setup.region().url(), &["doctor"])).await;
    assert_eq!(text.status, ExitCode::FAILURE);
    let lines: Vec<&str> = text.out.lines().collect();
    let at = lines
        .iter()
        .position(|line| line.starts_with("  × the ingress trusts the client certificate's CA: "))
        .unwrap_or_else(|| panic!("{}", text.out));
    assert!(lines[at].ends_with(
        "CN=compute, O=region-client-testing is issued by CN=rogue-ca, O=region-client-testing"
    ));
    assert!(lines[at + 1].starts_with("      fix: issue the service's certificate from a CA"));
    assert_eq!(
        lines[at + 2],
        "      see: https://github.com/nscaledev/region-clients#operators-region-doctor \
         (region.client-ca)"
    );
    assert_eq!(
        lines[at + 3],
        "  - mTLS call accepted (GET /api/version): skipped: region.client-ca did not pass"
    );
    assert_eq!(
        lines.last().copied(),
        Some("BROKEN: 16 passed, 0 warning(s), 1 failed, 4 skipped")
    );
    println!("{}", text.out);
}

#[tokio::test]
async fn without_an_organization_the_calls_in_one_are_skipped_and_the_setup_is_healthy() {
    let setup = Setup::healthy().await;
    let (status, report) = setup.doctor(&[]).await;
    assert_eq!(status, ExitCode::SUCCESS);
    for id in ["region.api-path", "region.controller-path"] {
        assert_eq!(report.status(id), "skip");
        assert_eq!(report.check(id)["depends_on"], Value::Null);
        assert!(report.message(id).contains("--organization-id"));
    }
    assert_eq!(report.with_status("pass").len(), CHECK_IDS.len() - 2);
}

#[tokio::test]
async fn the_json_report_keeps_its_shape_and_yaml_says_the_same() {
    let setup = Setup::healthy().await;
    // A broken setup, so that every kind of field is filled somewhere.
    setup.kube().forbid(NS, CLIENT_SECRET);
    let (status, report) = setup.doctor(&[]).await;
    assert_eq!(status, ExitCode::FAILURE);
    let document = report.0.as_object().unwrap();
    assert_eq!(
        keys(&report.0),
        [
            "checks",
            "healthy",
            "kind",
            "region_host",
            "sections",
            "summary",
            "version"
        ]
    );
    assert_eq!(document["kind"], "RegionDoctorReport");
    assert_eq!(document["version"], 1);
    assert_eq!(document["region_host"], setup.region().url());
    assert_eq!(
        document["summary"],
        serde_json::json!({ "passed": 9, "warnings": 0, "failed": 1, "skipped": 11 })
    );
    let sections: Vec<&str> = document["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        sections,
        ["kubernetes", "ca-secret", "client-certificate", "region"]
    );
    assert_eq!(
        document["sections"][2]["title"],
        format!("Client certificate Secret {NS}/{CLIENT_SECRET}")
    );
    let checks = document["checks"].as_array().unwrap();
    let ids: Vec<&str> = checks.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, CHECK_IDS);
    for check in checks {
        assert_eq!(
            keys(check),
            [
                "depends_on",
                "doc",
                "hint",
                "id",
                "message",
                "section",
                "status",
                "title"
            ]
        );
        let id = check["id"].as_str().unwrap();
        assert!(id.starts_with(check["section"].as_str().unwrap()), "{id}");
        let status = check["status"].as_str().unwrap();
        assert!(
            ["pass", "warn", "fail", "skip"].contains(&status),
            "{status}"
        );
        // A fix and a link exactly where something is wrong.
        let wrong = status == "fail" || status == "warn";
        assert_eq!(check["hint"].is_string(), wrong, "{id}");
        assert_eq!(check["doc"].is_string(), wrong, "{id}");
        assert_eq!(check["depends_on"].is_string(), status == "skip", "{id}");
    }
    assert_eq!(
        report.check("client-certificate.read")["doc"],
        "https://github.com/nscaledev/region-clients#operators-region-doctor"
    );

    let yaml = common::run(setup.args(&setup.region().url(), &["doctor", "-o", "yaml"])).await;
    assert_eq!(yaml.status, ExitCode::FAILURE);
    let from_yaml: Value = serde_saphyr::from_str(&yaml.out).unwrap();
    assert_eq!(from_yaml, report.0);
}

#[tokio::test]
async fn a_ca_secret_of_the_wrong_type_fails_its_format_line() {
    let setup = Setup::healthy().await;
    setup.kube().put_secret(
        NS,
        CA_SECRET,
        "Opaque",
        &[("tls.crt", setup.platform.server_ca().cert_pem.as_bytes())],
    );
    let (status, report) = setup.doctor(&[]).await;
    assert_eq!(status, ExitCode::FAILURE);
    let mut dependents = vec![
        "ca-secret.certificates",
        "ca-secret.validity",
        "region.tls",
        "region.server-certificate",
    ];
    dependents.extend(AFTER_HANDSHAKE);
    report.only_failure("ca-secret.format", &dependents);
    assert_eq!(report.status("ca-secret.read"), "pass");
    report.assert_message("ca-secret.format", "\"Opaque\"");
    report.assert_hint("ca-secret.format", "kubernetes.io/tls");
}

#[tokio::test]
async fn a_ca_secret_holding_another_ca_fails_the_server_certificate_line() {
    let setup = Setup::healthy().await;
    let other = Ca::new("other-ca");
    setup
        .kube()
        .put_tls_secret(NS, CA_SECRET, &other.cert_pem, None);
    let (status, report) = setup.doctor(&[]).await;
    assert_eq!(status, ExitCode::FAILURE);
    report.only_failure("region.server-certificate", &AFTER_HANDSHAKE);
    // The Secret itself is fine: it holds a valid CA, just not the right one.
    assert_eq!(report.status("ca-secret.certificates"), "pass");
    report.assert_message("ca-secret.certificates", "CN=other-ca");
    assert_eq!(report.status("region.tls"), "pass");
    let message = report.message("region.server-certificate");
    assert!(
        message.contains("issued by CN=platform-ca")
            && message.contains(&format!("the CA Secret {NS}/{CA_SECRET} does not hold")),
        "{message}"
    );
    report.assert_hint("region.server-certificate", "CN=platform-ca");
}

#[tokio::test]
async fn an_expired_client_certificate_fails_its_validity_line() {
    let setup = Setup::healthy().await;
    let expired = setup.platform.clients_ca().client_cert_valid_between(
        "compute",
        KeyKind::Rsa,
        at(1_577_836_800),
        at(1_609_459_200),
    );
    setup.put_client(&expired);
    let (status, report) = setup.doctor(&[]).await;
    assert_eq!(status, ExitCode::FAILURE);
    let mut dependents = vec!["client-certificate.chain", "client-certificate.key-type"];
    dependents.extend(AFTER_HANDSHAKE);
    report.only_failure("client-certificate.validity", &dependents);
    assert_eq!(report.status("client-certificate.key-match"), "pass");
    assert!(
        report.message("client-certificate.validity").contains(
            "has expired (notBefore 2020-01-01T00:00:00Z, notAfter 2021-01-01T00:00:00Z)"
        )
    );
    report.assert_hint("client-certificate.validity", "renew");
    // The host is checked all the same.
    assert_eq!(report.status("region.server-certificate"), "pass");
}

#[tokio::test]
async fn a_client_certificate_expiring_soon_is_a_warning_not_a_failure() {
    let setup = Setup::healthy().await;
    let now = SystemTime::now();
    let soon = setup.platform.clients_ca().client_cert_valid_between(
        "compute",
        KeyKind::Rsa,
        now - Duration::from_secs(86_400),
        now + Duration::from_secs(10 * 86_400),
    );
    setup.put_client(&soon);
    let (status, report) = setup.doctor(&["--warn-days", "30"]).await;
    assert_eq!(status, ExitCode::SUCCESS);
    assert_eq!(report.with_status("warn"), ["client-certificate.validity"]);
    let message = report.message("client-certificate.validity");
    assert!(message.contains("expires in 9 day(s)"), "{message}");
    assert!(message.contains("warning under 30"), "{message}");
    let (_, quiet) = setup.doctor(&["--warn-days", "5"]).await;
    assert_eq!(quiet.status("client-certificate.validity"), "pass");
    assert!(
        quiet
            .message("client-certificate.validity")
            .starts_with("9 days left")
    );
}

#[tokio::test]
async fn a_key_of_another_certificate_fails_the_key_match_line() {
    let setup = Setup::healthy().await;
    let other = setup
        .platform
        .clients_ca()
        .client_cert("other", KeyKind::EcdsaP256);
    setup.kube().put_tls_secret(
        NS,
        CLIENT_SECRET,
        &setup.platform.client_certificate().chain_pem(),
        Some(&other.key_pem()),
    );
    let (_, report) = setup.doctor(&[]).await;
    let mut dependents = vec![
        "client-certificate.validity",
        "client-certificate.chain",
        "client-certificate.key-type",
    ];
    dependents.extend(AFTER_HANDSHAKE);
    report.only_failure("client-certificate.key-match", &dependents);
    report.assert_hint("client-certificate.key-match", "another certificate");
}

#[tokio::test]
async fn a_client_certificate_from_a_ca_the_ingress_does_not_trust_fails_the_client_ca_line() {
    let setup = Setup::healthy().await;
    let rogue = Ca::new("rogue-ca").client_cert_rsa("compute", 0);
    setup.put_client(&rogue);
    let (status, report) = setup.doctor(&["--organization-id", ORGANIZATION]).await;
    assert_eq!(status, ExitCode::FAILURE);
    report.only_failure("region.client-ca", &AFTER_HANDSHAKE[1..]);
    // The Secret is a good certificate in itself.
    assert_eq!(report.status("client-certificate.chain"), "pass");
    let message = report.message("region.client-ca");
    assert!(
        message.contains("accepts client certificates from CN=clients-ca")
            && message.contains("is issued by CN=rogue-ca"),
        "{message}"
    );
    report.assert_hint("region.client-ca", "unknown CA");
}

#[tokio::test]
async fn an_ec_key_serves_the_api_path_and_fails_the_controller_path() {
    let setup = Setup::healthy().await;
    setup.put_client(
        &setup
            .platform
            .clients_ca()
            .client_cert("compute", KeyKind::EcdsaP256),
    );
    let (status, report) = setup.doctor(&["--organization-id", ORGANIZATION]).await;
    assert_eq!(status, ExitCode::FAILURE);
    assert_eq!(report.failed(), ["region.controller-path"]);
    assert_eq!(report.with_status("warn"), ["client-certificate.key-type"]);
    assert!(
        report
            .message("client-certificate.key-type")
            .starts_with("ECDSA key: the API path works; the controller path does not")
    );
    assert_eq!(report.status("region.mtls"), "pass");
    assert_eq!(report.status("region.api-path"), "pass");
    let message = report.message("region.controller-path");
    assert!(message.contains("its key is ECDSA"), "{message}");
    report.assert_hint("region.controller-path", "RSA");
    // Nothing was sent on the controller path: the library refused before.
    let signed = setup.region().calls().iter().any(|s| {
        s.request
            .header("x-principal")
            .is_some_and(|p| p.starts_with("eyJhbGciOiJQUzUxMiJ9."))
    });
    assert!(!signed);
}

#[tokio::test]
async fn a_secret_the_service_may_not_read_names_the_missing_verb() {
    let setup = Setup::healthy().await;
    setup.kube().forbid(NS, CLIENT_SECRET);
    let (status, report) = setup.doctor(&[]).await;
    assert_eq!(status, ExitCode::FAILURE);
    let mut dependents = vec![
        "client-certificate.format",
        "client-certificate.pem",
        "client-certificate.key-match",
        "client-certificate.validity",
        "client-certificate.chain",
        "client-certificate.key-type",
    ];
    dependents.extend(AFTER_HANDSHAKE);
    report.only_failure("client-certificate.read", &dependents);
    assert_eq!(
        report.message("client-certificate.read"),
        format!(
            "not allowed to read Secret {NS}/{CLIENT_SECRET} (HTTP 403): {USER} lacks the verb \
             `get` on `secrets` in namespace {NS}"
        )
    );
    let hint = report.hint("client-certificate.read");
    assert!(
        hint.contains(&format!("--resource-name={CLIENT_SECRET} -n {NS}"))
            && hint.contains("--serviceaccount=unikorn:compute"),
        "{hint}"
    );
}

#[tokio::test]
async fn a_host_without_tls_1_3_fails_the_tls_line() {
    let setup = Setup::healthy().await;
    let tls12 = TestServer::builder(&setup.platform.server_ca().server_cert(&["127.0.0.1"]))
        .tls12_only()
        .start()
        .await;
    let (status, report) = setup.doctor_at(&tls12.url(), &[]).await;
    assert_eq!(status, ExitCode::FAILURE);
    let mut dependents = vec!["region.server-certificate"];
    dependents.extend(AFTER_HANDSHAKE);
    report.only_failure("region.tls", &dependents);
    assert_eq!(report.status("region.tcp"), "pass");
    let message = report.message("region.tls");
    assert!(
        message.starts_with("the host does not speak TLS 1.3"),
        "{message}"
    );
    report.assert_hint("region.tls", "ssl_protocols TLSv1.3");
}

#[tokio::test]
async fn a_host_that_asks_for_no_client_certificate_is_not_the_ingress() {
    let setup = Setup::healthy().await;
    let plain = TestServer::builder(&setup.platform.server_ca().server_cert(&["127.0.0.1"]))
        .start()
        .await;
    let (_, report) = setup.doctor_at(&plain.url(), &[]).await;
    report.only_failure("region.client-ca", &AFTER_HANDSHAKE[1..]);
    report.assert_message("region.client-ca", "did not ask for a client certificate");
}

#[tokio::test]
async fn a_server_clock_off_by_minutes_fails_the_clock_line() {
    let setup = Setup::healthy().await;
    setup.region().set_clock_offset(300);
    let (status, report) = setup.doctor(&["--organization-id", ORGANIZATION]).await;
    assert_eq!(status, ExitCode::FAILURE);
    assert_eq!(report.failed(), ["region.clock"]);
    let message = report.message("region.clock");
    let seconds: u64 = message
        .strip_prefix("the region API's clock is ")
        .and_then(|rest| rest.split_once("s ahead of this machine's"))
        .and_then(|(seconds, _)| seconds.parse().ok())
        .unwrap_or_else(|| panic!("{message}"));
    assert!((295..=300).contains(&seconds), "{message}");
    report.assert_hint("region.clock", "NTP");

    setup.region().set_clock_offset(-300);
    let (_, report) = setup.doctor(&[]).await;
    report.assert_message("region.clock", "s behind this machine's");
    // Within the limit asked for, it passes.
    let (status, report) = setup.doctor(&["--max-clock-skew", "10m"]).await;
    assert_eq!(status, ExitCode::SUCCESS);
    assert_eq!(report.status("region.clock"), "pass");
}

#[tokio::test]
async fn an_unreachable_kubernetes_api_skips_the_secrets_but_not_the_host() {
    let setup = Setup::healthy().await;
    setup.kube().stop();
    let (status, report) = setup.doctor(&[]).await;
    assert_eq!(status, ExitCode::FAILURE);
    let mut dependents = vec!["ca-secret.read", "client-certificate.read", "region.tls"];
    dependents.extend(AFTER_HANDSHAKE);
    report.only_failure("kubernetes.api", &dependents);
    report.assert_message("kubernetes.api", "cannot be reached");
    assert_eq!(report.status("region.tcp"), "pass");
}

/// The other lines of the README's table, each failing alone (or with the checks that depend
/// on it skipped), with its fix.
#[tokio::test]
async fn every_other_misconfiguration_fails_its_own_line() {
    // A server certificate for another name, on a port that refuses connections.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!(
            "https://127.0.0.1:{}",
            listener.local_addr().unwrap().port()
        )
    };

    // No CA Secret by that name.
    let setup = Setup::healthy().await;
    setup.kube().delete_secret(NS, CA_SECRET);
    let (_, report) = setup.doctor(&[]).await;
    assert_eq!(report.failed(), ["ca-secret.read"]);
    assert_eq!(
        report.message("ca-secret.read"),
        format!("secret {NS}/{CA_SECRET} not found")
    );
    report.assert_hint("ca-secret.read", "--region-ca-secret-name");

    // Only an expired CA.
    let setup = Setup::healthy().await;
    let expired = Ca::new_valid_between("old-ca", at(1_577_836_800), at(1_609_459_200));
    setup
        .kube()
        .put_tls_secret(NS, CA_SECRET, &expired.cert_pem, None);
    let (_, report) = setup.doctor(&[]).await;
    assert_eq!(report.failed(), ["ca-secret.validity"]);
    report.assert_message("ca-secret.validity", "has expired");

    // No key in the client certificate's Secret.
    let setup = Setup::healthy().await;
    setup.kube().put_tls_secret(
        NS,
        CLIENT_SECRET,
        &setup.platform.client_certificate().chain_pem(),
        None,
    );
    let (_, report) = setup.doctor(&[]).await;
    assert_eq!(report.failed(), ["client-certificate.format"]);
    report.assert_message("client-certificate.format", "no \"tls.key\" data");

    // A server's certificate where the CA belongs.
    let setup = Setup::healthy().await;
    let server = setup.platform.server_ca().server_cert(&["127.0.0.1"]);
    setup
        .kube()
        .put_tls_secret(NS, CA_SECRET, &server.cert_pem, None);
    let (_, report) = setup.doctor(&[]).await;
    assert_eq!(report.failed(), ["ca-secret.certificates"]);
    report.assert_message("ca-secret.certificates", "is not a CA certificate");
    report.assert_hint("ca-secret.certificates", "not the server's own certificate");

    // An encrypted client key.
    let setup = Setup::healthy().await;
    setup.kube().put_tls_secret(
        NS,
        CLIENT_SECRET,
        &setup.platform.client_certificate().chain_pem(),
        Some(region_client_testing::pki::ENCRYPTED_PKCS8_KEY_PEM),
    );
    let (_, report) = setup.doctor(&[]).await;
    assert_eq!(report.failed(), ["client-certificate.pem"]);
    report.assert_hint("client-certificate.pem", "openssl pkcs8 -topk8 -nocrypt");

    // A certificate where the key belongs: tls.key holds no private key block.
    let setup = Setup::healthy().await;
    let leaf = setup.platform.client_certificate();
    setup
        .kube()
        .put_tls_secret(NS, CLIENT_SECRET, &leaf.chain_pem(), Some(&leaf.cert_pem));
    let (_, report) = setup.doctor(&[]).await;
    assert_eq!(report.failed(), ["client-certificate.pem"]);
    report.assert_message("client-certificate.pem", "holds no PEM private key");
    report.assert_hint("client-certificate.pem", "BEGIN PRIVATE KEY");

    // A CA certificate rustls refuses as a trust anchor: its outer signature algorithm
    // (ecdsa-with-SHA256) differs from the one it was signed with (now ecdsa-with-SHA384).
    let setup = Setup::healthy().await;
    const SHA256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
    let mut der = Ca::new("odd-ca").cert_der.to_vec();
    let outer = der
        .windows(SHA256.len())
        .rposition(|w| w == SHA256)
        .expect("an ECDSA P-256 CA");
    der[outer + SHA256.len() - 1] = 0x03;
    let odd = region_client_testing::pki::pem("CERTIFICATE", &der);
    setup.kube().put_tls_secret(NS, CA_SECRET, &odd, None);
    let (_, report) = setup.doctor(&[]).await;
    assert_eq!(report.failed(), ["ca-secret.certificates"]);
    report.assert_message(
        "ca-secret.certificates",
        "the certificate at index 0 cannot be a trust anchor",
    );
    report.assert_hint("ca-secret.certificates", "re-issue the CA");

    // A chain out of order: the certificate after the leaf did not issue it.
    let setup = Setup::healthy().await;
    let stranger = Ca::new("stranger-ca");
    let chain = format!(
        "{}{}",
        setup.platform.client_certificate().cert_pem,
        stranger.cert_pem
    );
    setup.kube().put_tls_secret(
        NS,
        CLIENT_SECRET,
        &chain,
        Some(&setup.platform.client_certificate().key_pem()),
    );
    let (_, report) = setup.doctor(&[]).await;
    assert_eq!(report.failed(), ["client-certificate.chain"]);
    report.assert_message("client-certificate.chain", "index 1 (CN=stranger-ca");

    // No client certificate configured.
    let setup = Setup::healthy().await;
    let mut args = setup.args(&setup.region().url(), &["doctor", "-o", "json"]);
    args.truncate(args.len() - 4);
    let outcome = common::run(args).await;
    let report = common::Report(serde_json::from_str(&outcome.out).unwrap());
    assert_eq!(report.failed(), ["client-certificate.read"]);
    report.assert_hint("client-certificate.read", "--client-certificate-name");

    // Not an https:// URL.
    let (_, report) = setup.doctor_at("http://127.0.0.1:1", &[]).await;
    assert_eq!(report.failed(), ["region.dns"]);
    assert!(
        report
            .message("region.dns")
            .ends_with("is not an https:// URL")
    );

    // An ingress that does not pass the verified certificate on: the platform answers 401.
    let unverified = TestServer::builder(&setup.platform.server_ca().server_cert(&["127.0.0.1"]))
        .optional_client_cert(setup.platform.clients_ca())
        .handler(|_| {
            region_client_testing::platform::error_response(
                401,
                "access_denied",
                "authorization header missing",
                "0123456789abcdef0123456789abcdef",
            )
        })
        .start()
        .await;
    let (_, report) = setup.doctor_at(&unverified.url(), &[]).await;
    assert_eq!(report.failed(), ["region.mtls"]);
    assert_eq!(
        report.message("region.mtls"),
        "getVersion answered 401 Unauthorized: access_denied: authorization header missing \
         (trace id 0123456789abcdef0123456789abcdef)"
    );
    report.assert_hint("region.mtls", "Ssl-Client-Verify");
    // The answer's Date still tells the clocks apart.
    assert_eq!(report.status("region.clock"), "pass");

    // A port that refuses connections.
    let (_, report) = setup.doctor_at(&closed, &[]).await;
    assert_eq!(report.failed(), ["region.tcp"]);
    report.assert_message("region.tcp", "refused");

    // A server certificate for another name.
    let elsewhere = TestServer::builder(
        &setup
            .platform
            .server_ca()
            .server_cert(&["region.example.com"]),
    )
    .start()
    .await;
    let (_, report) = setup.doctor_at(&elsewhere.url(), &[]).await;
    assert_eq!(report.failed(), ["region.server-certificate"]);
    report.assert_message(
        "region.server-certificate",
        "is valid for DNS:region.example.com, not for 127.0.0.1",
    );

    // The platform's RBAC refuses the principal's calls: the platform's answer, with its trace.
    setup.region().forbid("region-doctor");
    let (_, report) = setup.doctor(&["--organization-id", ORGANIZATION]).await;
    assert_eq!(
        report.failed(),
        ["region.api-path", "region.controller-path"]
    );
    let message = report.message("region.api-path");
    assert!(
        message.starts_with(
            "listRegions answered 403 Forbidden: forbidden: operation is not allowed by rbac"
        ) && message.contains("(trace id "),
        "{message}"
    );
    report.assert_hint("region.controller-path", "RBAC");
}
