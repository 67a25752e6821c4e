//! Checking what the test expected of its stubs against what they took, and saying what
//! differs readably: each stub off its expectation (expected, got), what stubs got wrong while
//! answering, then every call the region API received.

use std::fmt::{self, Write as _};

use super::state::Shared;
use crate::sync::lock;

/// The region API fake's expectations were not met, or its stubs went wrong: `Display` is the
/// report (each stub off its expectation with what it expected and got, each stub that
/// panicked or answered what the platform cannot, then every call received).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{report}")]
pub struct Unmet {
    report: String,
}

/// `Ok` when every stub took as many calls as it expects and no stub went wrong.
pub(super) fn check(shared: &Shared) -> Result<(), Unmet> {
    let mut unmet = Vec::new();
    for stub in lock(&shared.stubs).iter() {
        let Some(expected) = *lock(&stub.expected) else {
            continue;
        };
        let got = lock(&stub.calls).len();
        if !expected.contains(u64::try_from(got).unwrap_or(u64::MAX)) {
            unmet.push(format!(
                "stub #{} {}: expected {expected}, got {got}",
                stub.number, stub.label
            ));
        }
    }
    let state = shared.state();
    if unmet.is_empty() && state.problems.is_empty() {
        return Ok(());
    }
    let mut report = String::from("the region API's stubs were not used as expected:\n");
    for line in unmet.iter().chain(&state.problems) {
        let _ = writeln!(report, "  - {line}");
    }
    let _ = write!(report, "{}", Received(&state.calls));
    Err(Unmet { report })
}

/// The calls received, one a line.
struct Received<'c>(&'c [super::Call]);

impl fmt::Display for Received<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.len() {
            0 => writeln!(f, "it received no calls"),
            n => {
                writeln!(f, "it received {n} call{}:", if n == 1 { "" } else { "s" })?;
                for (index, call) in self.0.iter().enumerate() {
                    writeln!(f, "  {index}. {call}")?;
                }
                Ok(())
            }
        }
    }
}
