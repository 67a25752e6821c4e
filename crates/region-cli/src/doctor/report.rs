//! What `region doctor` found: one line per check (✓ pass, ! warning, × failure, - skipped),
//! the cause and the fix under each failure or warning, then a summary; or the same as one JSON
//! or YAML document whose shape is stable (see the README).

use std::io::{self, Write};

use serde::Serialize;

use super::catalogue::Spec;

/// The README section that explains every check and its fixes.
pub(crate) const DOC: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "#operators-region-doctor");

/// How a check ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    /// It holds.
    Pass,
    /// It holds for now, or only in part: say so, but do not fail.
    Warn,
    /// It does not hold: the setup is broken.
    Fail,
    /// Not checked: a check it depends on did not pass, or it does not apply.
    Skip,
}

impl Status {
    fn symbol(self) -> char {
        match self {
            Self::Pass => '✓',
            Self::Warn => '!',
            Self::Fail => '×',
            Self::Skip => '-',
        }
    }
}

/// What is wrong, and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Finding {
    /// The precise cause.
    pub(crate) message: String,
    /// The fix.
    pub(crate) hint: String,
}

impl Finding {
    /// A finding.
    pub(crate) fn new(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: hint.into(),
        }
    }
}

/// One check's outcome.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Check {
    /// Its stable ID.
    pub(crate) id: &'static str,
    /// Its section.
    pub(crate) section: &'static str,
    /// What it checks.
    pub(crate) title: &'static str,
    /// How it ended.
    pub(crate) status: Status,
    /// What it found.
    pub(crate) message: String,
    /// How to fix it (failures and warnings).
    pub(crate) hint: Option<String>,
    /// Where the fixes are explained (failures and warnings).
    pub(crate) doc: Option<&'static str>,
    /// The check whose outcome made this one be skipped.
    pub(crate) depends_on: Option<&'static str>,
}

/// A section: a subject several checks are about (a Secret, the host).
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Section {
    /// The ID its checks' IDs start with.
    pub(crate) id: &'static str,
    /// What it is about, e.g. `Client certificate Secret unikorn/compute-client`.
    pub(crate) title: String,
}

/// How many checks ended each way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Summary {
    pub(crate) passed: usize,
    pub(crate) warnings: usize,
    pub(crate) failed: usize,
    pub(crate) skipped: usize,
}

/// Everything `region doctor` found, in order.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    /// The document's kind, for automation: `RegionDoctorReport`.
    kind: &'static str,
    /// The document's version; a field's meaning never changes within one.
    version: u32,
    /// `--region-host` as given.
    region_host: String,
    /// Whether no check failed.
    healthy: bool,
    summary: Summary,
    sections: Vec<Section>,
    checks: Vec<Check>,
}

impl Report {
    /// An empty report about the region API at `region_host`.
    pub(crate) fn new(region_host: &str) -> Self {
        Self {
            kind: "RegionDoctorReport",
            version: 1,
            region_host: region_host.to_owned(),
            healthy: true,
            summary: Summary::default(),
            sections: Vec::new(),
            checks: Vec::new(),
        }
    }

    /// Starts the section `id`, about `title`.
    pub(crate) fn section(&mut self, id: &'static str, title: impl Into<String>) {
        self.sections.push(Section {
            id,
            title: title.into(),
        });
    }

    fn push(&mut self, spec: Spec, status: Status, message: String, hint: Option<String>) {
        match status {
            Status::Pass => self.summary.passed += 1,
            Status::Warn => self.summary.warnings += 1,
            Status::Fail => self.summary.failed += 1,
            Status::Skip => self.summary.skipped += 1,
        }
        self.healthy &= status != Status::Fail;
        let doc = hint.is_some().then_some(DOC);
        self.checks.push(Check {
            id: spec.id,
            section: spec.section(),
            title: spec.title,
            status,
            message,
            hint,
            doc,
            depends_on: None,
        });
    }

    /// `spec` holds: `message` says what was found.
    pub(crate) fn pass(&mut self, spec: Spec, message: impl Into<String>) {
        self.push(spec, Status::Pass, message.into(), None);
    }

    /// `spec` holds, but not for long or not in every way.
    pub(crate) fn warn(&mut self, spec: Spec, finding: Finding) {
        self.push(spec, Status::Warn, finding.message, Some(finding.hint));
    }

    /// `spec` does not hold.
    pub(crate) fn fail(&mut self, spec: Spec, finding: Finding) {
        self.push(spec, Status::Fail, finding.message, Some(finding.hint));
    }

    /// `spec` was not checked, because `blocker` did not pass.
    pub(crate) fn skip(&mut self, spec: Spec, blocker: Spec) {
        let message = format!("skipped: {} did not pass", blocker.id);
        self.push(spec, Status::Skip, message, None);
        if let Some(check) = self.checks.last_mut() {
            check.depends_on = Some(blocker.id);
        }
    }

    /// `spec` does not apply here, for `reason`.
    pub(crate) fn not_applicable(&mut self, spec: Spec, reason: impl Into<String>) {
        self.push(
            spec,
            Status::Skip,
            format!("skipped: {}", reason.into()),
            None,
        );
    }

    /// How `spec` ended, once checked.
    pub(crate) fn status(&self, spec: Spec) -> Option<Status> {
        self.checks
            .iter()
            .find(|check| check.id == spec.id)
            .map(|check| check.status)
    }

    /// Whether no check failed.
    pub(crate) fn healthy(&self) -> bool {
        self.healthy
    }

    /// Writes the report for people: a heading per section, a line per check, the cause and
    /// the fix under failures and warnings, then the summary.
    pub(crate) fn write_text(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "region doctor: {}", self.region_host)?;
        let mut section = "";
        for check in &self.checks {
            if check.section != section {
                section = check.section;
                let title = self
                    .sections
                    .iter()
                    .find(|s| s.id == section)
                    .map_or(section, |s| s.title.as_str());
                writeln!(out)?;
                writeln!(out, "{title}")?;
            }
            let symbol = check.status.symbol();
            writeln!(out, "  {symbol} {}: {}", check.title, check.message)?;
            if let Some(hint) = &check.hint {
                writeln!(out, "      fix: {hint}")?;
            }
            if let Some(doc) = check.doc {
                writeln!(out, "      see: {doc} ({})", check.id)?;
            }
        }
        let Summary {
            passed,
            warnings,
            failed,
            skipped,
        } = self.summary;
        writeln!(out)?;
        let verdict = if self.healthy { "healthy" } else { "BROKEN" };
        writeln!(
            out,
            "{verdict}: {passed} passed, {warnings} warning(s), {failed} failed, {skipped} skipped"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::catalogue::{CLIENT_KEY_MATCH, CLIENT_PEM, CLIENT_READ, CLIENT_VALIDITY};

    #[test]
    fn text_has_a_line_per_check_and_the_fix_under_a_failure() {
        let mut report = Report::new("https://region.example.com");
        report.section("client-certificate", "Client certificate Secret ns/compute");
        report.pass(CLIENT_READ, "read ns/compute");
        report.warn(CLIENT_VALIDITY, Finding::new("12 days left", "renew it"));
        report.fail(CLIENT_PEM, Finding::new("bad PEM", "fix the PEM"));
        report.skip(CLIENT_KEY_MATCH, CLIENT_PEM);
        let mut out = Vec::new();
        report.write_text(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let expected = format!(
            "region doctor: https://region.example.com\n\
             \n\
             Client certificate Secret ns/compute\n\
             \x20 ✓ Secret readable: read ns/compute\n\
             \x20 ! certificate within its validity window: 12 days left\n\
             \x20     fix: renew it\n\
             \x20     see: {DOC} (client-certificate.validity)\n\
             \x20 × certificate chain and private key parse: bad PEM\n\
             \x20     fix: fix the PEM\n\
             \x20     see: {DOC} (client-certificate.pem)\n\
             \x20 - private key matches the certificate: skipped: client-certificate.pem did not pass\n\
             \n\
             BROKEN: 1 passed, 1 warning(s), 1 failed, 1 skipped\n"
        );
        assert_eq!(text, expected);
        assert!(!report.healthy());
        assert_eq!(report.status(CLIENT_PEM), Some(Status::Fail));
    }
}
