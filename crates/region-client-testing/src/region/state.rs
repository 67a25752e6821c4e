//! What a running region API fake holds: the model, the platform's settings (forbidden
//! actors, valid tokens), the stubs, and every call.

use std::{
    collections::BTreeSet,
    sync::{Arc, Mutex},
};

use tokio::sync::watch;

use super::{call::Call, model::Model, registered::StubState};
use crate::{platform::Tokens, sync::lock};

/// The state of one region API fake, shared by its server, its stubs' handles and the test.
pub(super) struct Shared {
    pub state: Mutex<State>,
    /// Every stub, in the order they were made (matched newest first).
    pub stubs: Mutex<Vec<Arc<StubState>>>,
    /// How many calls were recorded, for waiting on them.
    pub recorded: watch::Sender<usize>,
}

#[derive(Default)]
pub(super) struct State {
    pub model: Model,
    pub forbidden: BTreeSet<String>,
    pub tokens: Tokens,
    pub calls: Vec<Call>,
    /// What stubs got wrong while answering (a panic, an answer the platform cannot give).
    pub problems: Vec<String>,
    /// How far the server's clock is ahead of the true time (negative: behind), in seconds.
    pub clock_offset: i64,
}

impl Shared {
    pub fn new() -> Self {
        Self {
            state: Mutex::default(),
            stubs: Mutex::default(),
            recorded: watch::Sender::new(0),
        }
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// The stubs, newest first.
    pub fn stubs_newest_first(&self) -> Vec<Arc<StubState>> {
        lock(&self.stubs).iter().rev().cloned().collect()
    }

    /// Records a finished call.
    pub fn record(&self, call: Call) {
        let mut state = self.state();
        state.calls.push(call);
        self.recorded.send_replace(state.calls.len());
    }
}
