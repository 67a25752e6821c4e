//! Fixtures of the workspace tests: a server that misbehaves on cue.
#![allow(dead_code, missing_docs)]

pub mod fault_server;
