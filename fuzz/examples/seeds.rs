//! Writes the seed corpora under `fuzz/corpus/<target>/` from real shapes: a real principal,
//! a JWS signed by the fixture's RSA key, URL-escaped PEM certificates as the ingress sends
//! them, resource metadata as the platform writes it, real references, and answers of the
//! region API in the v1.19.0 shapes (`fixtures/answers/`, credentials written `@SECRET@`).
//!
//! ```text
//! cargo run --manifest-path fuzz/Cargo.toml --example seeds
//! ```
//!
//! Every structured seed is read back through `arbitrary` and compared before it is written.
//! PSS signatures are randomized, so the JWS seeds differ from run to run (all are valid).

use std::{fmt::Debug, fs, path::Path};

use arbitrary::Arbitrary;
use core_client::tls::ClientIdentity;
use fuzz::{
    fixtures,
    inputs::{
        ContentType, DecodeInput, ExtractInput, Header, JwsInput, Key, Operation, ReferenceInput,
        ResourceInput, Seed, Source, TlsInput, read_back,
    },
};
use identity_client::{
    AccountType, Principal,
    principal::{self, jws},
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Result {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");

    let user = Principal::new(
        "9a5c1f4e-2b7d-4c1a-8f3e-6d2b9c0a1e47",
        "3f1e8d2c-7a6b-4e5d-9c0b-1a2f3e4d5c6b",
        "alice@example.com",
    )
    .with_organization_ids(["9a5c1f4e-2b7d-4c1a-8f3e-6d2b9c0a1e47"])
    .with_account_type(AccountType::User);
    let controller = Principal::new(
        "9a5c1f4e-2b7d-4c1a-8f3e-6d2b9c0a1e47",
        "3f1e8d2c-7a6b-4e5d-9c0b-1a2f3e4d5c6b",
        "kubernetes-controller",
    );
    let identity = ClientIdentity::new(
        vec![CertificateDer::from(fixtures::RSA_CERT_DER)],
        PrivateKeyDer::from_pem_slice(fixtures::RSA_KEY_PEM)?,
    )?;
    let signed = jws::sign(&controller, &identity)?;
    // Checked here so that a broken fixture is noticed before the corpus is written.
    assert_eq!(
        jws::verify(&signed, &CertificateDer::from(fixtures::RSA_CERT_DER))?,
        controller
    );
    let api_value = principal::encode(&user);
    let rsa_escaped = principal::escape_certificate(&CertificateDer::from(fixtures::RSA_CERT_DER));
    let ecdsa_escaped =
        principal::escape_certificate(&CertificateDer::from(fixtures::ECDSA_CERT_DER));

    // extract
    let dir = root.join("extract");
    let extract = |name: &str, input: ExtractInput<'_>| write(&dir, name, &input);
    extract(
        "api-path-json-impersonate",
        ExtractInput {
            source: Source::Ingress,
            headers: vec![
                (Header::SslClientCert, rsa_escaped.as_bytes()),
                (Header::SslClientVerify, b"SUCCESS"),
                (Header::Principal, api_value.as_bytes()),
                (Header::Impersonate, b"true"),
            ],
        },
    )?;
    extract(
        "controller-path-jws-peer",
        ExtractInput {
            source: Source::PeerFixture,
            headers: vec![(Header::Principal, signed.as_bytes())],
        },
    )?;
    extract(
        "controller-path-jws-ingress",
        ExtractInput {
            source: Source::Ingress,
            headers: vec![
                (Header::SslClientCert, rsa_escaped.as_bytes()),
                (Header::SslClientVerify, b"SUCCESS"),
                (Header::Principal, signed.as_bytes()),
            ],
        },
    )?;
    extract(
        "forwarded-chain-certificate",
        ExtractInput {
            source: Source::Ingress,
            headers: vec![
                (Header::ClientCertificate, ecdsa_escaped.as_bytes()),
                (Header::SslClientCert, rsa_escaped.as_bytes()),
                (Header::SslClientVerify, b"SUCCESS"),
                (Header::Principal, api_value.as_bytes()),
            ],
        },
    )?;
    extract(
        "bearer-token",
        ExtractInput {
            source: Source::PeerNone,
            headers: vec![(
                Header::Authorization,
                b"Bearer eyJhbGciOiJFUzUxMiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl",
            )],
        },
    )?;
    extract(
        "unverified-certificate",
        ExtractInput {
            source: Source::Ingress,
            headers: vec![
                (Header::SslClientCert, rsa_escaped.as_bytes()),
                (
                    Header::SslClientVerify,
                    b"FAILED:unable to verify the first certificate",
                ),
                (Header::Principal, api_value.as_bytes()),
            ],
        },
    )?;
    extract(
        "peer-ecdsa-with-bearer",
        ExtractInput {
            source: Source::PeerDer(fixtures::ECDSA_CERT_DER),
            headers: vec![
                (Header::Authorization, b"bearer opaque-token-0123456789"),
                (Header::Principal, api_value.as_bytes()),
            ],
        },
    )?;

    // principal_json (raw bytes: a header value, or the JSON inside one)
    let dir = root.join("principal_json");
    write_raw(&dir, "api-path-value", api_value.as_bytes())?;
    write_raw(&dir, "principal-json", &user.to_json())?;
    write_raw(&dir, "jws-value", signed.as_bytes())?;
    write_raw(
        &dir,
        "go-lenient-json",
        br#"{"ORGANIZATIONID":"o","organizationIds":["a",null],"projectid":null,"type":"robot","Actor":"a","actor":"b","extra":{"x":[1,2.5e3,true]}}"#,
    )?;
    write_raw(&dir, "null", b"null")?;

    // jws_verify
    let dir = root.join("jws_verify");
    let rs512 = format!(
        "eyJhbGciOiJSUzUxMiJ9.{}",
        signed.split_once('.').map_or("", |(_, rest)| rest)
    );
    let with_kid = format!(
        "eyJhbGciOiJQUzUxMiIsImtpZCI6IngifQ.{}",
        signed.split_once('.').map_or("", |(_, rest)| rest)
    );
    for (name, der, text) in [
        ("signed-fixture", fixtures::RSA_CERT_DER, signed.as_str()),
        (
            "signed-ecdsa-certificate",
            fixtures::ECDSA_CERT_DER,
            &signed,
        ),
        (
            "signed-garbage-der",
            b"\x30\x82\x01\x00\x02\x01".as_slice(),
            &signed,
        ),
        ("rs512-header", fixtures::RSA_CERT_DER, &rs512),
        ("extra-header-field", b"".as_slice(), &with_kid),
    ] {
        write(&dir, name, &JwsInput { der, jws: text })?;
    }

    // from_resource
    let dir = root.join("from_resource");
    write(
        &dir,
        "created-through-the-api",
        &ResourceInput {
            namespace: Some("unikorn-kubernetes"),
            name: Some("cluster-a"),
            labels: Some(vec![
                (Key::Organization, "9a5c1f4e-2b7d-4c1a-8f3e-6d2b9c0a1e47"),
                (Key::Project, "3f1e8d2c-7a6b-4e5d-9c0b-1a2f3e4d5c6b"),
                (Key::Other("app.kubernetes.io/managed-by"), "unikorn"),
            ]),
            annotations: Some(vec![(Key::Creator, "alice@example.com")]),
        },
    )?;
    write(
        &dir,
        "created-on-behalf",
        &ResourceInput {
            namespace: Some("unikorn-region"),
            name: Some("network-b"),
            labels: Some(vec![
                (Key::Organization, "service-org"),
                (Key::OrganizationPrincipal, "user-org"),
                (Key::Project, "service-project"),
                (Key::ProjectPrincipal, ""),
            ]),
            annotations: Some(vec![
                (Key::Creator, "kubernetes-service"),
                (Key::CreatorPrincipal, "bob@example.com"),
            ]),
        },
    )?;
    write(
        &dir,
        "no-annotations",
        &ResourceInput {
            namespace: None,
            name: Some("orphan"),
            labels: Some(vec![]),
            annotations: None,
        },
    )?;

    // reference
    let dir = root.join("reference");
    for (name, plural, group, object, text) in [
        (
            "legacy-group",
            "kubernetesclusters",
            "unikorn-cloud.org",
            "abc",
            "kubernetesclusters.kubernetes.unikorn-cloud.org/abc",
        ),
        (
            "region-group",
            "networks",
            "region.unikorn-cloud.org",
            "a64f9269-36e0-4312-b8d1-52d93d569b7b",
            "computeclusters.compute.unikorn-cloud.org/c-1",
        ),
        (
            "core-group",
            "secrets",
            "",
            "db-password",
            "configmaps/settings",
        ),
        (
            "escaped-once",
            "kubernetesclusters",
            "kubernetes.unikorn-cloud.org",
            "x_y.z",
            "kubernetesclusters.kubernetes.unikorn-cloud.org%2Fabc",
        ),
    ] {
        write(
            &dir,
            name,
            &ReferenceInput {
                plural,
                group,
                name: object,
                text,
            },
        )?;
    }

    // response_decode
    let dir = root.join("response_decode");
    let answers = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/answers");
    for (operation, id, status) in [
        (Operation::ListRegions, "listRegions", 200),
        (Operation::GetRegionDetail, "getRegionDetail", 200),
        (Operation::GetIdentity, "getIdentity", 200),
        (Operation::GetServerSshKey, "getServerSshKey", 200),
        (
            Operation::GetServerConsoleSessionV2,
            "getServerConsoleSessionV2",
            200,
        ),
        (Operation::CreateServerV2, "createServerV2", 201),
        (Operation::ListServersV2, "listServersV2", 200),
        (Operation::GetNetworkV2, "getNetworkV2", 200),
        (Operation::ListFlavors, "listFlavors", 200),
        (Operation::ListImagesV2, "listImagesV2", 200),
        (Operation::GetVersion, "getVersion", 200),
    ] {
        let body = fs::read(answers.join(format!("{id}.json")))?;
        // Compact, as servers send it.
        let body = serde_json::to_vec(&serde_json::from_slice::<serde_json::Value>(&body)?)?;
        decodes(operation, status, &body)?;
        write(
            &dir,
            id,
            &DecodeInput {
                operation,
                status,
                content_type: ContentType::Json,
                body: &body,
            },
        )?;
    }
    let error = br#"{"error":"not_found","error_description":"no such network","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}"#;
    for (name, operation, status, content_type, body) in [
        (
            "error-404",
            Operation::GetNetworkV2,
            404,
            ContentType::ProblemJson,
            error.as_slice(),
        ),
        (
            "error-401-credentials",
            Operation::GetIdentity,
            401,
            ContentType::Json,
            br#"{"error":"access_denied","error_description":"token expired"}"#,
        ),
        (
            "accepted-202",
            Operation::DeleteNetworkV2,
            202,
            ContentType::Absent,
            b"",
        ),
        (
            "created-201",
            Operation::AddNetworkReference,
            201,
            ContentType::Absent,
            b"",
        ),
        (
            "ingress-502-html",
            Operation::GetServerSshKey,
            502,
            ContentType::Html,
            b"<html><body>502 Bad Gateway @SECRET@</body></html>",
        ),
        (
            "wrong-type-credentials",
            Operation::GetRegionDetail,
            200,
            ContentType::Raw(b"application/json; charset=utf-8"),
            br#"{"metadata":"@SECRET@","spec":{"kubernetes":{"kubeconfig":"@SECRET@"}}}"#,
        ),
    ] {
        write(
            &dir,
            name,
            &DecodeInput {
                operation,
                status,
                content_type,
                body,
            },
        )?;
    }

    // tls_material
    let dir = root.join("tls_material");
    let chain = [fixtures::RSA_CERT_PEM, fixtures::ECDSA_CERT_PEM].concat();
    for (name, crt, key) in [
        ("rsa-pair", fixtures::RSA_CERT_PEM, fixtures::RSA_KEY_PEM),
        (
            "ecdsa-pair",
            fixtures::ECDSA_CERT_PEM,
            fixtures::ECDSA_KEY_PEM,
        ),
        (
            "rsa-leaf-with-chain",
            chain.as_slice(),
            fixtures::RSA_KEY_PEM,
        ),
        (
            "mismatched-pair",
            fixtures::RSA_CERT_PEM,
            fixtures::ECDSA_KEY_PEM,
        ),
    ] {
        write(&dir, name, &TlsInput { crt, key })?;
    }
    Ok(())
}

/// Checks that a success answer seed (credentials filled in) decodes as its operation's
/// documented success, so that the fuzzer starts from answers that get all the way through.
fn decodes(operation: Operation, status: u16, body: &[u8]) -> Result {
    use region_openapi::*;
    fn check<R: DecodeResponse + Debug>(status: u16, body: &[u8]) -> Result {
        let body = String::from_utf8_lossy(body).replace("@SECRET@", "c2VjcmV0");
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        let status = http::StatusCode::from_u16(status)?;
        ResponseValue::<R>::from_parts(status, headers, body)?
            .into_result()
            .map_err(|e| format!("{}: {e:?}", R::OPERATION))?;
        Ok(())
    }
    match operation {
        Operation::ListRegions => check::<ListRegionsResponse>(status, body),
        Operation::GetRegionDetail => check::<GetRegionDetailResponse>(status, body),
        Operation::GetIdentity => check::<GetIdentityResponse>(status, body),
        Operation::GetServerSshKey => check::<GetServerSshKeyResponse>(status, body),
        Operation::GetServerConsoleSessionV2 => {
            check::<GetServerConsoleSessionV2Response>(status, body)
        }
        Operation::CreateServerV2 => check::<CreateServerV2Response>(status, body),
        Operation::ListServersV2 => check::<ListServersV2Response>(status, body),
        Operation::GetNetworkV2 => check::<GetNetworkV2Response>(status, body),
        Operation::ListFlavors => check::<ListFlavorsResponse>(status, body),
        Operation::ListImagesV2 => check::<ListImagesV2Response>(status, body),
        Operation::DeleteNetworkV2 => check::<DeleteNetworkV2Response>(status, body),
        Operation::AddNetworkReference => check::<AddNetworkReferenceResponse>(status, body),
        Operation::GetVersion => check::<GetVersionResponse>(status, body),
    }
}

/// Writes `input` as seed `name`, after checking that it reads back equal.
fn write<'a, T>(dir: &Path, name: &str, input: &T) -> Result
where
    T: Seed + Arbitrary<'a> + PartialEq + Debug,
{
    let bytes = input.to_seed()?;
    // The seed's bytes must outlive the value read back from them.
    let bytes: &'a [u8] = Box::leak(bytes.into_boxed_slice());
    let back: T = read_back(bytes)?;
    if &back != input {
        return Err(format!("seed {name} reads back as {back:?}").into());
    }
    write_raw(dir, name, bytes)
}

fn write_raw(dir: &Path, name: &str, bytes: &[u8]) -> Result {
    fs::create_dir_all(dir)?;
    fs::write(dir.join(name), bytes)?;
    println!("{} ({} bytes)", dir.join(name).display(), bytes.len());
    Ok(())
}
