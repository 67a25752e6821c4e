//! Turning OpenAPI 3.0 schemas into a JSON Schema `definitions` document for `typify`.
//!
//! - every schema under `components/schemas` of the main spec becomes a definition, plus every
//!   schema any of them (or an operation) references, in whichever file it lives;
//! - `$ref`s are rewritten to `#/definitions/{name}` and keywords beside a `$ref` are dropped
//!   (OpenAPI 3.0 ignores them);
//! - `nullable: true` on a property makes that property optional;
//! - documentation-only keywords (`example`, `readOnly`, `x-...`) are dropped;
//! - anything else the generator does not understand is an error naming its location.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Result, bail};
use heck::ToPascalCase;
use serde_json::{Map, Value};

use super::{
    postprocess::CATCH_ALL,
    spec::{Loc, Specs},
};

/// Keywords copied as they are.
const KEPT: &[&str] = &[
    "type",
    "format",
    "description",
    "title",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "default",
];

/// Keywords that only document and are dropped.
const DROPPED: &[&str] = &[
    "example",
    "readOnly",
    "writeOnly",
    "deprecated",
    "externalDocs",
];

/// Property names treated as credentials even without `x-sensitive: true`.
const CREDENTIAL_WORDS: &[&str] = &[
    "password",
    "secret",
    "privatekey",
    "kubeconfig",
    "token",
    "credential",
];

/// The schemas of a spec, ready for `typify`.
#[derive(Debug, Default)]
pub struct Definitions {
    /// Definition name -> normalized JSON Schema.
    pub schemas: BTreeMap<String, Value>,
    /// Where each definition came from.
    pub origins: BTreeMap<String, Loc>,
    /// The Rust type name of each definition (its name in PascalCase), to where it came from:
    /// two schemas must not end up as one type name.
    rust_names: BTreeMap<String, Loc>,
    /// JSON property names that hold credentials: their values must not be printed by `Debug`.
    pub sensitive: BTreeSet<String>,
}

impl Definitions {
    /// Collects every schema of the main spec's `components/schemas`, and everything they
    /// reference.
    pub fn collect(specs: &Specs) -> Result<Self> {
        let mut defs = Self::default();
        let root = Loc::root(&specs.main).join("components").join("schemas");
        if let Some(Value::Object(schemas)) = specs.get(&root) {
            let mut todo: Vec<Loc> = schemas.keys().map(|name| root.join(name)).collect();
            todo.reverse();
            defs.drain(specs, todo)?;
        }
        Ok(defs)
    }

    /// The definition name of the schema a `$ref` (found at `at`) points to, adding the schema
    /// (and what it references) when it is new.
    pub fn reference(&mut self, specs: &Specs, at: &Loc, target: &str) -> Result<String> {
        let loc = specs.resolve(at, target)?;
        let name = definition_name(specs, &loc, at, target)?;
        self.drain(specs, vec![loc])?;
        Ok(name)
    }

    /// The definition name of the schema at `loc` (under `components/schemas`), adding it
    /// (and what it references) when it is new.
    pub fn add_schema(&mut self, specs: &Specs, loc: &Loc) -> Result<String> {
        let name = definition_name(specs, loc, loc, &loc.to_string())?;
        self.drain(specs, vec![loc.clone()])?;
        Ok(name)
    }

    /// Adds the schema at `loc`, which is not under `components/schemas` (an inline parameter
    /// enum), as the definition `name` (or its `x-rust-name`); returns the name used.
    pub fn add_inline(&mut self, specs: &Specs, name: &str, loc: &Loc) -> Result<String> {
        let name = match specs.get(&loc.join("x-rust-name")) {
            None => name.to_owned(),
            Some(_) => rust_name(specs, loc)?.unwrap_or_else(|| name.to_owned()),
        };
        if self.register(&name, loc)? {
            let schema = specs.require(loc)?;
            let mut refs = Vec::new();
            let normalized = self.normalize(specs, schema, loc, false, &mut refs)?;
            self.schemas.insert(name.clone(), normalized);
            self.drain(specs, refs)?;
        }
        Ok(name)
    }

    fn drain(&mut self, specs: &Specs, mut todo: Vec<Loc>) -> Result<()> {
        while let Some(loc) = todo.pop() {
            let name = definition_name(specs, &loc, &loc, &loc.to_string())?;
            if !self.register(&name, &loc)? {
                continue;
            }
            let schema = specs.require(&loc)?;
            let mut refs = Vec::new();
            let normalized = self.normalize(specs, schema, &loc, false, &mut refs)?;
            self.schemas.insert(name, normalized);
            todo.extend(refs);
        }
        Ok(())
    }

    /// Records that definition `name` comes from `loc`: `false` when it already did, an error
    /// when the name, or the Rust type name it gives, is taken by another schema.
    fn register(&mut self, name: &str, loc: &Loc) -> Result<bool> {
        match self.origins.get(name) {
            Some(seen) if seen == loc => return Ok(false),
            Some(seen) => {
                bail!("schema name `{name}` is defined twice, at {seen} and at {loc}: rename one")
            }
            None => {}
        }
        let rust = name.to_pascal_case();
        if let Some(seen) = self.rust_names.get(&rust) {
            bail!(
                "the schemas at {seen} and at {loc} would both be the Rust type `{rust}`: give \
                 one an `x-rust-name: <TypeName>`"
            );
        }
        self.origins.insert(name.to_owned(), loc.clone());
        self.rust_names.insert(rust, loc.clone());
        Ok(true)
    }

    fn normalize(
        &mut self,
        specs: &Specs,
        schema: &Value,
        loc: &Loc,
        in_property: bool,
        refs: &mut Vec<Loc>,
    ) -> Result<Value> {
        let Value::Object(map) = schema else {
            if let Value::Bool(_) = schema {
                return Ok(schema.clone());
            }
            bail!("schema at {loc} is not an object");
        };
        if let Some(target) = map.get("$ref") {
            let Value::String(target) = target else {
                bail!("$ref at {loc} is not a string");
            };
            let at = loc.join("$ref");
            let target_loc = specs.resolve(&at, target)?;
            let name = definition_name(specs, &target_loc, &at, target)?;
            refs.push(target_loc);
            return Ok(serde_json::json!({ "$ref": format!("#/definitions/{name}") }));
        }
        let mut out = Map::new();
        for (key, value) in map {
            let at = loc.join(key);
            match key.as_str() {
                "pattern" => {
                    // The generated code compiles patterns with `regress` and unwraps: a
                    // pattern it cannot compile must fail here, not at run time.
                    let Value::String(pattern) = value else {
                        bail!("`pattern` at {at} is not a string");
                    };
                    if let Err(error) = regress::Regex::new(pattern) {
                        bail!(
                            "`pattern` {pattern:?} at {at} is not a supported regular expression: {error}"
                        );
                    }
                    out.insert(key.clone(), value.clone());
                }
                "enum" => {
                    let Value::Array(values) = value else {
                        bail!("`enum` at {at} is not a list");
                    };
                    // The generated enum keeps unknown values in a variant of this name.
                    for (index, item) in values.iter().enumerate() {
                        if let Value::String(text) = item
                            && text.to_pascal_case() == CATCH_ALL
                        {
                            bail!(
                                "enum value {text:?} at {} would become the variant \
                                 `{CATCH_ALL}`, which keeps values the client does not know",
                                at.join(index)
                            );
                        }
                    }
                    out.insert(key.clone(), value.clone());
                }
                k if KEPT.contains(&k) => {
                    out.insert(key.clone(), value.clone());
                }
                k if DROPPED.contains(&k) || k.starts_with("x-") => {}
                "nullable" => match value {
                    Value::Bool(false) => {}
                    Value::Bool(true) if in_property => {}
                    _ => bail!(
                        "unsupported `nullable: {value}` at {at}: only properties may be nullable \
                         (they become optional)"
                    ),
                },
                "required" => {
                    let names = value.as_array().map(|names| {
                        names
                            .iter()
                            .filter(|name| {
                                // A nullable property is optional: the field is an Option.
                                let nullable = name.as_str().and_then(|name| {
                                    map.get("properties")?.get(name)?.get("nullable")
                                });
                                nullable != Some(&Value::Bool(true))
                            })
                            .cloned()
                            .collect::<Vec<_>>()
                    });
                    match names {
                        Some(names) => {
                            out.insert(key.clone(), Value::Array(names));
                        }
                        None => bail!("`required` at {at} is not a list"),
                    }
                }
                "properties" => {
                    let Value::Object(props) = value else {
                        bail!("`properties` at {at} is not an object");
                    };
                    let mut normalized = Map::new();
                    for (prop, prop_schema) in props {
                        if is_sensitive(prop, prop_schema) {
                            self.sensitive.insert(prop.clone());
                        }
                        normalized.insert(
                            prop.clone(),
                            self.normalize(specs, prop_schema, &at.join(prop), true, refs)?,
                        );
                    }
                    out.insert(key.clone(), Value::Object(normalized));
                }
                "items" | "additionalProperties" => {
                    let normalized = self.normalize(specs, value, &at, false, refs)?;
                    out.insert(key.clone(), normalized);
                }
                "allOf" | "oneOf" | "anyOf" => {
                    let Value::Array(items) = value else {
                        bail!("`{key}` at {at} is not a list");
                    };
                    let mut normalized = Vec::new();
                    for (index, item) in items.iter().enumerate() {
                        normalized.push(self.normalize(
                            specs,
                            item,
                            &at.join(index),
                            false,
                            refs,
                        )?);
                    }
                    out.insert(key.clone(), Value::Array(normalized));
                }
                _ => bail!("unsupported schema keyword `{key}` at {at}"),
            }
        }
        Ok(Value::Object(out))
    }
}

impl Definitions {
    /// Whether values of definition `name` may contain a credential (a sensitive property,
    /// at any depth).
    pub fn holds_secrets(&self, name: &str) -> bool {
        let mut seen = BTreeSet::new();
        self.holds_secrets_in(name, &mut seen)
    }

    fn holds_secrets_in(&self, name: &str, seen: &mut BTreeSet<String>) -> bool {
        if !seen.insert(name.to_owned()) {
            return false;
        }
        let Some(schema) = self.schemas.get(name) else {
            return false;
        };
        let mut stack = vec![schema];
        while let Some(value) = stack.pop() {
            match value {
                Value::Object(map) => {
                    if let Some(Value::Object(props)) = map.get("properties")
                        && props.keys().any(|p| self.sensitive.contains(p))
                    {
                        return true;
                    }
                    if let Some(Value::String(target)) = map.get("$ref")
                        && let Some(next) = target.strip_prefix("#/definitions/")
                        && self.holds_secrets_in(next, seen)
                    {
                        return true;
                    }
                    stack.extend(map.values());
                }
                Value::Array(items) => stack.extend(items),
                _ => {}
            }
        }
        false
    }
}

fn is_sensitive(name: &str, schema: &Value) -> bool {
    if schema.get("x-sensitive") == Some(&Value::Bool(true)) {
        return true;
    }
    let lower = name.to_ascii_lowercase();
    CREDENTIAL_WORDS.iter().any(|word| lower.contains(word))
}

/// The definition name of the schema at `loc`: it must be `#/components/schemas/{name}`, and
/// the name is its `x-rust-name` when it has one.
fn definition_name(specs: &Specs, loc: &Loc, at: &Loc, target: &str) -> Result<String> {
    let name = match loc.pointer.strip_prefix("/components/schemas/") {
        Some(name) if !name.is_empty() && !name.contains('/') => {
            name.replace("~1", "/").replace("~0", "~")
        }
        _ => bail!(
            "unsupported $ref `{target}` at {at}: a schema reference must point at \
             `#/components/schemas/{{name}}`"
        ),
    };
    Ok(rust_name(specs, loc)?.unwrap_or(name))
}

/// The `x-rust-name` of the schema at `loc`: a PascalCase Rust identifier that replaces the
/// schema's name as its type name (to resolve a clash of two names that differ only in case).
fn rust_name(specs: &Specs, loc: &Loc) -> Result<Option<String>> {
    let at = loc.join("x-rust-name");
    match specs.get(&at) {
        None => Ok(None),
        Some(Value::String(name))
            if name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && name.chars().all(|c| c.is_ascii_alphanumeric())
                && name.to_pascal_case() == *name =>
        {
            Ok(Some(name.clone()))
        }
        Some(other) => bail!("`x-rust-name: {other}` at {at} is not a PascalCase Rust type name"),
    }
}
