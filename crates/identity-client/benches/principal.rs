//! What `X-Principal` costs per request on each path:
//!
//! - API path: the base64url JSON is encoded once per client (per inbound request), against
//!   encoding it for every request;
//! - controller path: the PS512 signature from the shared cache, against signing on every
//!   request with RSA-2048 (what the cache saves);
//! - receiver: `principal::extract` of each form.
//!
//! Run: `cargo bench -p unikorn-identity-client --bench principal -- --warm-up-time 1 --measurement-time 3`

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use core_client::{ClientIdentity, HttpClient};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use identity_client::{
    Principal,
    editor::{SignatureCache, SignedPrincipalEditor},
    principal::{self, CertificateSource, escape_certificate, jws},
};
use region_client_testing::{Ca, KeyKind, server::client_tls_config};

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _guard = runtime.enter();
    let ca = Ca::new("bench-ca");
    let principal = Principal::new(
        "9a3f1c2e-5b7d-4e0a-8c6f-1d2e3f4a5b6c",
        "77b0d4aa-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
        "alice@example.com",
    );
    let leaf = ca.client_cert("compute", KeyKind::Rsa);
    let identity = ClientIdentity::new(leaf.chain_der(), leaf.key_der()).unwrap();
    let http = HttpClient::from_tls_config(
        client_tls_config(&ca, Some(&leaf)),
        Some(identity.clone()),
        Default::default(),
    );

    let mut group = c.benchmark_group("x-principal");
    group.bench_function(BenchmarkId::new("api", "encode"), |b| {
        b.iter(|| principal::encode(std::hint::black_box(&principal)))
    });
    let editor =
        SignedPrincipalEditor::new(http, principal.clone(), SignatureCache::new()).unwrap();
    editor.signed().unwrap();
    group.bench_function(BenchmarkId::new("controller", "cached"), |b| {
        b.iter(|| editor.signed().unwrap())
    });
    group.bench_function(BenchmarkId::new("controller", "sign-rsa2048"), |b| {
        b.iter(|| jws::sign(std::hint::black_box(&principal), &identity).unwrap())
    });

    let mut headers = http::HeaderMap::new();
    headers.insert(
        "ssl-client-cert",
        escape_certificate(&leaf.cert_der).parse().unwrap(),
    );
    headers.insert("ssl-client-verify", "SUCCESS".parse().unwrap());
    let mut json = headers.clone();
    json.insert(
        "x-principal",
        principal::encode(&principal).parse().unwrap(),
    );
    let mut signed = headers;
    signed.insert(
        "x-principal",
        jws::sign(&principal, &identity).unwrap().parse().unwrap(),
    );
    group.bench_function(BenchmarkId::new("extract", "json"), |b| {
        b.iter(|| principal::extract(&json, CertificateSource::Ingress).unwrap())
    });
    group.bench_function(BenchmarkId::new("extract", "jws-rsa2048"), |b| {
        b.iter(|| principal::extract(&signed, CertificateSource::Ingress).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
