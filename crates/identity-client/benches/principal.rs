//! The `X-Principal` editor with its signature cache (steady state: the cached header is
//! reused) against signing afresh on every request, for P-256 and RSA keys.
//!
//! Run: `cargo bench -p identity-client --bench principal -- --warm-up-time 1 --measurement-time 3`

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use core_client::{ClientIdentity, HttpClient, HttpConfig, RequestEditor};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use identity_client::{
    Principal,
    editor::{PRINCIPAL_HEADER, PrincipalEditor},
    principal,
};
use test_support::{Ca, KeyKind, server::client_tls_config};

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _guard = runtime.enter();
    let ca = Ca::new("bench-ca");
    let principal = Principal::new(
        "9a3f1c2e-organization",
        "77b0d4aa-project",
        "alice@example.com",
    );
    let mut group = c.benchmark_group("x-principal");
    for (label, kind) in [("p256", KeyKind::EcdsaP256), ("rsa2048", KeyKind::Rsa)] {
        let leaf = ca.client_cert("bench-client", kind);
        let identity = ClientIdentity::new(leaf.chain_der(), leaf.key_der()).unwrap();
        let http = HttpClient::from_tls_config(
            client_tls_config(&ca, Some(&leaf)),
            Some(identity),
            HttpConfig::default(),
        );
        let editor = PrincipalEditor::new(http.clone(), principal.clone());

        group.bench_function(BenchmarkId::new("cached_editor", label), |b| {
            b.to_async(&runtime).iter(|| async {
                let mut request = http::Request::new(Bytes::new());
                editor.edit(&mut request).await.unwrap();
                request
            })
        });
        group.bench_function(BenchmarkId::new("sign_every_request", label), |b| {
            b.to_async(&runtime).iter(|| async {
                let mut request = http::Request::new(Bytes::new());
                let identity = http.client_identity().unwrap();
                let jws = principal::sign(&principal, &identity).unwrap();
                request
                    .headers_mut()
                    .insert(PRINCIPAL_HEADER, http::HeaderValue::from_str(&jws).unwrap());
                request
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
