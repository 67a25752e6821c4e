//! Locking that survives a panic elsewhere: the fakes keep serving (and tests keep reading
//! what they recorded) after a test's closure panicked while a lock was held.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `mutex`, taking the data as it is when a panic poisoned it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
