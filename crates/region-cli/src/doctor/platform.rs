//! The checks the platform decides: `region.mtls` (its ingress and middleware accept this
//! service's certificate and principal on `GET /api/version`), `region.api-path` and
//! `region.controller-path` (a `listRegions` on each path, accepted), and `region.clock`
//! (the `Date` of the region API's answer against this machine's clock).
//!
//! The calls are made with region-client's own clients, exactly as the service would make
//! them; a refusal is the platform's answer, shown with its error body and trace ID.

use std::{
    collections::BTreeMap,
    time::{Duration, SystemTime},
};

use identity_client::{
    Principal, RequestContext,
    principal::{CREATOR_ANNOTATION, ORGANIZATION_LABEL, PROJECT_LABEL},
};
use k8s_openapi::api::core::v1::ConfigMap;
use region_openapi::uuid::Uuid;

use super::{
    catalogue::{REGION_API_PATH, REGION_CLOCK, REGION_CONTROLLER_PATH, REGION_MTLS, Spec},
    hints,
    report::{Finding, Report},
};

/// Who the test calls are made for, and the clock limit.
pub(super) struct Calls<'a> {
    /// The region API, with the service's options.
    pub(super) region: &'a region_client::Client,
    /// The organization of the API-path and controller-path calls (none: not made).
    pub(super) organization: Option<Uuid>,
    /// The project of the principal.
    pub(super) project: Option<Uuid>,
    /// The actor of the principal.
    pub(super) actor: &'a str,
    /// The largest clock difference accepted.
    pub(super) max_skew: Duration,
}

/// When an answer was asked for and came, and the `Date` it carried.
struct Timed {
    sent: SystemTime,
    received: SystemTime,
    date: Option<http::HeaderValue>,
}

/// Every check of this file, in order; when `blocker` did not pass, each is skipped.
pub(super) async fn check(report: &mut Report, calls: &Calls<'_>, blocker: Option<Spec>) {
    if let Some(blocker) = blocker {
        for spec in [
            REGION_MTLS,
            REGION_API_PATH,
            REGION_CONTROLLER_PATH,
            REGION_CLOCK,
        ] {
            report.skip(spec, blocker);
        }
        return;
    }
    let timed = mtls(report, calls).await;
    let accepted = report.status(REGION_MTLS) == Some(super::report::Status::Pass);
    match (calls.organization, accepted) {
        (_, false) => {
            report.skip(REGION_API_PATH, REGION_MTLS);
            report.skip(REGION_CONTROLLER_PATH, REGION_MTLS);
        }
        (None, true) => {
            let reason = "give --organization-id to make a call in an organization";
            report.not_applicable(REGION_API_PATH, reason);
            report.not_applicable(REGION_CONTROLLER_PATH, reason);
        }
        (Some(organization), true) => {
            api_path(report, calls, organization).await;
            controller_path(report, calls, organization).await;
        }
    }
    match timed {
        Some(timed) => clock(report, &timed, calls.max_skew),
        None => report.skip(REGION_CLOCK, REGION_MTLS),
    }
}

/// The principal of the test calls.
fn principal(calls: &Calls<'_>) -> Principal {
    let text = |id: Option<Uuid>| id.map(|id| id.to_string()).unwrap_or_default();
    Principal::new(text(calls.organization), text(calls.project), calls.actor)
}

/// `region.mtls`: `GET /api/version` on the API path. The answer's timing, when one came.
async fn mtls(report: &mut Report, calls: &Calls<'_>) -> Option<Timed> {
    let context = RequestContext::new().with_principal(principal(calls));
    let client = match calls.region.api_client(&context).await {
        Ok(client) => client,
        Err(error) => {
            report.fail(REGION_MTLS, hints::client_setup(&error));
            return None;
        }
    };
    let sent = SystemTime::now();
    let answer = match client.get_version().await {
        Ok(answer) => answer,
        Err(error) => {
            report.fail(REGION_MTLS, hints::request(&error));
            return None;
        }
    };
    let timed = Timed {
        sent,
        received: SystemTime::now(),
        date: answer.headers().get(http::header::DATE).cloned(),
    };
    let status = answer.status();
    match answer.into_result() {
        Ok(version) => report.pass(
            REGION_MTLS,
            format!(
                "{} {} answered {status}: it authenticated this service's certificate",
                version.name, version.version
            ),
        ),
        Err(error) => report.fail(
            REGION_MTLS,
            hints::answer("getVersion", status, error.error_body()),
        ),
    }
    Some(timed)
}

/// The outcome of a `listRegions` through `client`.
async fn list_regions(
    client: &region_openapi::Client,
    organization: Uuid,
) -> Result<String, Finding> {
    let answer = client
        .list_regions(organization)
        .await
        .map_err(|error| hints::request(&error))?;
    let status = answer.status();
    match answer.into_result() {
        Ok(regions) => Ok(format!(
            "listRegions answered {status}: {} region(s) in organization {organization}",
            regions.len()
        )),
        Err(error) => Err(hints::answer("listRegions", status, error.error_body())),
    }
}

/// `region.api-path`: `listRegions` for the principal of the command line.
async fn api_path(report: &mut Report, calls: &Calls<'_>, organization: Uuid) {
    let context = RequestContext::new().with_principal(principal(calls));
    let outcome = match calls.region.api_client(&context).await {
        Ok(client) => list_regions(&client, organization).await,
        Err(error) => Err(hints::client_setup(&error)),
    };
    match outcome {
        Ok(message) => report.pass(REGION_API_PATH, message),
        Err(finding) => report.fail(REGION_API_PATH, finding),
    }
}

/// `region.controller-path`: `listRegions` for a resource carrying the principal in its labels
/// and annotations, as a controller's resource does; signed with the client certificate's key.
async fn controller_path(report: &mut Report, calls: &Calls<'_>, organization: Uuid) {
    let mut labels = BTreeMap::from([(ORGANIZATION_LABEL.to_owned(), organization.to_string())]);
    if let Some(project) = calls.project {
        labels.insert(PROJECT_LABEL.to_owned(), project.to_string());
    }
    let mut resource = ConfigMap::default();
    resource.metadata.name = Some("region-doctor".to_owned());
    resource.metadata.labels = Some(labels);
    resource.metadata.annotations = Some(BTreeMap::from([(
        CREATOR_ANNOTATION.to_owned(),
        calls.actor.to_owned(),
    )]));
    let outcome = match calls.region.controller_client(&resource).await {
        Ok(client) => list_regions(&client, organization).await,
        Err(error) => Err(hints::client_setup(&error)),
    };
    match outcome {
        Ok(message) => report.pass(REGION_CONTROLLER_PATH, message),
        Err(finding) => report.fail(REGION_CONTROLLER_PATH, finding),
    }
}

/// `region.clock`: the server's `Date` against the local clock between sending and receiving
/// (`Date` counts whole seconds, so a second either side is no difference).
fn clock(report: &mut Report, timed: &Timed, limit: Duration) {
    let Some(date) = timed
        .date
        .as_ref()
        .and_then(|value| value.to_str().ok())
        .and_then(|text| httpdate::parse_http_date(text).ok())
    else {
        report.warn(REGION_CLOCK, hints::no_date());
        return;
    };
    let second = Duration::from_secs(1);
    let earliest = timed.sent.checked_sub(second).unwrap_or(timed.sent);
    let latest = timed.received + second;
    let (skew, ahead) = if let Ok(behind) = earliest.duration_since(date) {
        (behind, false)
    } else if let Ok(ahead) = date.duration_since(latest) {
        (ahead, true)
    } else {
        (Duration::ZERO, true)
    };
    if skew > limit {
        report.fail(REGION_CLOCK, hints::clock(skew, ahead, limit));
    } else {
        report.pass(
            REGION_CLOCK,
            format!(
                "the region API's Date is within {}s of this machine's clock (limit {}s)",
                skew.as_secs(),
                limit.as_secs()
            ),
        );
    }
}
