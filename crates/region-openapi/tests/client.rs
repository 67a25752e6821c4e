//! The generated client against a real in-process HTTPS server (test-support), one round trip
//! per kind of operation, every documented status, undocumented statuses, undecodable bodies
//! and request editors.

use std::sync::Arc;

use bytes::Bytes;
use core_client::{
    BoxFuture, ClientBuilder as _, EditorError, HttpClient, HttpConfig, RequestEditor,
};
use region_openapi::{
    AddNetworkReferenceResponse, ApiResponse, Client, CreateNetworkResponse, DeleteServerResponse,
    Error, GetRegionDetailResponse, ListNetworkReferencesResponse, ListRegionsResponse,
    ListServersResponse, RemoveNetworkReferenceResponse, UpdateSecurityGroupResponse, types,
};
use serde_json::json;
use test_support::{
    Ca, RecordedRequest, TestServer,
    server::{client_tls_config, empty_response, json_response},
};

const REFERENCE: &str = "kubernetesclusters.kubernetes.unikorn-cloud.org/abc";
const ENCODED_REFERENCE: &str = "kubernetesclusters.kubernetes.unikorn-cloud.org%2Fabc";

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

fn metadata() -> serde_json::Value {
    json!({
        "id": "a64f9269-36e0-4312-b8d1-52d93d569b7b",
        "name": "net-a",
        "organizationId": "org-1",
        "projectId": "project-1",
        "creationTime": "2024-05-31T14:11:00Z",
        "provisioningStatus": "provisioned",
        "healthStatus": "healthy"
    })
}

fn platform_error(status: u16, code: &str) -> http::Response<Bytes> {
    json_response(
        status,
        &json!({ "error": code, "error_description": format!("answer {status}") }),
    )
}

#[tokio::test]
async fn list_decodes_enums_and_timestamps() {
    let (server, client) = setup(|_| {
        json_response(
            200,
            &json!([{
                "metadata": {
                    "id": "c7568e2d",
                    "name": "uk-west-1",
                    "creationTime": "2023-07-31T10:45:45Z",
                    "provisioningStatus": "provisioned",
                    "healthStatus": "degraded"
                },
                "spec": {"type": "openstack", "features": {"physicalNetworks": true}}
            }]),
        )
    })
    .await;

    let response = client.list_regions("org-1").await.unwrap();
    assert_eq!(response.status(), http::StatusCode::OK);
    let response = response.into_inner();
    let ListRegionsResponse::Ok(regions) = response else {
        panic!("expected Ok, got {response:?}");
    };
    assert_eq!(regions.len(), 1);
    let region = &regions[0];
    assert_eq!(&*region.metadata.name, "uk-west-1");
    assert_eq!(
        region.metadata.health_status,
        types::ResourceHealthStatus::Degraded
    );
    assert_eq!(region.spec.type_, types::RegionType::Openstack);
    assert!(region.spec.features.physical_networks);
    assert_eq!(
        region.metadata.creation_time.to_rfc3339(),
        "2023-07-31T10:45:45+00:00"
    );

    let request = only_request(&server);
    assert_eq!(request.method, http::Method::GET);
    assert_eq!(request.uri.path(), "/api/v1/organizations/org-1/regions");
    assert_eq!(request.header("accept"), Some("application/json"));
    assert!(request.body.is_empty());
}

#[tokio::test]
async fn get_keeps_credentials_out_of_debug() {
    let (server, client) = setup(|_| {
        json_response(
            200,
            &json!({
                "metadata": {
                    "id": "c7568e2d",
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

    let response = client.get_region_detail("org-1", "region-1").await.unwrap();
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
        "/api/v1/organizations/org-1/regions/region-1/detail"
    );
}

#[tokio::test]
async fn create_sends_the_json_body() {
    let (server, client) = setup(|request| {
        let sent: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        json_response(
            201,
            &json!({
                "metadata": metadata(),
                "spec": {
                    "regionId": "region-1",
                    "prefix": sent["spec"]["prefix"],
                    "dnsNameservers": sent["spec"]["dnsNameservers"],
                    "type": "openstack",
                    "openstack": {"vlanId": 1024}
                }
            }),
        )
    })
    .await;

    let body = types::NetworkWrite {
        metadata: types::ResourceWriteMetadata(types::ResourceMetadata {
            name: "net-a".parse().unwrap(),
            description: None,
            tags: None,
        }),
        spec: Some(types::NetworkWriteSpec {
            prefix: "192.168.0.0/24".to_owned(),
            dns_nameservers: types::Ipv4AddressList(vec![types::Ipv4Address("8.8.8.8".to_owned())]),
        }),
    };
    let response = client
        .create_network("org-1", "project-1", "identity-1", &body)
        .await
        .unwrap();
    let response = response.into_inner();
    let CreateNetworkResponse::Created(network) = response else {
        panic!("expected Created, got {response:?}");
    };
    assert_eq!(network.spec.prefix, "192.168.0.0/24");
    assert_eq!(network.spec.openstack.unwrap().vlan_id, Some(1024));
    assert_eq!(network.metadata.project_id, "project-1");

    let request = only_request(&server);
    assert_eq!(request.method, http::Method::POST);
    assert_eq!(
        request.uri.path(),
        "/api/v1/organizations/org-1/projects/project-1/identities/identity-1/networks"
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    let sent: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        sent,
        json!({
            "metadata": {"name": "net-a"},
            "spec": {"prefix": "192.168.0.0/24", "dnsNameservers": ["8.8.8.8"]}
        })
    );
}

#[tokio::test]
async fn update_is_a_put_answered_with_accepted_and_a_body() {
    let (server, client) = setup(|_| {
        json_response(
            202,
            &json!({"metadata": metadata(), "spec": {"regionId": "region-1"}}),
        )
    })
    .await;
    let body = types::SecurityGroupWrite {
        metadata: types::ResourceWriteMetadata(types::ResourceMetadata {
            name: "sg-a".parse().unwrap(),
            description: Some("web".to_owned()),
            tags: None,
        }),
        spec: None,
    };
    let response = client
        .update_security_group("org-1", "project-1", "identity-1", "sg-1", &body)
        .await
        .unwrap();
    assert_eq!(response.status(), http::StatusCode::ACCEPTED);
    let response = response.into_inner();
    let UpdateSecurityGroupResponse::Accepted(group) = response else {
        panic!("expected Accepted, got {response:?}");
    };
    assert_eq!(group.spec.region_id, "region-1");

    let request = only_request(&server);
    assert_eq!(request.method, http::Method::PUT);
    assert_eq!(
        request.uri.path(),
        "/api/v1/organizations/org-1/projects/project-1/identities/identity-1/securitygroups/sg-1"
    );
    let sent: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        sent,
        json!({"metadata": {"name": "sg-a", "description": "web"}})
    );
}

#[tokio::test]
async fn delete_answered_with_accepted_has_no_body() {
    let (server, client) = setup(|_| empty_response(202)).await;
    let response = client
        .delete_server("org-1", "project-1", "identity-1", "server-1")
        .await
        .unwrap();
    assert!(matches!(*response, DeleteServerResponse::Accepted));
    let request = only_request(&server);
    assert_eq!(request.method, http::Method::DELETE);
    assert_eq!(
        request.uri.path(),
        "/api/v1/organizations/org-1/projects/project-1/identities/identity-1/servers/server-1"
    );
}

#[tokio::test]
async fn query_parameters_are_encoded_and_repeated() {
    let (server, client) = setup(|_| json_response(200, &json!([]))).await;
    let tags = vec!["foo=cat".to_owned(), "bar dog".to_owned()];
    let response = client.list_servers("org-1", Some(&tags)).await.unwrap();
    let response = response.into_inner();
    let ListServersResponse::Ok(servers) = response else {
        panic!("expected Ok, got {response:?}");
    };
    assert!(servers.is_empty());
    client.list_servers("org-1", None).await.unwrap();

    let requests = server.requests();
    assert_eq!(
        requests[0].uri.path(),
        "/api/v1/organizations/org-1/servers"
    );
    assert_eq!(requests[0].uri.query(), Some("tag=foo%3Dcat&tag=bar%20dog"));
    assert_eq!(requests[1].uri.query(), None);
}

#[tokio::test]
async fn references_travel_as_one_percent_encoded_segment() {
    let (server, client) = setup(|request| match request.method {
        http::Method::GET => json_response(200, &json!({ "references": [REFERENCE] })),
        _ => empty_response(204),
    })
    .await;

    let added = client
        .add_network_reference("net-1", REFERENCE)
        .await
        .unwrap();
    assert!(matches!(*added, AddNetworkReferenceResponse::NoContent));
    let listed = client.list_network_references("net-1").await.unwrap();
    let listed = listed.into_inner();
    let ListNetworkReferencesResponse::Ok(listed) = listed else {
        panic!("expected Ok, got {listed:?}");
    };
    let references: Vec<&str> = listed.references.iter().map(|r| r.as_str()).collect();
    assert_eq!(references, [REFERENCE]);
    let removed = client
        .remove_network_reference("net-1", REFERENCE)
        .await
        .unwrap();
    assert!(matches!(
        *removed,
        RemoveNetworkReferenceResponse::NoContent
    ));

    let requests = server.requests();
    let seen: Vec<(http::Method, String)> = requests
        .iter()
        .map(|r| (r.method.clone(), r.uri.path().to_owned()))
        .collect();
    let item = format!("/api/v2/networks/net-1/references/{ENCODED_REFERENCE}");
    assert_eq!(
        seen,
        [
            (http::Method::PUT, item.clone()),
            (
                http::Method::GET,
                "/api/v2/networks/net-1/references".to_owned()
            ),
            (http::Method::DELETE, item),
        ]
    );
}

#[tokio::test]
async fn every_documented_status_decodes_to_its_variant() {
    let cases = [
        (400, "invalid_request", "BadRequest"),
        (401, "access_denied", "Unauthorized"),
        (403, "forbidden", "Forbidden"),
        (404, "not_found", "NotFound"),
        (409, "conflict", "Conflict"),
        (500, "server_error", "InternalServerError"),
    ];
    for (status, code, variant) in cases {
        let (_server, client) = setup(move |_| platform_error(status, code)).await;
        let response = client
            .add_network_reference("net-1", REFERENCE)
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status);
        let error = match &*response {
            AddNetworkReferenceResponse::BadRequest(e)
            | AddNetworkReferenceResponse::Unauthorized(e)
            | AddNetworkReferenceResponse::Forbidden(e)
            | AddNetworkReferenceResponse::NotFound(e)
            | AddNetworkReferenceResponse::Conflict(e)
            | AddNetworkReferenceResponse::InternalServerError(e) => e,
            other => panic!("{status}: unexpected {other:?}"),
        };
        assert!(
            format!("{:?}", *response).starts_with(variant),
            "{response:?}"
        );
        // The same body through the trait every response enum implements.
        assert!(std::ptr::eq(response.error_body().unwrap(), error));
        assert_eq!(response.unexpected_body(), None);
        assert_eq!(serde_json::to_value(error.error).unwrap(), json!(code));
        assert_eq!(error.error_description, format!("answer {status}"));
    }

    // Statuses with other bodies, on other operations.
    let (_server, client) = setup(|_| empty_response(204)).await;
    let response = client
        .remove_network_reference("net-1", REFERENCE)
        .await
        .unwrap();
    assert_eq!(response.status(), http::StatusCode::NO_CONTENT);
    let (_server, client) = setup(|_| platform_error(404, "not_found")).await;
    let response = client.list_network_references("net-1").await.unwrap();
    assert!(matches!(
        response.into_inner(),
        ListNetworkReferencesResponse::NotFound(types::Error {
            error: types::ErrorError::NotFound,
            ..
        })
    ));
}

#[tokio::test]
async fn an_undocumented_status_is_unexpected_and_keeps_the_body() {
    // 418 is documented nowhere; 409 is not documented for DELETE.
    let (_server, client) = setup(|_| {
        http::Response::builder()
            .status(418)
            .body(Bytes::from_static(b"short and stout"))
            .unwrap()
    })
    .await;
    let response = client
        .remove_network_reference("net-1", REFERENCE)
        .await
        .unwrap();
    let RemoveNetworkReferenceResponse::Unexpected { status, body } = &*response else {
        panic!("expected Unexpected, got {response:?}");
    };
    assert_eq!(status.as_u16(), 418);
    assert_eq!(&body[..], b"short and stout");
    assert_eq!(response.status().as_u16(), 418);
    assert_eq!(
        response.unexpected_body().map(|b| &b[..]),
        Some(&b"short and stout"[..])
    );
    assert!(response.error_body().is_none());

    let (_server, client) = setup(|_| platform_error(409, "conflict")).await;
    let response = client
        .remove_network_reference("net-1", REFERENCE)
        .await
        .unwrap();
    assert!(
        matches!(&*response, RemoveNetworkReferenceResponse::Unexpected { status, .. } if status.as_u16() == 409),
        "{response:?}"
    );
}

#[tokio::test]
async fn a_malformed_body_is_a_decode_error_with_status_and_excerpt() {
    let (_server, client) = setup(|_| json_response(200, &json!({ "references": 5 }))).await;
    let error = client.list_network_references("net-1").await.unwrap_err();
    assert!(error.is_decode());
    assert_eq!(error.status(), Some(http::StatusCode::OK));
    assert_eq!(error.operation(), Some("listNetworkReferences"));
    let Error::Decode { excerpt, .. } = &error else {
        panic!("expected Decode, got {error:?}");
    };
    assert_eq!(excerpt, r#"{"references":5}"#);
    assert!(
        error.to_string().contains("listNetworkReferences"),
        "{error}"
    );

    // A documented error status whose body is not JSON (an ingress page) is not decoded: it is
    // an unexpected answer, and `into_result` reports its status with a bounded excerpt.
    let big = "<html>".repeat(1000);
    let (_server, client) = setup(move |_| {
        http::Response::builder()
            .status(404)
            .header("content-type", "text/html")
            .body(Bytes::from(big.clone()))
            .unwrap()
    })
    .await;
    let response = client
        .add_network_reference("net-1", REFERENCE)
        .await
        .unwrap();
    assert!(
        matches!(&*response, AddNetworkReferenceResponse::Unexpected { status, .. } if *status == 404),
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
    let (server, client) = setup_with(|_| empty_response(204), editors).await;
    client
        .add_network_reference("net-1", REFERENCE)
        .await
        .unwrap();
    client
        .remove_network_reference("net-1", REFERENCE)
        .await
        .unwrap();
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

#[tokio::test]
async fn a_refusing_editor_stops_the_request() {
    let editors: Vec<Arc<dyn RequestEditor>> =
        vec![Arc::new(Tag("first")), Arc::new(Tag("refuse"))];
    let (server, client) = setup_with(|_| empty_response(204), editors).await;
    let error = client
        .add_network_reference("net-1", REFERENCE)
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
    for (network, reason) in [
        ("", "empty"),
        ("..", "a dot segment"),
        (".", "a dot segment"),
    ] {
        let error = client
            .remove_network_reference(network, REFERENCE)
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                Error::InvalidPathParameter {
                    operation: "removeNetworkReference",
                    parameter: "networkID",
                    reason: r,
                } if r == reason
            ),
            "{network:?}: {error:?}"
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
    let error = client.list_network_references("net-1").await.unwrap_err();
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
async fn a_malformed_answer_that_may_hold_credentials_is_not_quoted() {
    // `kubeconfig` present but `metadata` missing: undecodable, and secret.
    let (_server, client) = setup(|_| {
        json_response(
            200,
            &json!({"spec": {"type": "kubernetes", "kubernetes": {"kubeconfig": "top-secret"}}}),
        )
    })
    .await;
    let error = client
        .get_region_detail("org-1", "region-1")
        .await
        .unwrap_err();
    let Error::Decode { excerpt, .. } = &error else {
        panic!("expected Decode, got {error:?}");
    };
    assert!(excerpt.contains("withheld"), "{excerpt}");
    assert!(!format!("{error:?}").contains("top-secret"), "{error:?}");
}

#[tokio::test]
async fn into_result_gives_the_success_body_or_a_typed_error() {
    let (_server, client) =
        setup(|_| json_response(200, &json!({ "references": [REFERENCE] }))).await;
    let listed = client
        .list_network_references("net-1")
        .await
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(listed.references.len(), 1);

    // A bodyless success is `()`.
    let (_server, client) = setup(|_| empty_response(204)).await;
    let () = client
        .remove_network_reference("net-1", REFERENCE)
        .await
        .unwrap()
        .into_result()
        .unwrap();

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
        .list_network_references("net-1")
        .await
        .unwrap()
        .into_result()
        .unwrap_err();
    assert!(error.is_not_found());
    assert_eq!(error.status(), Some(http::StatusCode::NOT_FOUND));
    assert_eq!(error.operation(), Some("listNetworkReferences"));
    let body = error.error_body().unwrap();
    assert_eq!(body.error, types::ErrorError::NotFound);
    assert_eq!(body.error_description, "no network");
    let Error::Status(status) = &error else {
        panic!("expected Status, got {error:?}");
    };
    assert_eq!(status.headers()["cache-control"], "no-cache");
    assert!(status.excerpt().contains("no network"), "{status:?}");
    assert_eq!(
        error.to_string(),
        "listNetworkReferences: the server answered 404 Not Found (not_found: no network)"
    );
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
    let response = client
        .delete_server("org-1", "project-1", "identity-1", "server-1")
        .await
        .unwrap();
    assert_eq!(response.status(), http::StatusCode::ACCEPTED);
    assert_eq!(response.headers()["retry-after"], "30");
    let (status, headers, inner) = response.into_parts();
    assert_eq!(status, http::StatusCode::ACCEPTED);
    assert_eq!(headers["retry-after"], "30");
    assert!(matches!(inner, DeleteServerResponse::Accepted));
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
        setup_with(|_| empty_response(204), vec![Arc::new(RecordOperation)]).await;
    client
        .remove_network_reference("net-1", REFERENCE)
        .await
        .unwrap();
    assert_eq!(
        only_request(&server).header("x-operation"),
        Some("removeNetworkReference /api/v2/networks/{networkID}/references/{reference}")
    );
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
    let response = client.get_region_detail("org-1", "region-1").await.unwrap();
    let printed = format!("{response:?}");
    assert!(!printed.contains("top-secret"), "{printed}");
    assert!(printed.contains("22 bytes withheld"), "{printed}");
    let error = response.into_result().unwrap_err();
    let printed = format!("{error:?} {error}");
    assert!(!printed.contains("top-secret"), "{printed}");
    assert_eq!(error.status(), Some(http::StatusCode::BAD_GATEWAY));
}
