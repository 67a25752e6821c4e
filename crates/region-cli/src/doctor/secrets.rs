//! The Secret checks: each Secret is read and judged by core-client's own rules
//! ([`TlsSecret::read`], then [`TlsSecret::ca_certificates`] or
//! [`TlsSecret::client_identity`]: the checks a client build runs). Their typed error says
//! which stage failed; the stages before it passed and those after it are skipped. On success
//! the doctor adds what only it says: days left, the chain's names, and which paths the key
//! serves (identity-client's [`check_signing_key`]).

use std::time::{Duration, SystemTime};

use core_client::{
    ClientIdentity, SecretRef, TlsSecret,
    tls::{Roots, Validity, certificate_validity},
};
use identity_client::principal::{SignerError, check_signing_key};

use super::{
    catalogue::{
        CA_CERTIFICATES, CA_FORMAT, CA_READ, CA_VALIDITY, CLIENT_CHAIN, CLIENT_FORMAT,
        CLIENT_KEY_MATCH, CLIENT_KEY_TYPE, CLIENT_PEM, CLIENT_READ, CLIENT_VALIDITY,
        KUBERNETES_API, Spec,
    },
    cluster::Cluster,
    hints::{self, Role},
    report::{Finding, Report},
    x509::{self, Names},
};

/// What the Secret checks need.
pub(super) struct Context<'a> {
    /// The Kubernetes API, when reached.
    pub(super) cluster: Option<&'a Cluster>,
    /// How long one read may take (`HttpClientOptions::secret_read_timeout`).
    pub(super) timeout: Duration,
    /// Warn about certificates with fewer days left.
    pub(super) warn_days: u64,
}

/// The stages of the CA Secret, in the order core-client checks them.
const CA_STAGES: [Spec; 4] = [CA_READ, CA_FORMAT, CA_CERTIFICATES, CA_VALIDITY];
/// The stages of the client-certificate Secret core-client checks, in its order.
const CLIENT_STAGES: [Spec; 5] = [
    CLIENT_READ,
    CLIENT_FORMAT,
    CLIENT_PEM,
    CLIENT_KEY_MATCH,
    CLIENT_VALIDITY,
];
/// The client checks only the doctor makes, once the Secret is read.
const CLIENT_EXTRAS: [Spec; 2] = [CLIENT_CHAIN, CLIENT_KEY_TYPE];

/// The client certificate, as read and checked.
pub(super) struct ClientCertificate {
    pub(super) identity: ClientIdentity,
    /// The names of each certificate of its chain, leaf first (those that parse).
    pub(super) names: Vec<Names>,
}

/// What a stage that passed says, when a later one failed.
fn passed(spec: Spec, secret: &SecretRef) -> String {
    match spec {
        CA_READ | CLIENT_READ => format!(
            "`get` on secrets/{} in namespace {} allowed",
            secret.name, secret.namespace
        ),
        CA_FORMAT => "kubernetes.io/tls, with tls.crt".to_owned(),
        CLIENT_FORMAT => "kubernetes.io/tls, with tls.crt and tls.key".to_owned(),
        CA_CERTIFICATES => "the CA certificates parse".to_owned(),
        CLIENT_PEM => "the chain and the key parse".to_owned(),
        CLIENT_KEY_MATCH => "the key belongs to the certificate".to_owned(),
        _ => "holds".to_owned(),
    }
}

/// Records the stages of a Secret whose read failed at `failed`: the earlier ones passed, the
/// later ones (and `extras`) are skipped.
fn record_failure(
    report: &mut Report,
    stages: &[Spec],
    extras: &[Spec],
    secret: &SecretRef,
    failed: Spec,
    finding: Finding,
) {
    let at = stages.iter().position(|s| *s == failed).unwrap_or(0);
    for spec in &stages[..at] {
        report.pass(*spec, passed(*spec, secret));
    }
    report.fail(failed, finding);
    for spec in stages[at + 1..].iter().chain(extras) {
        report.skip(*spec, failed);
    }
}

/// Days from `now` to `until` (0 when past).
fn days_left(until: SystemTime, now: SystemTime) -> u64 {
    until
        .duration_since(now)
        .map_or(0, |left| left.as_secs() / 86_400)
}

/// Passes `spec` for a certificate within `validity`, or warns when it has fewer than
/// `warn_days` days left.
fn validity(report: &mut Report, spec: Spec, what: &str, validity: Validity, warn_days: u64) {
    let days = days_left(validity.not_after(), SystemTime::now());
    if days < warn_days {
        let until = validity.to_string();
        let not_after = until
            .rsplit_once("notAfter ")
            .map_or(until.as_str(), |(_, at)| at);
        report.warn(spec, hints::expires_soon(what, days, warn_days, not_after));
    } else {
        report.pass(spec, format!("{days} days left ({validity})"));
    }
}

/// The CA Secret's checks: the roots to check the server's certificate with, or the check
/// whose failure prevents that.
pub(super) async fn ca(
    report: &mut Report,
    context: &Context<'_>,
    secret: Option<&SecretRef>,
) -> Result<Roots, Spec> {
    let Some(secret) = secret else {
        report.section("ca-secret", "CA Secret (none configured)");
        report.pass(
            CA_READ,
            "no CA Secret configured: the web PKI roots are trusted",
        );
        for spec in &CA_STAGES[1..] {
            report.not_applicable(*spec, "no CA Secret configured");
        }
        return Ok(Roots::WebPki);
    };
    report.section("ca-secret", format!("CA Secret {secret}"));
    let Some(cluster) = context.cluster else {
        for spec in CA_STAGES {
            report.skip(spec, KUBERNETES_API);
        }
        return Err(KUBERNETES_API);
    };
    let now = SystemTime::now();
    let read = TlsSecret::read(&cluster.client, secret, context.timeout)
        .await
        .and_then(|read| read.ca_certificates(now));
    let cas = match read {
        Ok(cas) => cas,
        Err(error) => {
            let (failed, finding) = hints::secret(Role::Ca, &error, cluster.user.as_deref());
            record_failure(report, &CA_STAGES, &[], secret, failed, finding);
            return Err(failed);
        }
    };
    report.pass(CA_READ, passed(CA_READ, secret));
    report.pass(CA_FORMAT, passed(CA_FORMAT, secret));
    let certificates = cas.certificates();
    let subjects: Vec<String> = certificates
        .iter()
        .filter_map(|der| x509::names(der))
        .map(|names| names.subject)
        .collect();
    report.pass(
        CA_CERTIFICATES,
        format!(
            "{} CA certificate(s): {}",
            certificates.len(),
            subjects.join("; ")
        ),
    );
    // The CA that stays valid longest (core-client refused the Secret if none is valid now).
    let longest = certificates
        .iter()
        .filter_map(|der| Some((certificate_validity(der).ok()?, der)))
        .filter(|(window, _)| window.contains(now))
        .max_by_key(|(window, _)| window.not_after());
    if let Some((window, der)) = longest {
        let subject =
            x509::names(der).map_or("the CA".to_owned(), |n| format!("the CA {}", n.subject));
        validity(report, CA_VALIDITY, &subject, window, context.warn_days);
    }
    Ok(cas.into_roots())
}

/// The client-certificate Secret's checks: the certificate, or the check whose failure means
/// there is none to present.
pub(super) async fn client(
    report: &mut Report,
    context: &Context<'_>,
    secret: Option<&SecretRef>,
) -> Result<ClientCertificate, Spec> {
    let Some(secret) = secret else {
        report.section(
            "client-certificate",
            "Client certificate Secret (none configured)",
        );
        report.fail(CLIENT_READ, hints::no_client_certificate());
        for spec in CLIENT_STAGES[1..].iter().chain(&CLIENT_EXTRAS) {
            report.skip(*spec, CLIENT_READ);
        }
        return Err(CLIENT_READ);
    };
    report.section(
        "client-certificate",
        format!("Client certificate Secret {secret}"),
    );
    let Some(cluster) = context.cluster else {
        for spec in CLIENT_STAGES.iter().chain(&CLIENT_EXTRAS) {
            report.skip(*spec, KUBERNETES_API);
        }
        return Err(KUBERNETES_API);
    };
    let read = TlsSecret::read(&cluster.client, secret, context.timeout)
        .await
        .and_then(|read| read.client_identity(SystemTime::now()));
    let identity = match read {
        Ok(identity) => identity,
        Err(error) => {
            let (failed, finding) = hints::secret(Role::Client, &error, cluster.user.as_deref());
            record_failure(
                report,
                &CLIENT_STAGES,
                &CLIENT_EXTRAS,
                secret,
                failed,
                finding,
            );
            return Err(failed);
        }
    };
    let names: Vec<Names> = identity
        .chain()
        .iter()
        .filter_map(|der| x509::names(der))
        .collect();
    let key_type = format!("{:?}", identity.signing_key().algorithm());
    let leaf = names
        .first()
        .map_or("the certificate".to_owned(), |n| n.subject.clone());
    report.pass(CLIENT_READ, passed(CLIENT_READ, secret));
    report.pass(CLIENT_FORMAT, passed(CLIENT_FORMAT, secret));
    report.pass(
        CLIENT_PEM,
        format!(
            "{} certificate(s), leaf {leaf}; {key_type} key",
            identity.chain().len()
        ),
    );
    report.pass(CLIENT_KEY_MATCH, format!("the key belongs to {leaf}"));
    validity(
        report,
        CLIENT_VALIDITY,
        &format!("the client certificate {leaf}"),
        identity.validity(),
        context.warn_days,
    );
    chain(report, &names);
    match check_signing_key(&identity) {
        Ok(()) => report.pass(
            CLIENT_KEY_TYPE,
            format!("{key_type}: the API path and the controller path both work"),
        ),
        Err(SignerError::UnsupportedKeyType { key_type }) => {
            report.warn(CLIENT_KEY_TYPE, hints::key_type(&format!("{key_type:?}")));
        }
        Err(other) => report.warn(CLIENT_KEY_TYPE, hints::key_type(&other.to_string())),
    }
    Ok(ClientCertificate { identity, names })
}

/// `client-certificate.chain`: each certificate of `tls.crt` after the leaf issued the one
/// before it.
fn chain(report: &mut Report, names: &[Names]) {
    for (index, pair) in names.windows(2).enumerate() {
        let [issued, issuer] = pair else { continue };
        if issued.issuer_der != issuer.subject_der {
            report.fail(
                CLIENT_CHAIN,
                hints::broken_chain(index + 1, &issuer.subject, &issued.issuer),
            );
            return;
        }
    }
    let Some(leaf) = names.first() else {
        report.pass(CLIENT_CHAIN, "one certificate");
        return;
    };
    let path: Vec<&str> = names.iter().map(|n| n.subject.as_str()).collect();
    let top = names.last().unwrap_or(leaf);
    let message = if top.subject_der == top.issuer_der {
        format!("{}, up to the self-signed CA", path.join(" ← "))
    } else {
        format!(
            "{}, issued by {} (not in tls.crt: the server must hold it)",
            path.join(" ← "),
            top.issuer
        )
    };
    report.pass(CLIENT_CHAIN, message);
}
