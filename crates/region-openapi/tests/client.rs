//! The generated client against a real in-process HTTPS server (the testing kit): a round trip for
//! each shape of operation the region API has (list, create, update, delete, bodyless PUT,
//! action POST), typed parameters, documented and undocumented answers, `into_result`,
//! headers, decoding failures and request editors.

use std::sync::Arc;

use bytes::Bytes;
use core_client::{
    BoxFuture, ClientBuilder as _, EditorError, HttpClient, HttpConfig, RequestEditor,
};
use region_client_testing::{
    Ca, RecordedRequest, TestServer,
    server::{client_tls_config, empty_response, json_response},
};
use region_openapi::{
    AddNetworkReferenceResponse, ApiResponse, Client, CreateNetworkV2Response,
    DeleteNetworkV2Response, Error, GetRegionDetailResponse, ListRegionsResponse, OperationId,
    RemoveNetworkReferenceResponse, StartServerV2Response, UpdateNetworkV2Response, types,
};
use serde_json::json;
use uuid::Uuid;

const ORG: Uuid = Uuid::from_u128(0x161b9d5a_701d_4fea_848d_0e345edf16e9);
const PROJECT: Uuid = Uuid::from_u128(0xf113be96_4dd2_4c14_9c0e_e96c500f21e0);
const REGION: Uuid = Uuid::from_u128(0xc7568e2d_f9ab_453d_9a3a_51375f78426b);
const NETWORK: Uuid = Uuid::from_u128(0xA64F9269_36E0_4312_B8D1_52D93D569B7B);
const SERVER: Uuid = Uuid::from_u128(0x9a8c6370_4065_4d4a_9da0_7678df40cd9d);

/// A reference as the platform's References helper passes it to the generated client: already
/// path-escaped once (`/` is `%2F`).
const ESCAPED_REFERENCE: &str = "kubernetesclusters.kubernetes.unikorn-cloud.org%2Fabc";

/// A server answering with `handler`, and a client for it with `editors`.
async fn setup_with(
    handler: impl Fn(&RecordedRequest) -> http::Response<Bytes> + Send + Sync + 'static,
    editors: Vec<Arc<dyn RequestEditor>>,
) -> (TestServer, Client) {
    let ca = Ca::new("region-openapi-tests");
    let leaf = ca.server_cert(&["localhost", "127.0.0.1"]);
    let server = TestServer::builder(&leaf).handler(handler).start().await;
    let http =
        HttpClient::from_tls_config(client_tls_config(&ca, None), None, HttpConfig::default());
    let mut builder = Client::builder().with_http_client(http);
    for editor in editors {
        builder = builder.with_request_editor(editor);
    }
    let client = builder.build(&server.url()).unwrap();
    (server, client)
}

async fn setup(
    handler: impl Fn(&RecordedRequest) -> http::Response<Bytes> + Send + Sync + 'static,
) -> (TestServer, Client) {
    setup_with(handler, Vec::new()).await
}

fn only_request(server: &TestServer) -> RecordedRequest {
    let mut requests = server.requests();
    assert_eq!(requests.len(), 1, "expected exactly one request");
    requests.remove(0)
}

/// `metadata` of a project-scoped resource read.
fn project_metadata(name: &str) -> serde_json::Value {
    json!({
        "id": NETWORK.to_string(),
        "name": name,
        "organizationId": ORG.to_string(),
        "projectId": PROJECT.to_string(),
        "creationTime": "2024-05-31T14:11:00Z",
        "provisioningStatus": "provisioned",
        "healthStatus": "healthy"
    })
}

/// A network as the server reads it back.
fn network_read() -> serde_json::Value {
    json!({
        "metadata": project_metadata("net-a"),
        "spec": {"dnsNameservers": ["8.8.8.8"], "routes": [{"prefix": "10.0.0.0/8", "nexthop": "192.168.0.10"}]},
        "status": {
            "regionId": REGION.to_string(),
            "prefix": "192.168.0.0/24",
            "reservations": {"prefixLength": 25, "providerReservedPrefixLength": 28}
        }
    })
}

/// The platform's error body, with `Content-Type: application/json`.
fn platform_error(status: u16, code: &str) -> http::Response<Bytes> {
    json_response(
        status,
        &json!({
            "error": code,
            "error_description": format!("answer {status}"),
            "trace_id": "57bc14d9bd461f0b5a72db830149b67a"
        }),
    )
}

fn metadata(name: &str) -> types::ResourceWriteMetadata {
    types::ResourceWriteMetadata(types::ResourceMetadata {
        name: name.parse().unwrap(),
        description: None,
        tags: None,
    })
}

fn dns(address: &str) -> types::Ipv4AddressList {
    types::Ipv4AddressList(vec![types::Ipv4Address(address.parse().unwrap())])
}

/// A network to create.
fn network_create() -> types::NetworkV2Create {
    types::NetworkV2Create {
        metadata: metadata("net-a"),
        spec: types::NetworkV2CreateSpec {
            dns_nameservers: dns("8.8.8.8"),
            organization_id: ORG.to_string(),
            project_id: PROJECT.to_string(),
            region_id: types::RegionId(REGION),
            prefix: "192.168.0.0/24".to_owned(),
            reservations: None,
            routes: None,
        },
    }
}

#[tokio::test]
async fn list_decodes_enums_and_timestamps() {
    let (server, client) = setup(|_| {
        json_response(
            200,
            &json!([{
                "metadata": {
                    "id": REGION.to_string(),
                    "name": "uk-west-1",
                    "creationTime": "2023-07-31T10:45:45Z",
                    "provisioningStatus": "pending",
                    "healthStatus": "degraded"
                },
                "spec": {"type": "simulated", "features": {"physicalNetworks": true}}
            }]),
        )
    })
    .await;

    let response = client.list_regions(ORG).await.unwrap();
    assert_eq!(response.status(), http::StatusCode::OK);
    let ListRegionsResponse::Ok(regions) = &*response else {
        panic!("expected Ok, got {response:?}");
    };
    assert_eq!(regions.len(), 1);
    let region = &regions[0];
    assert_eq!(&*region.metadata.name, "uk-west-1");
    assert_eq!(
        region.metadata.provisioning_status,
        types::ResourceProvisioningStatus::Pending
    );
    assert_eq!(
        region.metadata.health_status,
        types::ResourceHealthStatus::Degraded
    );
    assert_eq!(region.spec.type_, types::RegionType::Simulated);
    assert!(region.spec.features.physical_networks);
    assert_eq!(
        region.metadata.creation_time.to_rfc3339(),
        "2023-07-31T10:45:45+00:00"
    );

    let request = only_request(&server);
    assert_eq!(request.method, http::Method::GET);
    assert_eq!(
        request.uri.path(),
        format!("/api/v1/organizations/{ORG}/regions")
    );
    assert_eq!(request.header("accept"), Some("application/json"));
    assert_eq!(request.header("content-type"), None);
    assert!(request.body.is_empty());
}

#[tokio::test]
async fn uuid_path_parameters_travel_hyphenated_and_lower_case() {
    let (server, client) = setup(|_| json_response(200, &network_read())).await;
    let network = client
        .get_network_v2(NETWORK)
        .await
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(network.status.prefix, "192.168.0.0/24");
    assert_eq!(
        only_request(&server).uri.path(),
        "/api/v2/networks/a64f9269-36e0-4312-b8d1-52d93d569b7b"
    );
}

#[tokio::test]
async fn get_keeps_credentials_out_of_debug() {
    let (server, client) = setup(|_| {
        json_response(
            200,
            &json!({
                "metadata": {
                    "id": REGION.to_string(),
                    "name": "uk-west",
                    "creationTime": "2023-07-31T10:45:45Z",
                    "provisioningStatus": "provisioned",
                    "healthStatus": "healthy"
                },
                "spec": {
                    "type": "kubernetes",
                    "kubernetes": {"kubeconfig": "c2VjcmV0LWt1YmVjb25maWc="},
                    "features": {"physicalNetworks": false}
                }
            }),
        )
    })
    .await;

    let response = client.get_region_detail(ORG, REGION).await.unwrap();
    let GetRegionDetailResponse::Ok(detail) = &*response else {
        panic!("expected Ok, got {response:?}");
    };
    let kubernetes = detail.spec.kubernetes.as_ref().unwrap();
    assert_eq!(kubernetes.kubeconfig, "c2VjcmV0LWt1YmVjb25maWc=");
    let printed = format!("{response:?}");
    assert!(!printed.contains("c2VjcmV0LWt1YmVjb25maWc="), "{printed}");
    assert!(printed.contains("<redacted>"), "{printed}");
    assert_eq!(
        only_request(&server).uri.path(),
        format!("/api/v1/organizations/{ORG}/regions/{REGION}/detail")
    );
}

#[tokio::test]
async fn create_sends_a_json_body_and_decodes_the_201_answer() {
    let (server, client) = setup(|request| {
        let sent: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        let mut answer = network_read();
        answer["status"]["prefix"] = sent["spec"]["prefix"].clone();
        let mut response = json_response(201, &answer);
        response.headers_mut().insert(
            "location",
            http::HeaderValue::from_static("/api/v2/networks/a64f9269-36e0-4312-b8d1-52d93d569b7b"),
        );
        response
    })
    .await;

    let body = network_create();
    let response = client.create_network_v2(&body).await.unwrap();
    assert_eq!(response.status(), http::StatusCode::CREATED);
    assert_eq!(
        response.headers()["location"],
        "/api/v2/networks/a64f9269-36e0-4312-b8d1-52d93d569b7b"
    );
    let CreateNetworkV2Response::Created(network) = response.into_inner() else {
        panic!("expected Created");
    };
    assert_eq!(network.status.prefix, "192.168.0.0/24");
    assert_eq!(network.metadata.project_id, PROJECT.to_string());
    assert_eq!(network.status.reservations.unwrap().prefix_length, 25);

    let request = only_request(&server);
    assert_eq!(request.method, http::Method::POST);
    assert_eq!(request.uri.path(), "/api/v2/networks");
    assert_eq!(request.header("content-type"), Some("application/json"));
    let sent: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        sent,
        json!({
            "metadata": {"name": "net-a"},
            "spec": {
                "dnsNameservers": ["8.8.8.8"],
                "organizationId": ORG.to_string(),
                "projectId": PROJECT.to_string(),
                "regionId": REGION.to_string(),
                "prefix": "192.168.0.0/24"
            }
        })
    );
}

#[tokio::test]
async fn update_is_a_put_answered_with_accepted_and_a_body() {
    let (server, client) = setup(|_| json_response(202, &network_read())).await;
    let body = types::NetworkV2Update {
        metadata: metadata("net-a"),
        spec: types::NetworkV2Spec {
            dns_nameservers: dns("1.1.1.1"),
            routes: None,
        },
    };
    let response = client.update_network_v2(NETWORK, &body).await.unwrap();
    assert_eq!(response.status(), http::StatusCode::ACCEPTED);
    let UpdateNetworkV2Response::Accepted(network) = response.into_inner() else {
        panic!("expected Accepted");
    };
    assert_eq!(network.spec.routes.unwrap()[0].nexthop, "192.168.0.10");

    let request = only_request(&server);
    assert_eq!(request.method, http::Method::PUT);
    assert_eq!(request.uri.path(), format!("/api/v2/networks/{NETWORK}"));
    let sent: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        sent,
        json!({"metadata": {"name": "net-a"}, "spec": {"dnsNameservers": ["1.1.1.1"]}})
    );
}

#[tokio::test]
async fn deletes_answer_202_or_204_without_a_body() {
    let (server, client) = setup(|request| match request.uri.path() {
        path if path.contains("/references/") => empty_response(204),
        _ => empty_response(202),
    })
    .await;
    let deleted = client.delete_network_v2(NETWORK).await.unwrap();
    assert!(matches!(*deleted, DeleteNetworkV2Response::Accepted));
    let () = deleted.into_result().unwrap();
    let removed = client
        .remove_network_reference(NETWORK, ESCAPED_REFERENCE)
        .await
        .unwrap();
    assert!(matches!(
        *removed,
        RemoveNetworkReferenceResponse::NoContent
    ));
    let () = removed.into_result().unwrap();

    for request in server.requests() {
        assert_eq!(request.method, http::Method::DELETE);
        assert!(request.body.is_empty());
        assert_eq!(request.header("content-type"), None);
    }
}

#[tokio::test]
async fn add_reference_is_a_bodyless_put_with_the_reference_escaped_again() {
    let (server, client) = setup(|_| empty_response(201)).await;
    let added = client
        .add_network_reference(NETWORK, ESCAPED_REFERENCE)
        .await
        .unwrap();
    assert!(matches!(*added, AddNetworkReferenceResponse::Created));
    assert_eq!(added.status(), http::StatusCode::CREATED);

    let request = only_request(&server);
    assert_eq!(request.method, http::Method::PUT);
    // The generated client path-escapes once more, as oapi-codegen's runtime does, so the
    // platform's router sees one segment holding `%2F`.
    assert_eq!(
        request.uri.path(),
        format!(
            "/api/v2/networks/{NETWORK}/references/kubernetesclusters.kubernetes.unikorn-cloud.org%252Fabc"
        )
    );
    assert!(request.body.is_empty());
    assert_eq!(request.header("content-type"), None);
    assert_eq!(request.header("content-length").unwrap_or("0"), "0");
}

#[tokio::test]
async fn string_path_parameters_are_escaped_like_go_path_escape() {
    let (server, client) = setup(|_| empty_response(204)).await;
    client
        .remove_network_reference(NETWORK, "a$&+:=@b/c;d,e?f g%h")
        .await
        .unwrap();
    assert_eq!(
        only_request(&server).uri.path(),
        format!("/api/v2/networks/{NETWORK}/references/a$&+:=@b%2Fc%3Bd%2Ce%3Ff%20g%25h")
    );
}

#[tokio::test]
async fn an_action_is_a_bodyless_post() {
    let (server, client) = setup(|_| empty_response(202)).await;
    let started = client.start_server_v2(SERVER).await.unwrap();
    assert!(matches!(*started, StartServerV2Response::Accepted));
    let request = only_request(&server);
    assert_eq!(request.method, http::Method::POST);
    assert_eq!(
        request.uri.path(),
        format!("/api/v2/servers/{SERVER}/start")
    );
    assert!(request.body.is_empty());
    assert_eq!(request.header("content-type"), None);
}

#[tokio::test]
async fn list_filters_are_repeated_query_parameters() {
    let (server, client) = setup(|request| {
        if request.uri.path().ends_with("/consoleoutput") {
            json_response(200, &json!({"contents": "login:"}))
        } else {
            json_response(200, &json!([]))
        }
    })
    .await;
    let tags = vec!["name=value".to_owned(), "cluster id=a&b".to_owned()];
    let organizations = vec![ORG.to_string()];
    let servers = client
        .list_servers_v2(Some(&tags), Some(&organizations), None, None, None)
        .await
        .unwrap()
        .into_result()
        .unwrap();
    assert!(servers.is_empty());
    client
        .list_servers_v2(None, None, None, None, None)
        .await
        .unwrap();
    let states = [types::ImageState::Ready, types::ImageState::Failed];
    client
        .list_images_v2(
            REGION,
            None,
            Some(&types::ImageScope::Available),
            Some(&states),
        )
        .await
        .unwrap();
    let output = client
        .get_server_console_output_v2(SERVER, Some(100))
        .await
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(output.contents, "login:");

    let requests = server.requests();
    assert_eq!(requests[0].uri.path(), "/api/v2/servers");
    assert_eq!(
        requests[0].uri.query(),
        Some(&*format!(
            "tag=name%3Dvalue&tag=cluster%20id%3Da%26b&organizationID={ORG}"
        ))
    );
    assert_eq!(requests[1].uri.query(), None);
    assert_eq!(
        requests[2].uri.path(),
        format!("/api/v2/regions/{REGION}/images")
    );
    assert_eq!(
        requests[2].uri.query(),
        Some("scope=available&status=ready&status=failed")
    );
    assert_eq!(requests[3].uri.query(), Some("length=100"));
}

#[tokio::test]
async fn every_documented_status_decodes_to_its_variant() {
    let cases = [
        (400, "invalid_request", "BadRequest"),
        (401, "access_denied", "Unauthorized"),
        (403, "forbidden", "Forbidden"),
        (404, "not_found", "NotFound"),
        (500, "server_error", "InternalServerError"),
    ];
    for (status, code, variant) in cases {
        let (_server, client) = setup(move |_| platform_error(status, code)).await;
        let response = client
            .add_network_reference(NETWORK, ESCAPED_REFERENCE)
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status);
        let error = match &*response {
            AddNetworkReferenceResponse::BadRequest(e)
            | AddNetworkReferenceResponse::Unauthorized(e)
            | AddNetworkReferenceResponse::Forbidden(e)
            | AddNetworkReferenceResponse::NotFound(e)
            | AddNetworkReferenceResponse::InternalServerError(e) => e,
            other => panic!("{status}: unexpected {other:?}"),
        };
        assert!(
            format!("{:?}", *response).starts_with(variant),
            "{response:?}"
        );
        assert_eq!(ApiResponse::status(&*response).as_u16(), status);
        // The same body through the trait every response enum implements.
        assert!(std::ptr::eq(response.error_body().unwrap(), error));
        assert_eq!(response.unexpected_body(), None);
        assert_eq!(error.error.to_string(), code);
        assert_eq!(error.error_description, format!("answer {status}"));
        assert_eq!(
            error.trace_id.as_deref(),
            Some("57bc14d9bd461f0b5a72db830149b67a")
        );
    }
}

#[tokio::test]
async fn an_undocumented_status_is_unexpected_and_keeps_the_body() {
    // 418 is documented nowhere; 409 is not documented for DELETE of a reference.
    let (_server, client) = setup(|_| {
        http::Response::builder()
            .status(418)
            .body(Bytes::from_static(b"short and stout"))
            .unwrap()
    })
    .await;
    let response = client
        .remove_network_reference(NETWORK, ESCAPED_REFERENCE)
        .await
        .unwrap();
    let RemoveNetworkReferenceResponse::Unexpected { status, body } = &*response else {
        panic!("expected Unexpected, got {response:?}");
    };
    assert_eq!(status.as_u16(), 418);
    assert_eq!(&body[..], b"short and stout");
    assert_eq!(
        response.unexpected_body().map(|b| &b[..]),
        Some(&b"short and stout"[..])
    );
    assert!(response.error_body().is_none());

    let (_server, client) = setup(|_| platform_error(409, "conflict")).await;
    let response = client
        .remove_network_reference(NETWORK, ESCAPED_REFERENCE)
        .await
        .unwrap();
    assert!(
        matches!(&*response, RemoveNetworkReferenceResponse::Unexpected { status, .. } if status.as_u16() == 409),
        "{response:?}"
    );
}

#[tokio::test]
async fn a_documented_status_without_a_json_body_is_unexpected() {
    // An ingress page: documented status, but not JSON. Not decoded (as the Go client does
    // not), so `into_result` reports the status with a bounded excerpt.
    let big = "<html>".repeat(1000);
    let (_server, client) = setup(move |_| {
        http::Response::builder()
            .status(404)
            .header("content-type", "text/html")
            .body(Bytes::from(big.clone()))
            .unwrap()
    })
    .await;
    let response = client.get_network_v2(NETWORK).await.unwrap();
    assert!(
        response
            .unexpected_body()
            .is_some_and(|body| body.starts_with(b"<html>")),
        "{response:?}"
    );
    let error = response.into_result().unwrap_err();
    assert!(error.is_not_found());
    assert!(error.error_body().is_none());
    let Error::Status(status) = &error else {
        panic!("expected Status, got {error:?}");
    };
    assert_eq!(status.excerpt().len(), region_openapi::EXCERPT_LIMIT);
    assert!(status.excerpt().starts_with("<html><html>"));

    // A success without a JSON content type is not the documented success either.
    let (_server, client) = setup(|_| {
        http::Response::builder()
            .status(200)
            .body(Bytes::from_static(b"[]"))
            .unwrap()
    })
    .await;
    let error = client
        .list_networks_v2(None, None, None, None)
        .await
        .unwrap()
        .into_result()
        .unwrap_err();
    assert_eq!(error.status(), Some(http::StatusCode::OK));
    assert!(matches!(error, Error::Status(_)), "{error:?}");
}

#[tokio::test]
async fn a_missing_required_field_is_a_decode_error_with_status_and_excerpt() {
    // `status.prefix` is required.
    let mut answer = network_read();
    answer["status"].as_object_mut().unwrap().remove("prefix");
    let (_server, client) = setup(move |_| json_response(200, &answer)).await;
    let error = client.get_network_v2(NETWORK).await.unwrap_err();
    assert!(error.is_decode());
    assert_eq!(error.status(), Some(http::StatusCode::OK));
    assert_eq!(error.operation(), Some("getNetworkV2"));
    let Error::Decode {
        excerpt, source, ..
    } = &error
    else {
        panic!("expected Decode, got {error:?}");
    };
    assert!(source.to_string().contains("prefix"), "{source}");
    assert!(excerpt.starts_with(r#"{"metadata":"#), "{excerpt}");
    assert!(excerpt.len() <= region_openapi::EXCERPT_LIMIT);
    assert!(error.to_string().contains("getNetworkV2"), "{error}");

    // A long body is cut at the limit.
    let (_server, client) = setup(|_| {
        json_response(
            200,
            &json!({"metadata": {"name": "x".repeat(4 * region_openapi::EXCERPT_LIMIT)}}),
        )
    })
    .await;
    let error = client.get_network_v2(NETWORK).await.unwrap_err();
    let Error::Decode { excerpt, .. } = &error else {
        panic!("expected Decode, got {error:?}");
    };
    assert_eq!(excerpt.len(), region_openapi::EXCERPT_LIMIT);
}

#[tokio::test]
async fn a_malformed_answer_that_may_hold_credentials_is_not_quoted() {
    // `kubeconfig` present but `metadata` missing: undecodable, and secret.
    let (_server, client) = setup(|_| {
        json_response(
            200,
            &json!({"spec": {"type": "kubernetes", "kubernetes": {"kubeconfig": "top-secret"}}}),
        )
    })
    .await;
    let error = client.get_region_detail(ORG, REGION).await.unwrap_err();
    let Error::Decode { excerpt, .. } = &error else {
        panic!("expected Decode, got {error:?}");
    };
    assert!(excerpt.contains("withheld"), "{excerpt}");
    assert!(!format!("{error:?}").contains("top-secret"), "{error:?}");
}

#[tokio::test]
async fn into_result_gives_the_success_body_or_a_typed_error() {
    let (_server, client) = setup(|_| json_response(200, &json!([network_read()]))).await;
    let networks = client
        .list_networks_v2(None, None, None, None)
        .await
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(networks.len(), 1);

    // A documented error keeps status, headers and the platform's error body.
    let (_server, client) = setup(|_| {
        let mut response = json_response(
            404,
            &json!({"error": "not_found", "error_description": "no network", "trace_id": "abc"}),
        );
        response
            .headers_mut()
            .insert("cache-control", http::HeaderValue::from_static("no-cache"));
        response
    })
    .await;
    let error = client
        .get_network_v2(NETWORK)
        .await
        .unwrap()
        .into_result()
        .unwrap_err();
    assert!(error.is_not_found());
    assert_eq!(error.status(), Some(http::StatusCode::NOT_FOUND));
    assert_eq!(error.operation(), Some("getNetworkV2"));
    let body = error.error_body().unwrap();
    assert_eq!(body.error, types::ErrorError::NotFound);
    assert_eq!(body.error_description, "no network");
    assert_eq!(body.trace_id.as_deref(), Some("abc"));
    let Error::Status(status) = &error else {
        panic!("expected Status, got {error:?}");
    };
    assert_eq!(status.headers()["cache-control"], "no-cache");
    assert!(status.excerpt().contains("no network"), "{status:?}");
    assert_eq!(
        error.to_string(),
        "getNetworkV2: the server answered 404 Not Found (not_found: no network)"
    );
}

/// The platform's answer when it cannot read the principal: its middleware gives it on every
/// secured route, before the handler (UPSTREAM.md §5), whether or not the spec documents 400.
fn principal_refusal() -> http::Response<Bytes> {
    json_response(
        400,
        &json!({
            "error": "invalid_request",
            "error_description": "principal propagation failure for authentication",
            "trace_id": "57bc14d9bd461f0b5a72db830149b67a"
        }),
    )
}

#[tokio::test]
async fn an_undocumented_error_status_keeps_the_platforms_error_body() {
    // `listRegions` documents no 400.
    let (_server, client) = setup(|_| principal_refusal()).await;
    let answer = client.list_regions(ORG).await.unwrap();
    assert!(
        matches!(&*answer, ListRegionsResponse::Unexpected { status, .. } if *status == 400),
        "{answer:?}"
    );
    let error = answer.into_result().unwrap_err();
    let body = error.error_body().expect("the platform's error body");
    assert_eq!(body.error, types::ErrorError::InvalidRequest);
    assert_eq!(
        body.error_description,
        "principal propagation failure for authentication"
    );
    assert_eq!(
        body.trace_id.as_deref(),
        Some("57bc14d9bd461f0b5a72db830149b67a")
    );
    assert_eq!(
        error.to_string(),
        "listRegions: the server answered 400 Bad Request (invalid_request: principal \
         propagation failure for authentication)"
    );
}

#[tokio::test]
async fn the_error_body_of_a_credential_bearing_operation_is_kept_and_its_excerpt_withheld() {
    // `getRegionDetail` answers may hold a kubeconfig; it documents no 400 either.
    let (_server, client) = setup(|_| principal_refusal()).await;
    let error = client
        .get_region_detail(ORG, REGION)
        .await
        .unwrap()
        .into_result()
        .unwrap_err();
    assert_eq!(
        error.error_body().map(|e| e.error_description.as_str()),
        Some("principal propagation failure for authentication")
    );
    assert!(
        error
            .to_string()
            .ends_with("(invalid_request: principal propagation failure for authentication)"),
        "{error}"
    );
    let Error::Status(status) = &error else {
        panic!("expected Status, got {error:?}");
    };
    assert!(status.excerpt().contains("bytes withheld"), "{status:?}");
}

#[tokio::test]
async fn only_json_error_answers_of_the_platforms_shape_give_an_error_body() {
    let platform_body = json!({"error": "conflict", "error_description": "in use"});
    for (status, content_type, body, why) in [
        (409, "text/plain", &platform_body, "not declared JSON"),
        (
            502,
            "application/json",
            &json!({"message": "bad gateway"}),
            "another shape",
        ),
        // `createNetworkV2` documents 201: a 200 is not its success either.
        (
            200,
            "application/json",
            &platform_body,
            "not an error status",
        ),
        (302, "application/json", &platform_body, "a redirection"),
    ] {
        let body = Bytes::from(body.to_string());
        let (_server, client) = setup(move |_| {
            http::Response::builder()
                .status(status)
                .header("content-type", content_type)
                .body(body.clone())
                .unwrap()
        })
        .await;
        let error = client
            .create_network_v2(&network_create())
            .await
            .unwrap()
            .into_result()
            .unwrap_err();
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status), "{why}");
        assert!(error.error_body().is_none(), "{why}: {error:?}");
    }
}

#[tokio::test]
async fn every_request_resolves_to_its_own_operation() {
    let (server, client) =
        setup_with(|_| empty_response(204), vec![Arc::new(RecordOperation)]).await;
    client
        .add_network_reference(NETWORK, ESCAPED_REFERENCE)
        .await
        .unwrap();
    client
        .remove_network_reference(NETWORK, "a b%2Fc")
        .await
        .unwrap();
    client.start_server_v2(SERVER).await.unwrap();
    client.list_regions(ORG).await.unwrap();
    client
        .list_networks_v2(Some(&["a=b".to_owned()]), None, None, None)
        .await
        .unwrap();
    client.get_version().await.unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 6);
    for request in requests {
        // The platform's router matches the path decoded once (Go's `URL.Path`).
        let path = percent_encoding::percent_decode_str(request.uri.path())
            .decode_utf8()
            .unwrap();
        let (operation, params) = OperationId::resolve(&request.method, &path)
            .unwrap_or_else(|| panic!("{} {path} resolves to nothing", request.method));
        let spec = operation.spec();
        assert_eq!(
            request.header("x-operation"),
            Some(format!("{} {}", spec.id, spec.path).as_str()),
            "{path}"
        );
        if let Some(network) = params.get("networkID") {
            assert_eq!(network, NETWORK.to_string());
        }
        if operation == OperationId::AddNetworkReference {
            assert_eq!(
                params.get("reference"),
                Some("kubernetesclusters.kubernetes.unikorn-cloud.org%2Fabc")
            );
        }
    }

    // A reference with a bare `/` is escaped once only: decoded once, it is two segments,
    // which no route has (the platform answers 404), as UPSTREAM.md §6 says.
    let (server, client) = setup(|_| empty_response(404)).await;
    client
        .remove_network_reference(NETWORK, "a.b/c")
        .await
        .unwrap();
    let request = only_request(&server);
    let path = percent_encoding::percent_decode_str(request.uri.path())
        .decode_utf8()
        .unwrap();
    assert_eq!(OperationId::resolve(&request.method, &path), None, "{path}");
}

#[tokio::test]
async fn response_headers_are_kept() {
    let (_server, client) = setup(|_| {
        let mut response = empty_response(202);
        response
            .headers_mut()
            .insert("retry-after", http::HeaderValue::from_static("30"));
        response
    })
    .await;
    let response = client.delete_network_v2(NETWORK).await.unwrap();
    assert_eq!(response.headers()["retry-after"], "30");
    let (status, headers, inner) = response.into_parts();
    assert_eq!(status, http::StatusCode::ACCEPTED);
    assert_eq!(headers["retry-after"], "30");
    assert!(matches!(inner, DeleteNetworkV2Response::Accepted));
}

#[tokio::test]
async fn unexpected_answers_of_credential_bearing_operations_are_not_printed() {
    let (_server, client) = setup(|_| {
        http::Response::builder()
            .status(502)
            .body(Bytes::from_static(b"kubeconfig: top-secret"))
            .unwrap()
    })
    .await;
    let response = client.get_region_detail(ORG, REGION).await.unwrap();
    let printed = format!("{response:?}");
    assert!(!printed.contains("top-secret"), "{printed}");
    assert!(printed.contains("22 bytes withheld"), "{printed}");
    let error = response.into_result().unwrap_err();
    let printed = format!("{error:?} {error}");
    assert!(!printed.contains("top-secret"), "{printed}");
    assert_eq!(error.status(), Some(http::StatusCode::BAD_GATEWAY));
}

/// Appends `x-editor: {name}`, or refuses the request.
struct Tag(&'static str);

impl RequestEditor for Tag {
    fn edit<'a>(
        &'a self,
        request: &'a mut http::Request<Bytes>,
    ) -> BoxFuture<'a, Result<(), EditorError>> {
        Box::pin(async move {
            if self.0 == "refuse" {
                return Err(EditorError::new("tag", std::io::Error::other("refused")));
            }
            request
                .headers_mut()
                .append("x-editor", http::HeaderValue::from_static(self.0));
            Ok(())
        })
    }
}

#[tokio::test]
async fn editors_run_in_order_on_every_request() {
    let editors: Vec<Arc<dyn RequestEditor>> =
        vec![Arc::new(Tag("first")), Arc::new(Tag("second"))];
    let (server, client) = setup_with(|_| empty_response(201), editors).await;
    client
        .add_network_reference(NETWORK, ESCAPED_REFERENCE)
        .await
        .unwrap();
    client.start_server_v2(SERVER).await.unwrap();
    for request in server.requests() {
        let seen: Vec<_> = request
            .headers
            .get_all("x-editor")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            seen,
            ["first", "second"],
            "{} {}",
            request.method,
            request.uri
        );
    }
    assert_eq!(server.requests().len(), 2);
}

/// An editor added to a ready-made client runs after its own; a clone taken first keeps the
/// editors it had.
#[tokio::test]
async fn an_editor_added_to_a_clone_leaves_the_original_unchanged() {
    let (server, client) = setup_with(|_| empty_response(201), vec![Arc::new(Tag("own"))]).await;
    let tagged = client.clone().with_request_editor(Arc::new(Tag("added")));
    tagged.start_server_v2(SERVER).await.unwrap();
    client.start_server_v2(SERVER).await.unwrap();
    let seen: Vec<Vec<String>> = server
        .requests()
        .iter()
        .map(|request| {
            let values = request.headers.get_all("x-editor").iter();
            values.map(|v| v.to_str().unwrap().to_owned()).collect()
        })
        .collect();
    assert_eq!(seen, [vec!["own", "added"], vec!["own"]]);
}

/// Records the `Operation` extension of every request it sees as an `x-operation` header.
struct RecordOperation;

impl RequestEditor for RecordOperation {
    fn edit<'a>(
        &'a self,
        request: &'a mut http::Request<Bytes>,
    ) -> BoxFuture<'a, Result<(), EditorError>> {
        Box::pin(async move {
            let operation = request
                .extensions()
                .get::<core_client::Operation>()
                .copied()
                .ok_or_else(|| EditorError::new("record", std::io::Error::other("no operation")))?;
            let value = format!("{} {}", operation.id(), operation.path_template());
            request
                .headers_mut()
                .insert("x-operation", http::HeaderValue::from_str(&value).unwrap());
            Ok(())
        })
    }
}

#[tokio::test]
async fn editors_see_which_operation_a_request_is() {
    let (server, client) =
        setup_with(|_| empty_response(201), vec![Arc::new(RecordOperation)]).await;
    client
        .add_network_reference(NETWORK, ESCAPED_REFERENCE)
        .await
        .unwrap();
    assert_eq!(
        only_request(&server).header("x-operation"),
        Some("addNetworkReference /api/v2/networks/{networkID}/references/{reference}")
    );
}

#[tokio::test]
async fn a_refusing_editor_stops_the_request() {
    let editors: Vec<Arc<dyn RequestEditor>> =
        vec![Arc::new(Tag("first")), Arc::new(Tag("refuse"))];
    let (server, client) = setup_with(|_| empty_response(201), editors).await;
    let error = client
        .add_network_reference(NETWORK, ESCAPED_REFERENCE)
        .await
        .unwrap_err();
    let Error::Editor(editor) = &error else {
        panic!("expected Editor, got {error:?}");
    };
    assert_eq!(editor.editor(), "tag");
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn empty_and_dot_path_parameters_are_refused_before_sending() {
    let (server, client) = setup(|_| empty_response(204)).await;
    for (reference, reason) in [
        ("", "empty"),
        ("..", "a dot segment"),
        (".", "a dot segment"),
    ] {
        let error = client
            .remove_network_reference(NETWORK, reference)
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                Error::InvalidPathParameter {
                    operation: "removeNetworkReference",
                    parameter: "reference",
                    reason: r,
                } if r == reason
            ),
            "{reference:?}: {error:?}"
        );
    }
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn a_transport_failure_is_an_http_error() {
    // A server whose certificate the client does not trust.
    let (server, _) = setup(|_| empty_response(204)).await;
    let other = Ca::new("someone-else");
    let http =
        HttpClient::from_tls_config(client_tls_config(&other, None), None, HttpConfig::default());
    let client = Client::builder()
        .with_http_client(http)
        .build(&server.url())
        .unwrap();
    let error = client.get_network_v2(NETWORK).await.unwrap_err();
    let Error::Http(http_error) = &error else {
        panic!("expected Http, got {error:?}");
    };
    assert!(http_error.tls_error().is_some(), "{http_error:?}");
    assert_eq!(error.status(), None);
}

#[test]
fn building_without_an_http_client_fails() {
    let error = Client::builder()
        .build("https://region.example.com")
        .unwrap_err();
    assert!(matches!(error, core_client::BuildError::MissingHttpClient));
}

#[tokio::test]
async fn values_and_fields_from_a_newer_server_decode() {
    let (_server, client) = setup(|_| {
        json_response(
            200,
            &json!([{
                "metadata": {
                    "id": REGION.to_string(),
                    "name": "uk-west-1",
                    "creationTime": "2023-07-31T10:45:45Z",
                    "provisioningStatus": "paused",
                    "healthStatus": "healthy",
                    "labels": {"tier": "gold"}
                },
                "spec": {
                    "type": "hyperscaler",
                    "features": {"physicalNetworks": false, "gpuPartitioning": true},
                    "zones": ["a", "b"]
                }
            }]),
        )
    })
    .await;
    let regions = client
        .list_regions(ORG)
        .await
        .unwrap()
        .into_result()
        .unwrap();
    let region = &regions[0];
    assert_eq!(
        region.spec.type_,
        types::RegionType::Other("hyperscaler".to_owned())
    );
    assert_eq!(region.spec.type_.as_str(), "hyperscaler");
    assert_eq!(
        region.metadata.provisioning_status,
        types::ResourceProvisioningStatus::Other("paused".to_owned())
    );
    // The unknown value goes back out as the same text, and text and value agree.
    assert_eq!(
        serde_json::to_value(&region.spec.type_).unwrap(),
        json!("hyperscaler")
    );
    assert_eq!(region.spec.type_.to_string(), "hyperscaler");
    assert_eq!(
        "hyperscaler".parse::<types::RegionType>(),
        Ok(region.spec.type_.clone())
    );
    // Known values still decode to their variants, through every conversion.
    assert_eq!(
        "openstack".parse::<types::RegionType>(),
        Ok(types::RegionType::Openstack)
    );
    assert_eq!(
        types::RegionType::from("openstack".to_owned()),
        types::RegionType::Openstack
    );
    assert_eq!(
        serde_json::from_value::<types::RegionType>(json!("kubernetes")).unwrap(),
        types::RegionType::Kubernetes
    );
}

#[tokio::test]
async fn an_image_with_an_unknown_state_decodes() {
    let (_server, client) = setup(|_| {
        json_response(
            200,
            &json!([{
                "metadata": {
                    "id": "a64f9269-36e0-4312-b8d1-52d93d569b7b",
                    "name": "ubuntu-24.04",
                    "creationTime": "2023-02-22T12:04:13Z"
                },
                "spec": {
                    "architecture": "riscv64",
                    "sizeGiB": 10,
                    "virtualization": "virtualized",
                    "os": {"kernel": "linux", "family": "debian", "distro": "ubuntu", "version": "24.04"}
                },
                "status": {"state": "quarantined", "reason": "scan pending"}
            }]),
        )
    })
    .await;
    let images = client
        .list_images_v2(REGION, None, None, None)
        .await
        .unwrap()
        .into_result()
        .unwrap();
    let image = &images[0];
    assert_eq!(
        image.status.state,
        types::ImageState::Other("quarantined".to_owned())
    );
    assert_eq!(
        image.spec.architecture,
        types::Architecture::Other("riscv64".to_owned())
    );
    assert_eq!(
        image.spec.virtualization,
        types::ImageVirtualization::Virtualized
    );
    // And the image goes back out with the values it came with.
    let encoded = serde_json::to_value(image).unwrap();
    assert_eq!(encoded["status"], json!({"state": "quarantined"}));
    assert_eq!(encoded["spec"]["architecture"], json!("riscv64"));
}

#[tokio::test]
async fn an_error_code_the_client_does_not_know_is_kept() {
    let (_server, client) = setup(|_| platform_error(400, "quota_exceeded")).await;
    let error = client
        .get_network_v2(NETWORK)
        .await
        .unwrap()
        .into_result()
        .unwrap_err();
    assert_eq!(
        error.error_body().unwrap().error,
        types::ErrorError::Other("quota_exceeded".to_owned())
    );
    assert_eq!(
        error.to_string(),
        "getNetworkV2: the server answered 400 Bad Request (quota_exceeded: answer 400)"
    );
}

#[tokio::test]
async fn answers_and_errors_say_how_many_attempts_they_took() {
    use std::sync::atomic::{AtomicUsize, Ordering};

    // 503 to the first request, then the answer: the transport retries the GET.
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let (_server, client) = setup(move |_| match counted.fetch_add(1, Ordering::SeqCst) {
        0 => empty_response(503),
        _ => json_response(200, &json!([])),
    })
    .await;
    let answer = client.list_regions(ORG).await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.attempts(), 2);

    // Answered 503 on every attempt: the error says how many there were.
    let (_server, client) = setup(|_| empty_response(503)).await;
    let error = client
        .list_regions(ORG)
        .await
        .unwrap()
        .into_result()
        .unwrap_err();
    let Error::Status(status) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(status.attempts(), 3);

    // Sent once, answered at once.
    let (_server, client) = setup(|_| json_response(200, &json!([]))).await;
    assert_eq!(client.list_regions(ORG).await.unwrap().attempts(), 1);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}
