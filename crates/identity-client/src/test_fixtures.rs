//! Fixtures of this crate's unit tests.

use core_client::{ClientIdentity, HttpClient};
use region_client_testing::{Ca, KeyKind, Leaf, server::client_tls_config};

/// An HTTP client presenting a new client certificate with a key of `kind` (none for `None`),
/// and that certificate.
pub(crate) fn http_presenting(kind: Option<KeyKind>) -> (HttpClient, Option<Leaf>) {
    let ca = Ca::new("ca");
    let leaf = kind.map(|kind| ca.client_cert("compute", kind));
    let identity = leaf
        .as_ref()
        .map(|leaf| ClientIdentity::new(leaf.chain_der(), leaf.key_der()).unwrap());
    let tls = client_tls_config(&ca, leaf.as_ref());
    (
        HttpClient::from_tls_config(tls, identity, Default::default()),
        leaf,
    )
}
