//! Generator tests on small specs, plus the snapshot test of the committed output.

use std::collections::BTreeMap;

use super::{
    OUTPUT, SPEC, generate, generate_specs, operations, schema::Definitions, spec::Specs, sync,
    workspace_root,
};

const HEAD: &str = "openapi: 3.0.3\ninfo: {title: test, version: '1'}\n";

/// Generates from in-memory files; the first is the main spec.
fn try_generate(files: &[(&str, &str)]) -> anyhow::Result<String> {
    let sources: BTreeMap<String, String> = files
        .iter()
        .map(|(name, text)| ((*name).to_owned(), format!("{HEAD}{text}")))
        .collect();
    let specs = Specs::from_sources(files[0].0, sources)?;
    generate_specs(&specs)
}

fn gen_ok(files: &[(&str, &str)]) -> String {
    match try_generate(files) {
        Ok(code) => code,
        Err(error) => panic!("generation failed: {error:#}"),
    }
}

fn gen_err(files: &[(&str, &str)]) -> String {
    match try_generate(files) {
        Ok(_) => panic!("generation should have failed"),
        Err(error) => format!("{error:#}"),
    }
}

/// The code with all whitespace (and trailing commas before a closing parenthesis) removed,
/// for matching fragments regardless of how the formatter broke lines.
fn squash(code: &str) -> String {
    code.split_whitespace()
        .collect::<String>()
        .replace(",)", ")")
}

fn assert_has(code: &str, fragment: &str) {
    assert!(
        squash(code).contains(&squash(fragment)),
        "generated code lacks `{fragment}`:\n{code}"
    );
}

const THINGS: &str = r#"
paths:
  /api/v1/things/{thingID}:
    parameters:
    - name: thingID
      in: path
      required: true
      schema: {$ref: '#/components/schemas/name'}
    get:
      operationId: getThing
      description: Read a thing.
      parameters:
      - name: tag
        in: query
        schema: {type: array, items: {type: string}}
      - name: limit
        in: query
        required: true
        schema: {type: integer}
      responses:
        '200':
          description: The thing.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/thing'}
        '404':
          description: No such thing.
    put:
      operationId: putThing
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/thing'}
      responses:
        '204': {description: Stored.}
components:
  schemas:
    name: {type: string, minLength: 1}
    colour:
      description: A colour.
      type: string
      enum: [red, dark-blue]
    thing:
      description: A thing.
      type: object
      required: [id, colour, note]
      properties:
        id: {type: string, description: Its id.}
        colour: {$ref: '#/components/schemas/colour'}
        note: {type: string, nullable: true, description: A note.}
        size: {type: integer, description: Its size.}
        created: {type: string, format: date-time, description: When.}
        password: {type: string, description: A secret.}
"#;

#[test]
fn path_and_query_parameters_become_typed_arguments() {
    let code = gen_ok(&[("main.yaml", THINGS)]);
    assert_has(
        &code,
        "pub async fn get_thing(&self, thing_id: &str, tag: ::std::option::Option<&[::std::string::String]>, limit: i64)",
    );
    assert_has(
        &code,
        r#"let thing_id = crate::client::path_segment("getThing", "thingID", thing_id)?;"#,
    );
    assert_has(
        &code,
        r#"let path = ::std::format!("/api/v1/things/{thing_id}");"#,
    );
    // Each query parameter is one push of its values: none for an absent optional one, one
    // per item of a list.
    assert_has(
        &code,
        r#"let mut query = crate::client::Query::new(path); query.push("tag", tag.unwrap_or_default()); query.push("limit", [limit]); let path = query.finish();"#,
    );
    assert_has(
        &code,
        "Sends a `GET` request to `/api/v1/things/{thingID}` (`getThing`) without a body.",
    );
}

#[test]
fn the_operation_table_has_a_line_per_operation() {
    let code = gen_ok(&[("main.yaml", THINGS)]);
    assert_has(
        &code,
        r#"crate::operations::operations! {
            /// `GET /api/v1/things/{thingID}`: [`Client::get_thing`](crate::Client::get_thing).
            GetThing = "getThing", GET "/api/v1/things/{thingID}", ["thingID": text], body: -, [OK, NOT_FOUND];
            /// `PUT /api/v1/things/{thingID}`: [`Client::put_thing`](crate::Client::put_thing).
            PutThing = "putThing", PUT "/api/v1/things/{thingID}", ["thingID": text], body: Thing, [NO_CONTENT];
        }"#,
    );
    let code = gen_ok(&[("main.yaml", PARAMS)]);
    assert_has(
        &code,
        r#"AddWidgetReference = "addWidgetReference", PUT "/api/v2/widgets/{widgetID}/references/{reference}", ["widgetID": uuid, "reference": text], body: -, [CREATED];"#,
    );
    assert_eq!(code.matches("crate::operations::operations! {").count(), 1);
}

#[test]
fn responses_become_enum_variants_and_bodies_are_typed() {
    let code = gen_ok(&[("main.yaml", THINGS)]);
    // One invocation of the runtime's macro per operation, the success first, one line per
    // documented status.
    assert_has(
        &code,
        "crate::response_enum::response_enum! { \
         /// The answer to [`Client::get_thing`](crate::Client::get_thing) (`getThing`): one variant per documented status, with its decoded body. \
         GetThingResponse for GetThing, sensitive: true; \
         /// `200 OK`: The thing. \
         success OK Ok(types::Thing); \
         /// `404 Not Found`: No such thing. \
         other NOT_FOUND NotFound; }",
    );
    assert_has(
        &code,
        "PutThingResponse for PutThing, sensitive: false; /// `204 No Content`: Stored. success NO_CONTENT NoContent; }",
    );
    assert_eq!(
        code.matches("crate::response_enum::response_enum! {")
            .count(),
        2
    );
    assert_has(
        &code,
        "pub async fn put_thing(&self, thing_id: &str, body: &types::Thing) -> ::std::result::Result<crate::ResponseValue<PutThingResponse>, crate::Error>",
    );
    // The runtime takes the method from the table, through the response enum.
    assert_has(&code, "self.call_json(path, body).await");
    assert_has(&code, "self.call_empty(path).await");
    assert!(!code.contains("Method::"), "{code}");
}

#[test]
fn enums_nullable_and_required_fields() {
    let code = gen_ok(&[("main.yaml", THINGS)]);
    // Enums are Rust enums with the wire names kept.
    assert_has(&code, "pub enum Colour {");
    assert_has(&code, r#"/// `dark-blue` on the wire. DarkBlue,"#);
    assert_has(&code, r#"Self::DarkBlue => "dark-blue","#);
    // Required fields are plain, nullable and optional ones are `Option`.
    assert_has(&code, "pub id: ::std::string::String,");
    assert_has(&code, "pub colour: Colour,");
    assert_has(
        &code,
        "pub note: ::std::option::Option<::std::string::String>,",
    );
    assert_has(&code, "pub size: ::std::option::Option<i64>,");
    assert_has(
        &code,
        "pub created: ::std::option::Option<::chrono::DateTime<::chrono::offset::Utc>>,",
    );
}

#[test]
fn credential_fields_are_redacted_in_debug() {
    let code = gen_ok(&[("main.yaml", THINGS)]);
    assert_has(&code, "impl ::std::fmt::Debug for Thing {");
    assert_has(
        &code,
        r#".field("password", &self.password.as_ref().map(|_| "<redacted>"))"#,
    );
}

#[test]
fn references_across_files_are_resolved() {
    let main = r#"
paths:
  /widgets:
    get:
      operationId: listWidgets
      responses:
        '200':
          description: Widgets.
          content:
            application/json:
              schema: {$ref: 'shared.yaml#/components/schemas/widgets'}
        '500': {$ref: 'shared.yaml#/components/responses/failed'}
components:
  schemas:
    gadget:
      type: object
      properties:
        part: {$ref: 'shared.yaml#/components/schemas/widget'}
"#;
    let shared = r#"
paths: {}
components:
  schemas:
    widgets: {type: array, items: {$ref: '#/components/schemas/widget'}}
    widget:
      type: object
      required: [shade]
      properties:
        shade: {$ref: '#/components/schemas/shade'}
    shade: {type: string, enum: [light, dark]}
    problem: {type: object, properties: {message: {type: string}}}
  responses:
    failed:
      description: It failed.
      content:
        application/json:
          schema: {$ref: '#/components/schemas/problem'}
"#;
    let code = gen_ok(&[("main.yaml", main), ("shared.yaml", shared)]);
    assert_has(&code, "pub struct Widgets(pub ::std::vec::Vec<Widget>);");
    assert_has(&code, "pub shade: Shade,");
    assert_has(&code, "pub enum Shade {");
    assert_has(&code, "pub struct Gadget {");
    assert_has(&code, "success OK Ok(types::Widgets);");
    // An error answer with another schema than the platform's error is no `error_body`.
    assert_has(
        &code,
        "other INTERNAL_SERVER_ERROR InternalServerError(types::Problem);",
    );
}

#[test]
fn unknown_refs_are_errors_naming_the_location() {
    let main = r#"
paths: {}
components:
  schemas:
    thing:
      type: object
      properties:
        part: {$ref: '#/components/schemas/missing'}
"#;
    let err = gen_err(&[("main.yaml", main)]);
    assert!(
        err.contains("unknown $ref `#/components/schemas/missing`"),
        "{err}"
    );
    assert!(
        err.contains("main.yaml#/components/schemas/thing/properties/part/$ref"),
        "{err}"
    );
}

#[test]
fn unsupported_constructs_are_errors_naming_the_location() {
    let schema_keyword = r#"
paths: {}
components:
  schemas:
    odd: {not: {type: string}}
"#;
    let err = gen_err(&[("main.yaml", schema_keyword)]);
    assert!(err.contains("unsupported schema keyword `not`"), "{err}");
    assert!(
        err.contains("main.yaml#/components/schemas/odd/not"),
        "{err}"
    );

    let header_parameter = r#"
paths:
  /api/v1/x:
    get:
      operationId: getX
      parameters:
      - {name: x-trace, in: header, schema: {type: string}}
      responses:
        '204': {description: Done.}
"#;
    let err = gen_err(&[("main.yaml", header_parameter)]);
    assert!(err.contains("unsupported parameter location"), "{err}");
    assert!(
        err.contains("main.yaml#/paths/~1api~1v1~1x/get/parameters/0"),
        "{err}"
    );

    let inline_body = r#"
paths:
  /x:
    get:
      operationId: getX
      responses:
        '200':
          description: Inline.
          content:
            application/json:
              schema: {type: object}
"#;
    let err = gen_err(&[("main.yaml", inline_body)]);
    assert!(err.contains("unsupported inline schema"), "{err}");
    assert!(
        err.contains("main.yaml#/paths/~1x/get/responses/200/content/application~1json/schema"),
        "{err}"
    );

    let default_response = r#"
paths:
  /x:
    get:
      operationId: getX
      responses:
        default: {description: Anything.}
"#;
    let err = gen_err(&[("main.yaml", default_response)]);
    assert!(err.contains("unsupported response key `default`"), "{err}");

    let no_operation_id = r#"
paths:
  /x:
    delete:
      responses:
        '204': {description: Gone.}
"#;
    let err = gen_err(&[("main.yaml", no_operation_id)]);
    assert!(
        err.contains("main.yaml#/paths/~1x/delete has no operationId"),
        "{err}"
    );

    let body_key = r#"
paths:
  /x:
    put:
      operationId: putX
      requestBody:
        required: true
        encoding: {}
        content:
          application/json:
            schema: {$ref: '#/components/schemas/x'}
      responses:
        '204': {description: Done.}
components:
  schemas:
    x: {type: string}
"#;
    let err = gen_err(&[("main.yaml", body_key)]);
    assert!(
        err.contains("unsupported request body key `encoding`"),
        "{err}"
    );
    assert!(
        err.contains("main.yaml#/paths/~1x/put/requestBody/encoding"),
        "{err}"
    );

    // A pattern the generated code could not compile (regress has no inline flags).
    let bad_pattern = r#"
paths: {}
components:
  schemas:
    name: {type: string, pattern: '(?i)^[a-z]+$'}
"#;
    let err = gen_err(&[("main.yaml", bad_pattern)]);
    assert!(
        err.contains("is not a supported regular expression"),
        "{err}"
    );
    assert!(err.contains("main.yaml#/components/schemas/name"), "{err}");
}

#[test]
fn output_is_deterministic() {
    let spec = workspace_root().join(SPEC);
    let first = generate(&spec).unwrap();
    let second = generate(&spec).unwrap();
    assert!(first == second, "two runs over the same spec differ");
    let small_first = gen_ok(&[("main.yaml", THINGS)]);
    let small_second = gen_ok(&[("main.yaml", THINGS)]);
    assert!(small_first == small_second);
}

/// The committed generated file is what the committed specs produce (like progenitor's
/// `test_output.rs`); `cargo xtask codegen` fixes a failure.
#[test]
fn committed_output_is_up_to_date() {
    let root = workspace_root();
    let fresh = generate(&root.join(SPEC)).unwrap();
    let committed = std::fs::read_to_string(root.join(OUTPUT)).unwrap();
    assert!(
        fresh == committed,
        "{OUTPUT} is stale: run `cargo xtask codegen` and commit the result"
    );
    assert!(committed.starts_with("// generated by cargo xtask codegen; do not edit."));
}

/// The operationIds of the region API v1.19.0, with method and path: exactly the platform's 74
/// operations, none of our own.
const REGION_OPERATIONS: &[(&str, &str, &str)] = &[
    (
        "getOpenidProtectedResource",
        "get",
        "/.well-known/openid-protected-resource",
    ),
    ("getVersion", "get", "/api/version"),
    (
        "listRegions",
        "get",
        "/api/v1/organizations/{organizationID}/regions",
    ),
    (
        "getRegionDetail",
        "get",
        "/api/v1/organizations/{organizationID}/regions/{regionID}/detail",
    ),
    (
        "listFlavors",
        "get",
        "/api/v1/organizations/{organizationID}/regions/{regionID}/flavors",
    ),
    (
        "listImages",
        "get",
        "/api/v1/organizations/{organizationID}/regions/{regionID}/images",
    ),
    (
        "createImage",
        "post",
        "/api/v1/organizations/{organizationID}/regions/{regionID}/images",
    ),
    (
        "deleteImage",
        "delete",
        "/api/v1/organizations/{organizationID}/regions/{regionID}/images/{imageID}",
    ),
    (
        "listExternalNetworks",
        "get",
        "/api/v1/organizations/{organizationID}/regions/{regionID}/externalnetworks",
    ),
    (
        "listIdentities",
        "get",
        "/api/v1/organizations/{organizationID}/identities",
    ),
    (
        "createIdentity",
        "post",
        "/api/v1/organizations/{organizationID}/projects/{projectID}/identities",
    ),
    (
        "getIdentity",
        "get",
        "/api/v1/organizations/{organizationID}/projects/{projectID}/identities/{identityID}",
    ),
    (
        "deleteIdentity",
        "delete",
        "/api/v1/organizations/{organizationID}/projects/{projectID}/identities/{identityID}",
    ),
    (
        "listNetworks",
        "get",
        "/api/v1/organizations/{organizationID}/networks",
    ),
    (
        "createNetwork",
        "post",
        "/api/v1/organizations/{organizationID}/projects/{projectID}/identities/{identityID}/networks",
    ),
    (
        "getNetwork",
        "get",
        "/api/v1/organizations/{organizationID}/projects/{projectID}/identities/{identityID}/networks/{networkID}",
    ),
    (
        "deleteNetwork",
        "delete",
        "/api/v1/organizations/{organizationID}/projects/{projectID}/identities/{identityID}/networks/{networkID}",
    ),
    (
        "listSecurityGroups",
        "get",
        "/api/v1/organizations/{organizationID}/securitygroups",
    ),
    (
        "createSecurityGroup",
        "post",
        "/api/v1/organizations/{organizationID}/projects/{projectID}/identities/{identityID}/securitygroups",
    ),
    (
        "getSecurityGroup",
        "get",
        "/api/v1/organizations/{organizationID}/projects/{projectID}/identities/{identityID}/securitygroups/{securityGroupID}",
    ),
    (
        "updateSecurityGroup",
        "put",
        "/api/v1/organizations/{organizationID}/projects/{projectID}/identities/{identityID}/securitygroups/{securityGroupID}",
    ),
    (
        "deleteSecurityGroup",
        "delete",
        "/api/v1/organizations/{organizationID}/projects/{projectID}/identities/{identityID}/securitygroups/{securityGroupID}",
    ),
    (
        "listServers",
        "get",
        "/api/v1/organizations/{organizationID}/servers",
    ),
    (
        "createServer",
        "post",
        "/api/v1/organizations/{organizationID}/projects/{projectID}/identities/{identityID}/servers",
    ),
    (
        "getServer",
        "get",
        "/api/v1/organizations/{organizationID}/projects/{projectID}/identities/{identityID}/servers/{serverID}",
    ),
    (
        "updateServer",
        "put",
        "/api/v1/organizations/{organizationID}/projects/{projectID}/identities/{identityID}/servers/{serverID}",
    ),
    (
        "deleteServer",
        "delete",
        "/api/v1/organizations/{organizationID}/projects/{projectID}/identities/{identityID}/servers/{serverID}",
    ),
    (
        "startServer",
        "post",
        "/api/v1/organizations/{organizationID}/projects/{projectID}/identities/{identityID}/servers/{serverID}/start",
    ),
    (
        "stopServer",
        "post",
        "/api/v1/organizations/{organizationID}/projects/{projectID}/identities/{identityID}/servers/{serverID}/stop",
    ),
    (
        "softRebootServer",
        "post",
        "/api/v1/organizations/{organizationID}/projects/{projectID}/identities/{identityID}/servers/{serverID}/softreboot",
    ),
    (
        "hardRebootServer",
        "post",
        "/api/v1/organizations/{organizationID}/projects/{projectID}/identities/{identityID}/servers/{serverID}/hardreboot",
    ),
    (
        "getServerConsoleSession",
        "get",
        "/api/v1/organizations/{organizationID}/projects/{projectID}/identities/{identityID}/servers/{serverID}/consolesessions",
    ),
    (
        "getServerConsoleOutput",
        "get",
        "/api/v1/organizations/{organizationID}/projects/{projectID}/identities/{identityID}/servers/{serverID}/consoleoutput",
    ),
    ("listNetworksV2", "get", "/api/v2/networks"),
    ("createNetworkV2", "post", "/api/v2/networks"),
    ("getNetworkV2", "get", "/api/v2/networks/{networkID}"),
    ("updateNetworkV2", "put", "/api/v2/networks/{networkID}"),
    ("deleteNetworkV2", "delete", "/api/v2/networks/{networkID}"),
    (
        "addNetworkReference",
        "put",
        "/api/v2/networks/{networkID}/references/{reference}",
    ),
    (
        "removeNetworkReference",
        "delete",
        "/api/v2/networks/{networkID}/references/{reference}",
    ),
    ("listSecurityGroupsV2", "get", "/api/v2/securitygroups"),
    ("createSecurityGroupV2", "post", "/api/v2/securitygroups"),
    (
        "getSecurityGroupV2",
        "get",
        "/api/v2/securitygroups/{securityGroupID}",
    ),
    (
        "updateSecurityGroupV2",
        "put",
        "/api/v2/securitygroups/{securityGroupID}",
    ),
    (
        "deleteSecurityGroupV2",
        "delete",
        "/api/v2/securitygroups/{securityGroupID}",
    ),
    ("listLoadBalancers", "get", "/api/v2/loadbalancers"),
    ("createLoadBalancer", "post", "/api/v2/loadbalancers"),
    (
        "getLoadBalancer",
        "get",
        "/api/v2/loadbalancers/{loadBalancerID}",
    ),
    (
        "updateLoadBalancer",
        "put",
        "/api/v2/loadbalancers/{loadBalancerID}",
    ),
    (
        "deleteLoadBalancer",
        "delete",
        "/api/v2/loadbalancers/{loadBalancerID}",
    ),
    (
        "listSshCertificateAuthorities",
        "get",
        "/api/v2/sshcertificateauthorities",
    ),
    (
        "createSshCertificateAuthority",
        "post",
        "/api/v2/sshcertificateauthorities",
    ),
    (
        "getSshCertificateAuthority",
        "get",
        "/api/v2/sshcertificateauthorities/{sshCertificateAuthorityID}",
    ),
    (
        "deleteSshCertificateAuthority",
        "delete",
        "/api/v2/sshcertificateauthorities/{sshCertificateAuthorityID}",
    ),
    ("listImagesV2", "get", "/api/v2/regions/{regionID}/images"),
    ("listServersV2", "get", "/api/v2/servers"),
    ("createServerV2", "post", "/api/v2/servers"),
    ("getServerV2", "get", "/api/v2/servers/{serverID}"),
    ("updateServerV2", "put", "/api/v2/servers/{serverID}"),
    ("deleteServerV2", "delete", "/api/v2/servers/{serverID}"),
    (
        "getServerSshKey",
        "get",
        "/api/v2/servers/{serverID}/sshkey",
    ),
    ("startServerV2", "post", "/api/v2/servers/{serverID}/start"),
    ("stopServerV2", "post", "/api/v2/servers/{serverID}/stop"),
    (
        "softRebootServerV2",
        "post",
        "/api/v2/servers/{serverID}/softreboot",
    ),
    (
        "hardRebootServerV2",
        "post",
        "/api/v2/servers/{serverID}/hardreboot",
    ),
    (
        "getServerConsoleSessionV2",
        "get",
        "/api/v2/servers/{serverID}/consolesessions",
    ),
    (
        "getServerConsoleOutputV2",
        "get",
        "/api/v2/servers/{serverID}/consoleoutput",
    ),
    (
        "snapshotServerV2",
        "post",
        "/api/v2/servers/{serverID}/snapshot",
    ),
    ("listFileStorage", "get", "/api/v2/filestorage"),
    ("createFileStorage", "post", "/api/v2/filestorage"),
    (
        "getFileStorage",
        "get",
        "/api/v2/filestorage/{filestorageID}",
    ),
    (
        "updateFileStorage",
        "put",
        "/api/v2/filestorage/{filestorageID}",
    ),
    (
        "deleteFileStorage",
        "delete",
        "/api/v2/filestorage/{filestorageID}",
    ),
    (
        "listFileStorageClasses",
        "get",
        "/api/v2/filestorageclasses",
    ),
];

#[test]
fn the_region_spec_has_exactly_the_platforms_74_operations() {
    let specs = Specs::load(&workspace_root().join(SPEC)).unwrap();
    let mut defs = Definitions::collect(&specs).unwrap();
    let operations = operations::collect(&specs, &mut defs).unwrap();
    assert_eq!(operations.len(), 74);
    let mut found: Vec<(&str, &str, &str)> = operations
        .iter()
        .map(|op| (op.id.as_str(), op.method.as_str(), op.path.as_str()))
        .collect();
    let mut expected = REGION_OPERATIONS.to_vec();
    found.sort_unstable();
    expected.sort_unstable();
    assert_eq!(found, expected);

    // And each is a method of the committed client.
    let code = std::fs::read_to_string(workspace_root().join(OUTPUT)).unwrap();
    assert_eq!(code.matches("pub async fn ").count(), 74);
    for op in &operations {
        let method = heck::ToSnakeCase::to_snake_case(op.id.as_str());
        assert!(
            code.contains(&format!("pub async fn {method}(")),
            "{method} is missing"
        );
    }
}

#[test]
fn check_names_the_stale_file_and_write_fixes_it() {
    let dir = std::env::temp_dir().join(format!("xtask-codegen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("main.yaml"), format!("{HEAD}{THINGS}")).unwrap();
    let spec = dir.join("main.yaml");
    let output = dir.join("generated.rs");
    std::fs::write(&output, "// old\n").unwrap();

    let err = sync(&spec, &output, "generated.rs", true)
        .unwrap_err()
        .to_string();
    assert!(err.contains("generated.rs is stale"), "{err}");
    assert_eq!(std::fs::read_to_string(&output).unwrap(), "// old\n");

    assert_eq!(
        sync(&spec, &output, "generated.rs", false).unwrap(),
        "wrote generated.rs"
    );
    assert_eq!(
        sync(&spec, &output, "generated.rs", true).unwrap(),
        "generated.rs is up to date"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn nullable_outside_a_property_and_x_sensitive_fields() {
    let nullable_item = r#"
paths: {}
components:
  schemas:
    list: {type: array, items: {type: string, nullable: true}}
"#;
    let err = gen_err(&[("main.yaml", nullable_item)]);
    assert!(
        err.contains("main.yaml#/components/schemas/list/items/nullable"),
        "{err}"
    );

    let marked = r#"
paths: {}
components:
  schemas:
    config:
      type: object
      required: [blob]
      properties:
        blob: {type: string, x-sensitive: true}
        name: {type: string}
"#;
    let code = gen_ok(&[("main.yaml", marked)]);
    assert_has(&code, r#".field("blob", &"<redacted>")"#);
    assert_has(&code, r#".field("name", &self.name)"#);
}

#[test]
fn answers_of_credential_bearing_operations_are_not_printed_raw() {
    let code = gen_ok(&[("main.yaml", THINGS)]);
    // `thing` has a `password`: getThing's answers may hold credentials, and the runtime
    // withholds their raw bodies.
    assert_has(&code, "GetThingResponse for GetThing, sensitive: true;");
    // putThing answers without a body.
    assert_has(&code, "PutThingResponse for PutThing, sensitive: false;");
}

#[test]
fn answers_with_the_platforms_error_schema_are_error_variants() {
    let spec = r#"
paths:
  /x:
    delete:
      operationId: deleteX
      responses:
        '202': {description: Deleting.}
        '400':
          description: Refused.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/error'}
        '409':
          description: In use.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/other'}
components:
  schemas:
    error:
      type: object
      required: [error, error_description]
      properties:
        error: {type: string}
        error_description: {type: string}
    other: {type: object, properties: {message: {type: string}}}
"#;
    let code = gen_ok(&[("main.yaml", spec)]);
    assert_has(
        &code,
        "success ACCEPTED Accepted; /// `400 Bad Request`: Refused. error BAD_REQUEST BadRequest(types::Error); \
         /// `409 Conflict`: In use. other CONFLICT Conflict(types::Other); }",
    );
    assert_has(
        &code,
        r#"DeleteX = "deleteX", DELETE "/x", [], body: -, [ACCEPTED, BAD_REQUEST, CONFLICT];"#,
    );
}

#[test]
fn an_operation_needs_exactly_one_success_status() {
    let two = r#"
paths:
  /x:
    get:
      operationId: getX
      responses:
        '200': {description: Now.}
        '202': {description: Later.}
"#;
    let err = gen_err(&[("main.yaml", two)]);
    assert!(
        err.contains(
            "operation `getX` at main.yaml#/paths/~1x/get documents 2 success (2xx) statuses"
        ),
        "{err}"
    );
    let none = r#"
paths:
  /x:
    get:
      operationId: getX
      responses:
        '404': {description: Never.}
"#;
    let err = gen_err(&[("main.yaml", none)]);
    assert!(err.contains("documents 0 success (2xx) statuses"), "{err}");
}

const PARAMS: &str = r#"
paths:
  /api/v2/widgets/{widgetID}/references/{reference}:
    parameters:
    - $ref: '#/components/parameters/widgetIDParameter'
    - {name: reference, in: path, required: true, schema: {type: string}}
    put:
      operationId: addWidgetReference
      x-no-body: true
      responses:
        '201': {description: Added.}
  /api/v2/widgets:
    get:
      operationId: listWidgets
      parameters:
      - $ref: '#/components/parameters/colourQueryParameter'
      - {name: owner, in: query, schema: {type: string, format: uuid}}
      - {name: ownerIDs, in: query, schema: {type: array, items: {type: string, format: uuid}}}
      - {name: shade, in: query, schema: {type: array, items: {$ref: '#/components/schemas/shade'}}}
      - {name: sort, in: query, schema: {type: string, enum: [name, age]}}
      - {name: verbose, in: query, required: true, schema: {type: boolean}}
      responses:
        '200': {description: Widgets.}
components:
  parameters:
    widgetIDParameter:
      name: widgetID
      in: path
      required: true
      schema: {$ref: '#/components/schemas/widgetId'}
    colourQueryParameter:
      name: colour
      in: query
      schema: {type: string, enum: [red, blue]}
  schemas:
    widgetId: {type: string, format: uuid}
    shade: {type: string, enum: [light, dark]}
"#;

#[test]
fn uuid_enum_and_list_parameters_are_typed() {
    let code = gen_ok(&[("main.yaml", PARAMS)]);
    // A uuid path parameter is a `Uuid`, written hyphenated; a string one is escaped.
    assert_has(
        &code,
        "pub async fn add_widget_reference(&self, widget_id: ::uuid::Uuid, reference: &str)",
    );
    assert_has(
        &code,
        r#"let reference = crate::client::path_segment("addWidgetReference", "reference", reference)?;"#,
    );
    // A UUID goes into the path as it displays: hyphenated, lower case.
    assert_has(
        &code,
        r#"let path = ::std::format!("/api/v2/widgets/{widget_id}/references/{reference}");"#,
    );
    // Query parameters: inline enums are named after the parameter component or the
    // operation, `$ref` enums keep their schema's name; lists are slices.
    assert_has(
        &code,
        "pub async fn list_widgets(&self, colour: ::std::option::Option<&types::Colour>, \
         owner: ::std::option::Option<::uuid::Uuid>, \
         owner_i_ds: ::std::option::Option<&[::uuid::Uuid]>, \
         shade: ::std::option::Option<&[types::Shade]>, \
         sort: ::std::option::Option<&types::ListWidgetsSort>, verbose: bool)",
    );
    assert_has(&code, "pub enum Colour {");
    assert_has(&code, "pub enum ListWidgetsSort {");
    assert_has(&code, r#"query.push("colour", colour);"#);
    assert_has(&code, r#"query.push("owner", owner);"#);
    assert_has(
        &code,
        r#"query.push("ownerIDs", owner_i_ds.unwrap_or_default());"#,
    );
    assert_has(&code, r#"query.push("shade", shade.unwrap_or_default());"#);
    assert_has(&code, r#"query.push("verbose", [verbose]);"#);
    // The uuid schema itself becomes a newtype over `Uuid`.
    assert_has(&code, "pub struct WidgetId(pub ::uuid::Uuid);");
}

#[test]
fn x_no_body_operations_send_nothing() {
    let code = gen_ok(&[("main.yaml", PARAMS)]);
    assert_has(
        &code,
        "Sends a `PUT` request to `/api/v2/widgets/{widgetID}/references/{reference}` (`addWidgetReference`) without a body.",
    );
    assert_has(
        &code,
        r#"let path = ::std::format!("/api/v2/widgets/{widget_id}/references/{reference}"); self.call_empty(path).await"#,
    );
    assert_has(
        &code,
        r#"AddWidgetReference = "addWidgetReference", PUT "/api/v2/widgets/{widgetID}/references/{reference}", ["widgetID": uuid, "reference": text], body: -"#,
    );

    let contradiction = r#"
paths:
  /x:
    put:
      operationId: putX
      x-no-body: true
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/x'}
      responses:
        '204': {description: Done.}
components:
  schemas:
    x: {type: string}
"#;
    let err = gen_err(&[("main.yaml", contradiction)]);
    assert!(
        err.contains(
            "operation at main.yaml#/paths/~1x/put has both `x-no-body: true` and a `requestBody`"
        ),
        "{err}"
    );
}

#[test]
fn schemas_whose_type_names_clash_need_an_x_rust_name() {
    let clash = r#"
paths: {}
components:
  schemas:
    caId: {type: string, format: uuid}
    caID: {type: string}
"#;
    let err = gen_err(&[("main.yaml", clash)]);
    assert!(err.contains("would both be the Rust type `CaId`"), "{err}");
    assert!(err.contains("main.yaml#/components/schemas/caId"), "{err}");
    assert!(err.contains("main.yaml#/components/schemas/caID"), "{err}");
    assert!(err.contains("x-rust-name"), "{err}");

    let renamed = clash.replace(
        "caID: {type: string}",
        "caID: {type: string, x-rust-name: CaIdString}",
    );
    let code = gen_ok(&[("main.yaml", &renamed)]);
    assert_has(&code, "pub struct CaId(pub ::uuid::Uuid);");
    assert_has(&code, "pub struct CaIdString(pub ::std::string::String);");

    let bad = clash.replace(
        "caID: {type: string}",
        "caID: {type: string, x-rust-name: ca-id}",
    );
    let err = gen_err(&[("main.yaml", &bad)]);
    assert!(
        err.contains("main.yaml#/components/schemas/caID/x-rust-name"),
        "{err}"
    );
}

#[test]
fn unsupported_parameters_are_errors_naming_the_location() {
    let cases = [
        (
            "{name: ids, in: path, required: true, schema: {type: array, items: {type: string}}}",
            "only query parameters can be lists",
        ),
        (
            "{name: when, in: query, schema: {type: string, format: date-time}}",
            "unsupported parameter format `date-time`",
        ),
        (
            "{name: x, in: query, style: form, schema: {type: string}}",
            "unsupported parameter key `style`",
        ),
        (
            "{name: x, in: query, schema: {type: string, nullable: true}}",
            "unsupported keyword `nullable` in the parameter schema",
        ),
        (
            "{name: x, in: path, required: true, schema: {type: string, enum: [a, b]}}",
            "a path parameter must be a string or a uuid",
        ),
        (
            "{name: x, in: query, schema: {type: object}}",
            "unsupported parameter type Some(\"object\")",
        ),
    ];
    for (parameter, message) in cases {
        let path = if parameter.contains("in: path") {
            "/x/{ids}"
        } else {
            "/x"
        };
        let path = if parameter.contains("name: x, in: path") {
            "/x/{x}"
        } else {
            path
        };
        let spec = format!(
            "paths:\n  {path}:\n    get:\n      operationId: getX\n      parameters:\n      - {parameter}\n      responses:\n        '204': {{description: Done.}}\n"
        );
        let err = gen_err(&[("main.yaml", &spec)]);
        assert!(err.contains(message), "{parameter}: {err}");
        assert!(err.contains("main.yaml#/paths/"), "{parameter}: {err}");
    }
}

#[test]
fn string_enums_keep_unknown_values() {
    let code = gen_ok(&[("main.yaml", THINGS)]);
    // A catch-all variant; no `Copy`, and serde written out around the wire names.
    assert_has(
        &code,
        "#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)] pub enum Colour {",
    );
    assert_has(&code, "Other(::std::string::String), }");
    assert_has(
        &code,
        r#"fn known(value: &str) -> ::std::option::Option<Self> { match value { "red" => ::std::option::Option::Some(Self::Red), "dark-blue" => ::std::option::Option::Some(Self::DarkBlue), _ => ::std::option::Option::None, } }"#,
    );
    assert_has(
        &code,
        "Self::known(value).unwrap_or_else(|| Self::Other(value.to_owned()))",
    );
    assert_has(&code, "impl ::serde::Serialize for Colour {");
    assert_has(&code, "serializer.serialize_str(self.as_str())");
    assert_has(&code, "impl<'de> ::serde::Deserialize<'de> for Colour {");
    assert_has(&code, "type Err = ::std::convert::Infallible;");
    // typify's fallible conversions are gone (they would refuse the unknown value).
    assert!(!code.contains("TryFrom<&str> for Colour"), "{code}");
    assert!(!code.contains("invalid value"), "{code}");

    let collision = r#"
paths: {}
components:
  schemas:
    choice: {type: string, enum: [this, other]}
"#;
    let err = gen_err(&[("main.yaml", collision)]);
    assert!(
        err.contains(r#"enum value "other" at main.yaml#/components/schemas/choice/enum/1 would become the variant `Other`"#),
        "{err}"
    );
}

#[test]
fn unknown_object_fields_are_not_refused() {
    let closed = r#"
paths: {}
components:
  schemas:
    closed:
      type: object
      additionalProperties: false
      required: [name]
      properties:
        name: {type: string}
"#;
    let code = gen_ok(&[("main.yaml", closed)]);
    assert_has(&code, "pub struct Closed {");
    assert_has(&code, "pub name: ::std::string::String,");
    assert!(!code.contains("deny_unknown_fields"), "{code}");
}
