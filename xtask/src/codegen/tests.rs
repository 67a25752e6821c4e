//! Generator tests on small specs, plus the snapshot test of the committed output.

use std::collections::BTreeMap;

use super::{OUTPUT, SPEC, generate, generate_specs, spec::Specs, sync, workspace_root};

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
        r#"let thing_id = crate::client::path_segment(OPERATION.id(), "thingID", thing_id)?;"#,
    );
    assert_has(&code, r#"::std::format!("/api/v1/things/{thing_id}")"#);
    assert_has(&code, r#"for item in value { query.push("tag", item); }"#);
    assert_has(&code, r#"query.push("limit", &value.to_string());"#);
    assert_has(
        &code,
        "Sends a `GET` request to `/api/v1/things/{thingID}` (`getThing`) without a body.",
    );
    assert_has(
        &code,
        r#"const OPERATION: ::core_client::Operation = ::core_client::Operation::new("getThing", "/api/v1/things/{thingID}");"#,
    );
}

#[test]
fn responses_become_enum_variants_and_bodies_are_typed() {
    let code = gen_ok(&[("main.yaml", THINGS)]);
    assert_has(
        &code,
        "pub enum GetThingResponse { /// `200 OK`: The thing. Ok(types::Thing), /// `404 Not Found`: No such thing. NotFound,",
    );
    assert_has(
        &code,
        "Unexpected { /// The status the server answered with. status: ::http::StatusCode,",
    );
    assert_has(&code, "Self::NotFound => ::http::StatusCode::NOT_FOUND,");
    assert_has(
        &code,
        "pub async fn put_thing(&self, thing_id: &str, body: &types::Thing) -> ::std::result::Result<crate::ResponseValue<PutThingResponse>, crate::Error>",
    );
    assert_has(&code, "crate::client::encode_body(OPERATION.id(), body)?");
    // One decoding function per response enum; a body is decoded only when it is JSON.
    assert_has(
        &code,
        "impl crate::response::Decode for GetThingResponse { fn decode(status: ::http::StatusCode, json: bool, body: ::bytes::Bytes)",
    );
    assert_has(
        &code,
        "200 if json => crate::client::decode::<Self, _>(status, &body).map(Self::Ok),",
    );
    assert_has(&code, "404 => ::std::result::Result::Ok(Self::NotFound),");
    assert_eq!(code.matches("fn decode(").count(), 2);
    // The documented success is what `into_result` gives.
    assert_has(&code, "type Success = types::Thing;");
    assert_has(&code, "type Success = ();");
    assert_has(
        &code,
        "Self::Ok(body) => ::std::result::Result::Ok(body), other => ::std::result::Result::Err(other),",
    );
}

#[test]
fn enums_nullable_and_required_fields() {
    let code = gen_ok(&[("main.yaml", THINGS)]);
    // Enums are Rust enums with the wire names kept.
    assert_has(&code, "pub enum Colour {");
    assert_has(&code, r#"#[serde(rename = "dark-blue")] DarkBlue,"#);
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
    assert_has(&code, "Ok(types::Widgets),");
    assert_has(&code, "InternalServerError(types::Problem),");
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

#[test]
fn every_operation_of_the_region_spec_is_generated() {
    let code = std::fs::read_to_string(workspace_root().join(OUTPUT)).unwrap();
    for method in [
        "list_regions",
        "get_region_detail",
        "list_flavors",
        "list_images",
        "list_external_networks",
        "list_identities",
        "create_identity",
        "get_identity",
        "delete_identity",
        "list_networks",
        "create_network",
        "get_network",
        "delete_network",
        "list_security_groups",
        "create_security_group",
        "get_security_group",
        "update_security_group",
        "delete_security_group",
        "list_security_group_rules",
        "create_security_group_rule",
        "get_security_group_rule",
        "delete_security_group_rule",
        "list_servers",
        "create_server",
        "get_server",
        "update_server",
        "delete_server",
        "list_network_references",
        "add_network_reference",
        "remove_network_reference",
    ] {
        assert!(
            code.contains(&format!("pub async fn {method}(")),
            "{method} is missing"
        );
    }
    assert_eq!(code.matches("pub async fn ").count(), 30);
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
    // `thing` has a `password`: getThing's enum writes its own Debug, hiding raw bodies.
    assert_has(&code, "impl ::std::fmt::Debug for GetThingResponse {");
    assert_has(
        &code,
        r#".field("body", &crate::client::Withheld(body.len()))"#,
    );
    assert_has(&code, "const SENSITIVE: bool = true;");
    // putThing answers without a body: the derived Debug is enough.
    assert_has(
        &code,
        "#[derive(Debug)] #[allow(clippy::large_enum_variant)] pub enum PutThingResponse {",
    );
    assert_has(&code, "const SENSITIVE: bool = false;");
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
