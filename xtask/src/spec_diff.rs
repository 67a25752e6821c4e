//! `cargo xtask spec-diff <upstream region spec> <upstream common spec> [--identity <spec>]`:
//! compares our `openapi/region.spec.yaml` and `openapi/common.spec.yaml` with the platform's
//! own files and prints every difference that can matter on the wire.
//!
//! Ignored, because they only document or only exist on one side by design: `description`,
//! `summary`, `example`, `examples`, `operationId` and every `x-...` key (our `x-sensitive`,
//! `x-rust-name`, upstream's `x-go-type`, ...). Keys of maps whose keys are names
//! (`properties`, `paths`, `schemas`, `responses`, ...) are never ignored: a property called
//! `description` is compared like any other.
//!
//! References are compared by where they point, not how they are spelled: upstream names the
//! core spec by URL (`https://.../core/v1.17.1/pkg/openapi/common.spec.yaml#/...`), we by file
//! (`common.spec.yaml#/...`). Upstream also borrows schemas from other services' specs by URL
//! (the identity service's `organizationId` and `projectId`); we keep a copy of each under our
//! own `components/schemas` with the same name. Those copies are compared with the identity
//! spec when `--identity` gives it, and otherwise only listed.
//!
//! Lists are compared in order: `enum`, `required` and `parameters` are kept in upstream's order
//! so that the generated code follows it too.

use std::{collections::BTreeMap, fmt, path::Path};

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value};

use crate::codegen::workspace_root;

/// Keys that only document, or that one side has by design; ignored everywhere but in name maps.
const IGNORED: &[&str] = &[
    "description",
    "summary",
    "example",
    "examples",
    "operationId",
];

/// Keys whose value is a map from names (of properties, paths, schemas, statuses, media
/// types, ...) to objects: the names themselves are never ignored.
const NAME_MAPS: &[&str] = &[
    "properties",
    "paths",
    "schemas",
    "responses",
    "parameters",
    "requestBodies",
    "securitySchemes",
    "content",
    "headers",
    "links",
    "callbacks",
    "encoding",
    "variables",
    "mapping",
    "scopes",
];

/// The file name our region spec uses for the platform's core spec.
const COMMON: &str = "common.spec.yaml";
/// Our region spec's file name.
const REGION: &str = "region.spec.yaml";

/// The platform's documents, parsed.
#[derive(Debug)]
pub struct Upstream {
    /// The region service's spec.
    pub region: Value,
    /// The core spec the region spec references.
    pub common: Value,
    /// The identity service's spec, when given, to check our copies of its schemas.
    pub identity: Option<Value>,
}

/// Our documents, parsed.
#[derive(Debug)]
pub struct Ours {
    /// `openapi/region.spec.yaml`.
    pub region: Value,
    /// `openapi/common.spec.yaml`.
    pub common: Value,
}

/// One difference between our specs and upstream's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// Which of our files (`region.spec.yaml` or `common.spec.yaml`).
    pub file: &'static str,
    /// JSON pointer into that file (upstream's file has the same layout).
    pub pointer: String,
    /// What differs.
    pub kind: Kind,
}

/// What differs at a location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// Only upstream has something here (shown, abbreviated).
    OnlyUpstream(String),
    /// Only we have something here.
    OnlyOurs(String),
    /// Both have a value, and they differ.
    Changed {
        /// Upstream's value.
        upstream: String,
        /// Ours.
        ours: String,
    },
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}: ", self.file, self.pointer)?;
        match &self.kind {
            Kind::OnlyUpstream(value) => write!(f, "only upstream has {value}"),
            Kind::OnlyOurs(value) => write!(f, "only ours has {value}"),
            Kind::Changed { upstream, ours } => write!(f, "upstream has {upstream}, ours {ours}"),
        }
    }
}

/// The result of a comparison.
#[derive(Debug, Default)]
pub struct Report {
    /// Every difference, by location (object keys in sorted order).
    pub differences: Vec<Difference>,
    /// Things worth knowing that are not differences (what upstream pins, what was not checked).
    pub notes: Vec<String>,
}

/// Runs the command: compares the workspace's specs with the given upstream files, prints the
/// report, and fails when there is a difference.
pub fn run(region: &Path, common: &Path, identity: Option<&Path>) -> Result<()> {
    let upstream = Upstream {
        region: load(region)?,
        common: load(common)?,
        identity: identity.map(load).transpose()?,
    };
    let root = workspace_root().join("openapi");
    let ours = Ours {
        region: load(&root.join(REGION))?,
        common: load(&root.join(COMMON))?,
    };
    let report = compare(&ours, &upstream);
    for note in &report.notes {
        println!("note: {note}");
    }
    for difference in &report.differences {
        println!("{difference}");
    }
    if report.differences.is_empty() {
        println!("no differences");
        Ok(())
    } else {
        bail!(
            "{} difference(s) between openapi/ and upstream",
            report.differences.len()
        )
    }
}

fn load(path: &Path) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    parse(&text).with_context(|| format!("{} is not valid YAML", path.display()))
}

/// Parses a YAML document into JSON values.
pub fn parse(text: &str) -> Result<Value> {
    Ok(serde_saphyr::from_str(text)?)
}

/// Compares `ours` with `upstream`.
pub fn compare(ours: &Ours, upstream: &Upstream) -> Report {
    let mut report = Report::default();

    // Upstream's region spec, with every reference spelled the way ours spells it.
    let mut borrowed: BTreeMap<String, String> = BTreeMap::new();
    let mut pins: Vec<String> = Vec::new();
    let upstream_region = normalize(&upstream.region, false, &mut |target| {
        let Some((file, pointer)) = target.split_once('#') else {
            return target.to_owned();
        };
        if !file.contains("://") {
            return target.to_owned();
        }
        if !pins.iter().any(|p| p == file) {
            pins.push(file.to_owned());
        }
        if file.rsplit('/').next() == Some(COMMON) {
            return format!("{COMMON}#{pointer}");
        }
        match pointer.strip_prefix("/components/schemas/") {
            Some(name) if !name.contains('/') => {
                borrowed.insert(name.to_owned(), target.to_owned());
                format!("#{pointer}")
            }
            _ => target.to_owned(),
        }
    });
    let mut ours_region = normalize(
        &ours.region,
        false,
        &mut |target| match target.split_once('#') {
            Some((file, pointer)) if file.trim_start_matches("./") == COMMON => {
                format!("{COMMON}#{pointer}")
            }
            _ => target.to_owned(),
        },
    );
    for pin in &pins {
        report
            .notes
            .push(format!("upstream's region spec refers to {pin}"));
    }

    // Our copies of borrowed schemas are not in upstream's region spec: take them out, and
    // compare them with their source when we have it.
    let identity = upstream
        .identity
        .as_ref()
        .map(|doc| normalize(doc, false, &mut |target: &str| target.to_owned()));
    for (name, source) in &borrowed {
        let pointer = format!("/components/schemas/{}", escape(name));
        let copy = ours_region
            .pointer_mut("/components/schemas")
            .and_then(Value::as_object_mut)
            .and_then(|schemas| schemas.remove(name));
        let Some(copy) = copy else {
            report.differences.push(Difference {
                file: REGION,
                pointer,
                kind: Kind::OnlyUpstream(format!("a reference to {source} (copy the schema here)")),
            });
            continue;
        };
        match identity
            .as_ref()
            .and_then(|doc| doc.pointer(&format!("/components/schemas/{}", escape(name))))
        {
            Some(original) => diff(REGION, &pointer, original, &copy, &mut report.differences),
            None if identity.is_some() => report.differences.push(Difference {
                file: REGION,
                pointer,
                kind: Kind::OnlyOurs(format!(
                    "a copy of {source}, which the identity spec given does not define"
                )),
            }),
            None => report.notes.push(format!(
                "{REGION}#{pointer} is our copy of {source}; pass --identity to compare it"
            )),
        }
    }
    diff(
        REGION,
        "",
        &upstream_region,
        &ours_region,
        &mut report.differences,
    );

    let upstream_common = normalize(&upstream.common, false, &mut |target: &str| {
        target.to_owned()
    });
    let ours_common = normalize(&ours.common, false, &mut |target: &str| target.to_owned());
    diff(
        COMMON,
        "",
        &upstream_common,
        &ours_common,
        &mut report.differences,
    );
    report
}

/// `value` without the ignored keys, with every `$ref` string passed through `rewrite`.
/// `names` says whether `value` is a name map (its keys are kept whatever they are).
fn normalize(value: &Value, names: bool, rewrite: &mut dyn FnMut(&str) -> String) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, child) in map {
                if names {
                    out.insert(key.clone(), normalize(child, false, rewrite));
                    continue;
                }
                if IGNORED.contains(&key.as_str()) || key.starts_with("x-") {
                    continue;
                }
                if key == "$ref"
                    && let Value::String(target) = child
                {
                    out.insert(key.clone(), Value::String(rewrite(target)));
                    continue;
                }
                // `parameters` is a name map under `components`, a list elsewhere.
                let child_names = NAME_MAPS.contains(&key.as_str()) && child.is_object();
                out.insert(key.clone(), normalize(child, child_names, rewrite));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| normalize(item, false, rewrite))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Appends the differences between `upstream` and `ours` (both at `pointer`) to `out`.
fn diff(
    file: &'static str,
    pointer: &str,
    upstream: &Value,
    ours: &Value,
    out: &mut Vec<Difference>,
) {
    match (upstream, ours) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                let at = format!("{pointer}/{}", escape(key));
                match b.get(key) {
                    Some(other) => diff(file, &at, value, other, out),
                    None => out.push(Difference {
                        file,
                        pointer: at,
                        kind: Kind::OnlyUpstream(abbreviate(value)),
                    }),
                }
            }
            for (key, value) in b {
                if !a.contains_key(key) {
                    out.push(Difference {
                        file,
                        pointer: format!("{pointer}/{}", escape(key)),
                        kind: Kind::OnlyOurs(abbreviate(value)),
                    });
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (index, value) in a.iter().enumerate() {
                let at = format!("{pointer}/{index}");
                match b.get(index) {
                    Some(other) => diff(file, &at, value, other, out),
                    None => out.push(Difference {
                        file,
                        pointer: at,
                        kind: Kind::OnlyUpstream(abbreviate(value)),
                    }),
                }
            }
            for (index, value) in b.iter().enumerate().skip(a.len()) {
                out.push(Difference {
                    file,
                    pointer: format!("{pointer}/{index}"),
                    kind: Kind::OnlyOurs(abbreviate(value)),
                });
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(Difference {
            file,
            pointer: pointer.to_owned(),
            kind: Kind::Changed {
                upstream: abbreviate(a),
                ours: abbreviate(b),
            },
        }),
    }
}

/// A JSON pointer segment for `key`.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// `value` as compact JSON, cut at 120 characters.
fn abbreviate(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(120) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CORE: &str =
        "https://raw.githubusercontent.com/unikorn-cloud/core/v1.17.1/pkg/openapi/common.spec.yaml";
    const IDENTITY: &str = "https://raw.githubusercontent.com/unikorn-cloud/identity/v1.17.7/pkg/openapi/server.spec.yaml";

    fn doc(text: &str) -> Value {
        parse(text).unwrap()
    }

    /// Upstream's region spec: one operation, a remote core response, a borrowed schema.
    fn upstream_region() -> String {
        format!(
            r#"
openapi: 3.0.3
info: {{title: Region, version: 1.0.0, description: Theirs.}}
paths:
  /things/{{thingID}}:
    description: Their words.
    parameters:
    - $ref: '#/components/parameters/thingID'
    get:
      x-hidden: true
      summary: Get a thing
      description: Their words.
      responses:
        '200':
          description: A thing.
          content:
            application/json:
              schema: {{$ref: '#/components/schemas/thing'}}
              example: {{name: x}}
        '404':
          $ref: '{CORE}#/components/responses/notFound'
components:
  parameters:
    thingID:
      name: thingID
      in: path
      required: true
      schema:
        $ref: '{IDENTITY}#/components/schemas/organizationId'
  schemas:
    thing:
      type: object
      required: [name, description]
      x-go-type: Thing
      properties:
        name: {{type: string, description: Theirs.}}
        description: {{type: string}}
        colour: {{type: string, enum: [red, blue]}}
"#
        )
    }

    /// Ours: the same contract in our words, with an operationId and our copy of the schema.
    const OURS_REGION: &str = r#"
openapi: 3.0.3
info: {title: Region, version: 1.0.0, description: Ours.}
paths:
  /things/{thingID}:
    parameters:
    - $ref: '#/components/parameters/thingID'
    get:
      operationId: getThing
      description: Ours.
      responses:
        '200':
          description: Ours.
          content:
            application/json:
              schema: {$ref: '#/components/schemas/thing'}
        '404':
          $ref: 'common.spec.yaml#/components/responses/notFound'
components:
  parameters:
    thingID:
      name: thingID
      in: path
      required: true
      description: Ours.
      schema:
        $ref: '#/components/schemas/organizationId'
  schemas:
    organizationId: {type: string, format: uuid, description: Our copy.}
    thing:
      type: object
      required: [name, description]
      properties:
        name: {type: string, x-sensitive: true}
        description: {type: string, description: Ours.}
        colour: {type: string, enum: [red, blue]}
"#;

    const COMMON_DOC: &str = r#"
openapi: 3.0.3
info: {title: Common, version: 1.0.0}
paths: {}
components:
  responses:
    notFound:
      description: Gone.
      content:
        application/json:
          schema: {$ref: '#/components/schemas/error'}
  schemas:
    error: {type: object, properties: {error: {type: string}}}
"#;

    const IDENTITY_DOC: &str = r#"
openapi: 3.0.3
info: {title: Identity, version: 1.0.0}
paths: {}
components:
  schemas:
    organizationId: {type: string, format: uuid, x-go-type: OrganizationID}
"#;

    fn run_compare(ours_region: &str, upstream_region: &str, identity: Option<&str>) -> Report {
        let ours = Ours {
            region: doc(ours_region),
            common: doc(COMMON_DOC),
        };
        let upstream = Upstream {
            region: doc(upstream_region),
            common: doc(COMMON_DOC),
            identity: identity.map(doc),
        };
        compare(&ours, &upstream)
    }

    fn lines(report: &Report) -> Vec<String> {
        report.differences.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn documentation_ids_extensions_and_ref_spelling_are_not_differences() {
        let report = run_compare(OURS_REGION, &upstream_region(), Some(IDENTITY_DOC));
        assert_eq!(lines(&report), Vec::<String>::new());
        assert!(
            report.notes.iter().any(|n| n.contains(CORE)),
            "{:?}",
            report.notes
        );
    }

    #[test]
    fn a_property_called_description_is_compared() {
        let ours = OURS_REGION.replace(
            "        description: {type: string, description: Ours.}\n",
            "",
        );
        let report = run_compare(&ours, &upstream_region(), Some(IDENTITY_DOC));
        assert_eq!(
            lines(&report),
            [
                r#"region.spec.yaml#/components/schemas/thing/properties/description: only upstream has {"type":"string"}"#
            ]
        );
    }

    #[test]
    fn enum_values_statuses_and_refs_are_compared() {
        let ours = OURS_REGION
            .replace("enum: [red, blue]", "enum: [red, green]")
            .replace("'404'", "'410'")
            .replace(
                "schema: {$ref: '#/components/schemas/thing'}",
                "schema: {$ref: 'common.spec.yaml#/components/schemas/thing'}",
            );
        let report = run_compare(&ours, &upstream_region(), Some(IDENTITY_DOC));
        let lines = lines(&report);
        let thing = "region.spec.yaml#/paths/~1things~1{thingID}/get/responses";
        assert_eq!(
            lines,
            [
                r#"region.spec.yaml#/components/schemas/thing/properties/colour/enum/1: upstream has "blue", ours "green""#.to_owned(),
                format!(
                    r##"{thing}/200/content/application~1json/schema/$ref: upstream has "#/components/schemas/thing", ours "common.spec.yaml#/components/schemas/thing""##
                ),
                format!(
                    r#"{thing}/404: only upstream has {{"$ref":"common.spec.yaml#/components/responses/notFound"}}"#
                ),
                format!(
                    r#"{thing}/410: only ours has {{"$ref":"common.spec.yaml#/components/responses/notFound"}}"#
                ),
            ],
        );
    }

    #[test]
    fn copies_of_borrowed_schemas_are_checked_against_their_source() {
        let ours = OURS_REGION.replace("format: uuid, description", "format: uri, description");
        let report = run_compare(&ours, &upstream_region(), Some(IDENTITY_DOC));
        assert_eq!(
            lines(&report),
            [
                r#"region.spec.yaml#/components/schemas/organizationId/format: upstream has "uuid", ours "uri""#
            ]
        );

        // Without the identity spec the copy is only listed.
        let report = run_compare(&ours, &upstream_region(), None);
        assert_eq!(lines(&report), Vec::<String>::new());
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.contains("components/schemas/organizationId is our copy of")),
            "{:?}",
            report.notes
        );

        // A missing copy is a difference.
        let ours = OURS_REGION.replace(
            "    organizationId: {type: string, format: uuid, description: Our copy.}\n",
            "",
        );
        let report = run_compare(&ours, &upstream_region(), None);
        assert_eq!(report.differences.len(), 1, "{:?}", lines(&report));
        assert!(
            lines(&report)[0].starts_with(
                "region.spec.yaml#/components/schemas/organizationId: only upstream has a reference to https://"
            ),
            "{:?}",
            lines(&report)
        );
    }

    #[test]
    fn the_common_spec_is_compared_too() {
        let ours = Ours {
            region: doc(OURS_REGION),
            common: doc(&COMMON_DOC.replace("error: {type: string}", "error: {type: integer}")),
        };
        let upstream = Upstream {
            region: doc(&upstream_region()),
            common: doc(COMMON_DOC),
            identity: Some(doc(IDENTITY_DOC)),
        };
        let report = compare(&ours, &upstream);
        assert_eq!(
            lines(&report),
            [
                r#"common.spec.yaml#/components/schemas/error/properties/error/type: upstream has "string", ours "integer""#
            ]
        );
    }

    #[test]
    fn long_values_are_abbreviated() {
        let long = Value::String("x".repeat(500));
        let text = abbreviate(&long);
        assert_eq!(text.chars().count(), 123);
        assert!(text.ends_with("..."));
    }
}
