//! An in-process OIDC issuer for tests (being written).
