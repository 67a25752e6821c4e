//! Stubs: [`Stub`] (what a test says an operation answers, and when) and [`Stubbed`] (the
//! handle of a stub in place: its expectation and the calls it took).

use std::{
    fmt,
    sync::{Arc, Mutex, atomic::AtomicU64},
};

use region_openapi::OperationId;
use serde::Serialize;

use super::{
    answer::{Answer, Fault},
    call::Call,
    registered::{Predicate, Responder, StubState},
    state::Shared,
    times::Times,
};
use crate::sync::lock;

/// A stub being made: an operation, and optionally which of its calls it takes
/// ([`when`](Self::when), [`with_param`](Self::with_param)) and how many
/// ([`times`](Self::times)). It answers nothing until given its answer: [`respond`](Self::respond),
/// [`respond_empty`](Self::respond_empty), [`respond_error`](Self::respond_error),
/// [`respond_with`](Self::respond_with) or [`fail`](Self::fail), which put it in place.
///
/// Stubs only ever see calls the platform accepted: a call it refuses (no principal, a bad
/// certificate, an ID that is not a UUID, a body that does not match its schema, ...) is
/// refused as the platform refuses it, whatever the stubs say. The newest stub that takes a
/// call answers it; a stub whose [`times`](Self::times) are used up takes no more calls, so
/// older stubs and then the model answer them again.
#[must_use = "a stub answers nothing until given its answer: respond, respond_empty, respond_error, respond_with or fail"]
pub struct Stub {
    shared: Arc<Shared>,
    operation: OperationId,
    predicates: Vec<Predicate>,
    conditions: Vec<String>,
    limit: Option<u64>,
}

impl fmt::Debug for Stub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stub")
            .field("operation", &self.operation)
            .field("conditions", &self.conditions)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl Stub {
    pub(super) fn new(shared: Arc<Shared>, operation: OperationId) -> Self {
        Self {
            shared,
            operation,
            predicates: Vec::new(),
            conditions: Vec::new(),
            limit: None,
        }
    }

    /// Takes only the calls for which `predicate` holds (it sees the call with its decoded
    /// parameters, body and authentication; several `when`s must all hold).
    pub fn when(mut self, predicate: impl Fn(&Call) -> bool + Send + Sync + 'static) -> Self {
        self.predicates.push(Box::new(predicate));
        self.conditions.push("when(..)".to_owned());
        self
    }

    /// Takes only the calls whose path parameter `name` is `value` (a UUID parameter matches
    /// the same UUID in any form).
    pub fn with_param(mut self, name: &str, value: impl fmt::Display) -> Self {
        let (name, value) = (name.to_owned(), value.to_string());
        self.conditions
            .push(format!("with_param({name:?}, {value:?})"));
        self.predicates.push(Box::new(move |call| {
            call.param(&name).is_some_and(|have| {
                have == value
                    || matches!(
                        (have.parse::<uuid::Uuid>(), value.parse::<uuid::Uuid>()),
                        (Ok(have), Ok(want)) if have == want
                    )
            })
        }));
        self
    }

    /// Takes at most `n` calls; later ones go on to older stubs and the model. Faults are
    /// usually given this way: "the next call is a 503".
    pub fn times(mut self, n: u64) -> Self {
        self.limit = Some(n);
        self.conditions.push(format!("times({n})"));
        self
    }

    /// Answers the operation's documented success `status` with `body` as JSON, e.g.
    /// `.respond(200, &network)` with a `region_openapi::types::NetworkV2Read`.
    ///
    /// # Panics
    /// When `status` is not the operation's documented success status (the platform answers
    /// no other success), or `body` does not serialize to JSON.
    #[track_caller]
    pub fn respond(self, status: u16, body: &impl Serialize) -> Stubbed {
        self.answer(Answer::json(status, body))
    }

    /// Answers the operation's documented success `status` without a body (e.g. `202` for a
    /// delete, `201` for a reference added).
    ///
    /// # Panics
    /// When `status` is not the operation's documented success status.
    #[track_caller]
    pub fn respond_empty(self, status: u16) -> Stubbed {
        self.answer(Answer::empty(status))
    }

    /// Answers the platform's error body (see [`Answer::error`]), e.g.
    /// `.respond_error(409, "a network of this name exists")`.
    ///
    /// # Panics
    /// When the platform has no error body for `status` (see [`Answer`]).
    #[track_caller]
    pub fn respond_error(self, status: u16, description: impl Into<String>) -> Stubbed {
        self.answer(Answer::error(status, description))
    }

    /// Inflicts `fault` instead of the platform's answer; see [`Fault`].
    ///
    /// # Panics
    /// When `fault` cannot be (a [`Fault::Status`] below 400 or above 599).
    #[track_caller]
    pub fn fail(self, fault: Fault) -> Stubbed {
        self.answer(Answer::fault(fault))
    }

    /// Answers with what `answer` makes of each call: its decoded path parameters
    /// ([`Call::param`], [`Call::uuid`]), body ([`Call::body_as`]) and authentication
    /// ([`Call::caller`], [`Call::principal`]). An answer the platform cannot give, or a panic,
    /// is answered `500` and reported when the expectations are checked.
    pub fn respond_with(self, answer: impl Fn(&Call) -> Answer + Send + Sync + 'static) -> Stubbed {
        self.put("respond_with(..)".to_owned(), Box::new(answer))
    }

    #[track_caller]
    fn answer(self, answer: Answer) -> Stubbed {
        if let Some(problem) = answer.problem(self.operation.spec()) {
            panic!("stub for {}: {problem}", self.operation);
        }
        let label = answer.label();
        self.put(label, Box::new(move |_| answer.clone()))
    }

    fn put(self, answer_label: String, responder: Responder) -> Stubbed {
        let mut stubs = lock(&self.shared.stubs);
        let mut label = format!("on({})", self.operation);
        for condition in &self.conditions {
            label.push('.');
            label.push_str(condition);
        }
        label.push('.');
        label.push_str(&answer_label);
        let stub = Arc::new(StubState {
            number: stubs.len(),
            operation: self.operation,
            predicates: self.predicates,
            limit: self.limit,
            responder,
            label,
            taken: AtomicU64::new(0),
            calls: Mutex::default(),
            expected: Mutex::default(),
        });
        stubs.push(stub.clone());
        drop(stubs);
        Stubbed { stub }
    }
}

/// A stub in place: say how many calls it expects ([`expect`](Self::expect), checked when the
/// fake is dropped), or look at the calls it took.
#[derive(Clone)]
pub struct Stubbed {
    stub: Arc<StubState>,
}

impl fmt::Debug for Stubbed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stubbed")
            .field("stub", &self.stub.label)
            .finish_non_exhaustive()
    }
}

impl Stubbed {
    /// Expects this stub to take `times` calls (a number, or a range such as `1..` or
    /// `..=2`), checked when the region API fake is dropped (and by
    /// [`RegionApi::verify`](super::RegionApi::verify)).
    pub fn expect(self, times: impl Into<Times>) -> Self {
        *lock(&self.stub.expected) = Some(times.into());
        self
    }

    /// The calls this stub took, in order, as they were answered.
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.stub.calls).clone()
    }

    /// The stub's number (its calls are [`AnsweredBy::Stub`](super::AnsweredBy::Stub) with it).
    pub fn number(&self) -> usize {
        self.stub.number
    }
}
