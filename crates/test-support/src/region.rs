//! A region API fake (being written).
