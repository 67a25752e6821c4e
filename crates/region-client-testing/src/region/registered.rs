//! [`StubState`]: a stub as the fake's server holds and uses it, apart from the API tests write
//! stubs with (`stub.rs`), so that the fake's state and that API do not import each other.

use std::sync::{
    Mutex,
    atomic::{AtomicU64, Ordering},
};

use region_openapi::OperationId;

use super::{answer::Answer, call::Call, times::Times};

/// Which calls a stub takes.
pub(super) type Predicate = Box<dyn Fn(&Call) -> bool + Send + Sync>;
/// What a stub answers to a call it took.
pub(super) type Responder = Box<dyn Fn(&Call) -> Answer + Send + Sync>;

/// A stub as the server uses it.
pub(super) struct StubState {
    pub number: usize,
    pub operation: OperationId,
    pub predicates: Vec<Predicate>,
    pub limit: Option<u64>,
    pub responder: Responder,
    /// How the test made it: `on(getNetworkV2).times(1).respond(200, body)`.
    pub label: String,
    /// Calls taken, counted as they are taken (for `times`).
    pub taken: AtomicU64,
    /// Calls taken, as they were answered.
    pub calls: Mutex<Vec<Call>>,
    pub expected: Mutex<Option<Times>>,
}

impl StubState {
    /// Whether this stub takes `call`: its operation, every predicate, and a call left of
    /// its `times` (which taking it uses up).
    pub fn take(&self, call: &Call) -> bool {
        if call.operation != Some(self.operation) || !self.predicates.iter().all(|p| p(call)) {
            return false;
        }
        let Some(limit) = self.limit else {
            self.taken.fetch_add(1, Ordering::SeqCst);
            return true;
        };
        self.taken
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |taken| {
                (taken < limit).then_some(taken + 1)
            })
            .is_ok()
    }

    /// The stub's answer to `call`.
    pub fn answer(&self, call: &Call) -> Answer {
        (self.responder)(call)
    }
}
