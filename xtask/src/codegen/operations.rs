//! Reading the operations of a spec into a model the code generator can render.

use std::collections::BTreeSet;

use anyhow::{Context, Result, bail};
use heck::ToPascalCase;
use serde_json::Value;

use super::{
    schema::Definitions,
    spec::{Loc, Specs},
};

/// HTTP methods an operation may use, in the order they are read.
const METHODS: &[&str] = &["get", "put", "post", "delete", "patch", "head", "options"];

/// Keys of an operation object the generator reads or may ignore (they do not affect the
/// wire: the access token is added by a request editor).
const OPERATION_KEYS: &[&str] = &[
    "operationId",
    "summary",
    "description",
    "security",
    "parameters",
    "requestBody",
    "responses",
    "tags",
    "deprecated",
];

/// One operation of the API.
#[derive(Debug, Clone)]
pub struct Operation {
    /// `operationId`, e.g. `listRegions`.
    pub id: String,
    /// Lower-case HTTP method.
    pub method: String,
    /// Path template, e.g. `/api/v1/organizations/{organizationID}/regions`.
    pub path: String,
    /// Where the operation is in the spec.
    pub loc: Loc,
    /// What the operation does.
    pub description: Option<String>,
    /// Path and query parameters, path parameters first in template order.
    pub params: Vec<Param>,
    /// JSON request body, if any.
    pub body: Option<Body>,
    /// Documented responses, by ascending status code.
    pub responses: Vec<Response>,
}

impl Operation {
    /// The one documented success (2xx) answer: what `into_result` gives.
    pub fn success(&self) -> Result<&Response> {
        let successes: Vec<_> = self
            .responses
            .iter()
            .filter(|r| (200..300).contains(&r.status.code))
            .collect();
        match successes.as_slice() {
            [success] => Ok(success),
            _ => bail!(
                "operation `{}` at {} documents {} success (2xx) statuses: exactly one is supported",
                self.id,
                self.loc,
                successes.len()
            ),
        }
    }
}

/// Where a parameter travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamIn {
    /// A path segment.
    Path,
    /// A query parameter.
    Query,
}

/// The Rust type of one parameter value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamType {
    /// `&str` (`type: string` without a format).
    String,
    /// `::uuid::Uuid` (`format: uuid`), sent in its hyphenated lower-case form.
    Uuid,
    /// `i64` (`type: integer`).
    Integer,
    /// `bool`.
    Boolean,
    /// A string enum: the definition name of its schema. Sent as its wire text.
    Enum(String),
}

/// A parameter of an operation.
#[derive(Debug, Clone)]
pub struct Param {
    /// Wire name, e.g. `organizationID`.
    pub name: String,
    /// Path or query.
    pub location: ParamIn,
    /// Whether it must be given (path parameters always are).
    pub required: bool,
    /// The type of a value.
    pub ty: ParamType,
    /// Whether it is a list, sent as the parameter repeated (`?tag=a&tag=b`); query only.
    pub repeated: bool,
    /// What it is.
    pub description: Option<String>,
}

/// A JSON request body.
#[derive(Debug, Clone)]
pub struct Body {
    /// Definition name of its schema.
    pub schema: String,
    /// What it is.
    pub description: Option<String>,
}

/// A documented response.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: Status,
    /// What it means.
    pub description: Option<String>,
    /// Definition name of its JSON body schema, if it has a body.
    pub schema: Option<String>,
}

/// A documented status code, with the names `http::StatusCode` gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The code.
    pub code: u16,
    /// Variant name, e.g. `NotFound`: the canonical reason in PascalCase.
    pub variant: String,
    /// `http::StatusCode` constant, e.g. `NOT_FOUND`: the canonical reason in SHOUTY_SNAKE
    /// case, which is how `http` names its constants.
    pub constant: String,
    /// Canonical reason phrase, e.g. `Not Found`.
    pub reason: &'static str,
}

impl Status {
    /// The names of `code`, or `None` when `http` knows no reason phrase for it.
    pub fn new(code: u16) -> Option<Self> {
        let reason = http::StatusCode::from_u16(code).ok()?.canonical_reason()?;
        // `I'm a teapot` is `IM_A_TEAPOT`: apostrophes vanish, other separators split words.
        let words: Vec<String> = reason
            .replace('\'', "")
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect();
        let variant = words
            .iter()
            .map(|w| {
                let lower = w.to_ascii_lowercase();
                let mut chars = lower.chars();
                chars
                    .next()
                    .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            })
            .collect();
        let constant = words
            .iter()
            .map(|w| w.to_ascii_uppercase())
            .collect::<Vec<_>>()
            .join("_");
        Some(Self {
            code,
            variant,
            constant,
            reason,
        })
    }
}

fn status(key: &str, at: &Loc) -> Result<Status> {
    let code: u16 = key
        .parse()
        .ok()
        .filter(|_| key.len() == 3)
        .with_context(|| {
            format!(
                "unsupported response key `{key}` at {at}: only explicit status codes are supported"
            )
        })?;
    Status::new(code).with_context(|| {
        format!("unsupported status code {code} at {at}: it has no standard reason phrase")
    })
}

/// Reads every operation of the main spec, registering the schemas they use in `defs`.
/// Operations come back sorted by `operationId`.
pub fn collect(specs: &Specs, defs: &mut Definitions) -> Result<Vec<Operation>> {
    let paths_loc = Loc::root(&specs.main).join("paths");
    let Some(Value::Object(paths)) = specs.get(&paths_loc) else {
        bail!("{paths_loc} is not an object");
    };
    let mut operations = Vec::new();
    let mut ids = BTreeSet::new();
    for (path, item) in paths {
        let item_loc = paths_loc.join(path);
        let (item_loc, item) = if item.get("$ref").is_some() {
            specs.deref(&item_loc)?
        } else {
            (item_loc, item)
        };
        let Value::Object(item_map) = item else {
            bail!("path item at {item_loc} is not an object");
        };
        for key in item_map.keys() {
            let known = METHODS.contains(&key.as_str())
                || matches!(key.as_str(), "parameters" | "summary" | "description")
                || key.starts_with("x-");
            if !known {
                bail!(
                    "unsupported path item key `{key}` at {}",
                    item_loc.join(key)
                );
            }
        }
        for method in METHODS {
            let Some(op) = item_map.get(*method) else {
                continue;
            };
            let op_loc = item_loc.join(method);
            let operation = operation(specs, defs, path, method, &item_loc, &op_loc, op)?;
            if !ids.insert(operation.id.clone()) {
                bail!("operationId `{}` at {op_loc} is used twice", operation.id);
            }
            operations.push(operation);
        }
    }
    operations.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(operations)
}

fn operation(
    specs: &Specs,
    defs: &mut Definitions,
    path: &str,
    method: &str,
    item_loc: &Loc,
    loc: &Loc,
    op: &Value,
) -> Result<Operation> {
    let Value::Object(map) = op else {
        bail!("operation at {loc} is not an object");
    };
    for key in map.keys() {
        if !OPERATION_KEYS.contains(&key.as_str()) && !key.starts_with("x-") {
            bail!("unsupported operation key `{key}` at {}", loc.join(key));
        }
    }
    let id = match map.get("operationId") {
        Some(Value::String(id)) => id.clone(),
        _ => bail!("operation at {loc} has no operationId: every operation needs one"),
    };
    let valid = id.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && id.chars().all(|c| c.is_ascii_alphanumeric());
    if !valid {
        bail!(
            "operationId `{id}` at {} must be camelCase letters and digits",
            loc.join("operationId")
        );
    }

    // Path-level parameters first, overridden by operation-level ones of the same name.
    let mut params: Vec<Param> = Vec::new();
    for (owner, value) in [
        (item_loc, specs.get(&item_loc.join("parameters"))),
        (loc, map.get("parameters")),
    ] {
        let Some(value) = value else { continue };
        let list_loc = owner.join("parameters");
        let Value::Array(list) = value else {
            bail!("`parameters` at {list_loc} is not a list");
        };
        for index in 0..list.len() {
            let param = parameter(specs, defs, &id, &list_loc.join(index))?;
            params.retain(|p| !(p.name == param.name && p.location == param.location));
            params.push(param);
        }
    }

    // Path parameters must match the template exactly.
    let template: Vec<&str> = path
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect();
    for name in &template {
        if !params
            .iter()
            .any(|p| p.location == ParamIn::Path && p.name == *name)
        {
            bail!("path parameter `{name}` of {loc} is not declared");
        }
    }
    for param in &params {
        if param.location == ParamIn::Path && !template.contains(&param.name.as_str()) {
            bail!(
                "path parameter `{}` of {loc} is not in the path",
                param.name
            );
        }
    }
    params.sort_by_key(|p| match p.location {
        ParamIn::Path => (0, template.iter().position(|n| *n == p.name).unwrap_or(0)),
        ParamIn::Query => (1, 0),
    });

    let body = match map.get("requestBody") {
        None => None,
        Some(_) => Some(request_body(specs, defs, &loc.join("requestBody"))?),
    };
    // `x-no-body`: the platform's marker for an operation that sends nothing (its Go client
    // then sends no Content-Type either). Every operation without a `requestBody` is sent
    // that way; the marker must not contradict a declared body.
    match map.get("x-no-body") {
        None | Some(Value::Bool(false)) => {}
        Some(Value::Bool(true)) if body.is_none() => {}
        Some(Value::Bool(true)) => {
            bail!("operation at {loc} has both `x-no-body: true` and a `requestBody`")
        }
        Some(other) => bail!(
            "`x-no-body: {other}` at {} is not a boolean",
            loc.join("x-no-body")
        ),
    }

    let responses_loc = loc.join("responses");
    let Some(Value::Object(responses_map)) = map.get("responses") else {
        bail!("operation at {loc} has no responses");
    };
    let mut responses = Vec::new();
    for key in responses_map.keys() {
        let at = responses_loc.join(key);
        let status = status(key, &at)?;
        let (resolved, response) = specs.deref(&at)?;
        let description = text(response.get("description"));
        let schema = match response.get("content") {
            None => None,
            Some(content) => Some(json_schema(
                specs,
                defs,
                &resolved.join("content"),
                content,
            )?),
        };
        for key in response.as_object().into_iter().flat_map(|m| m.keys()) {
            if !matches!(key.as_str(), "description" | "content") && !key.starts_with("x-") {
                bail!("unsupported response key `{key}` at {}", resolved.join(key));
            }
        }
        responses.push(Response {
            status,
            description,
            schema,
        });
    }
    responses.sort_by_key(|r| r.status.code);

    Ok(Operation {
        id,
        method: method.to_owned(),
        path: path.to_owned(),
        loc: loc.clone(),
        description: text(map.get("description")).or_else(|| text(map.get("summary"))),
        params,
        body,
        responses,
    })
}

/// Keys a parameter object may have: the rest (`style`, `explode`, `content`, ...) would
/// change how it is encoded, which the generator does not implement.
const PARAMETER_KEYS: &[&str] = &[
    "name",
    "in",
    "description",
    "required",
    "schema",
    "deprecated",
];

/// Keywords a parameter's schema may use: those that say what a value is, and constraints
/// the server checks (the client does not: a value it refuses comes back as a 400). Anything
/// else (`nullable`, `oneOf`, `properties`, ...) would change the type or the encoding.
const PARAMETER_SCHEMA_KEYS: &[&str] = &[
    "type",
    "format",
    "enum",
    "items",
    "description",
    "title",
    "default",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "uniqueItems",
];

fn parameter(
    specs: &Specs,
    defs: &mut Definitions,
    operation_id: &str,
    loc: &Loc,
) -> Result<Param> {
    let (resolved, value) = specs.deref(loc)?;
    let name = match value.get("name") {
        Some(Value::String(name)) => name.clone(),
        _ => bail!("parameter at {resolved} has no name"),
    };
    let location = match value.get("in").and_then(Value::as_str) {
        Some("path") => ParamIn::Path,
        Some("query") => ParamIn::Query,
        other => bail!(
            "unsupported parameter location {other:?} at {loc}: only path and query parameters \
             are supported"
        ),
    };
    for key in value.as_object().into_iter().flat_map(|m| m.keys()) {
        if !PARAMETER_KEYS.contains(&key.as_str()) && !key.starts_with("x-") {
            bail!(
                "unsupported parameter key `{key}` at {}",
                resolved.join(key)
            );
        }
    }
    let required = value.get("required") == Some(&Value::Bool(true));
    if location == ParamIn::Path && !required {
        bail!("path parameter at {resolved} must be `required: true`");
    }
    // An inline enum needs a type name: the parameter component's, without its `Parameter`
    // suffix (`imageScopeQueryParameter` -> `imageScope`), or the operation's and the
    // parameter's (`listThingsScope`).
    let enum_name = match resolved.pointer.strip_prefix("/components/parameters/") {
        Some(component) => component
            .trim_end_matches("QueryParameter")
            .trim_end_matches("Parameter")
            .to_owned(),
        None => format!("{operation_id}{}", name.to_pascal_case()),
    };
    let schema_loc = resolved.join("schema");
    if specs.get(&schema_loc).is_none() {
        bail!("parameter at {resolved} has no schema");
    }
    let (ty, repeated) = param_type(
        specs,
        defs,
        &schema_loc,
        &enum_name,
        location == ParamIn::Query,
    )?;
    if location == ParamIn::Path && !matches!(ty, ParamType::String | ParamType::Uuid) {
        bail!(
            "unsupported path parameter at {loc}: a path parameter must be a string or a uuid, \
             not {ty:?}"
        );
    }
    Ok(Param {
        name,
        location,
        required,
        ty,
        repeated,
        description: text(value.get("description")),
    })
}

/// The type of the parameter schema at `loc` (following `$ref`s), and whether it is a list
/// (`type: array`, allowed when `array` is set). `enum_name` names an inline enum.
fn param_type(
    specs: &Specs,
    defs: &mut Definitions,
    loc: &Loc,
    enum_name: &str,
    array: bool,
) -> Result<(ParamType, bool)> {
    let (resolved, schema) = specs.deref(loc)?;
    let Value::Object(map) = schema else {
        bail!("parameter schema at {resolved} is not an object");
    };
    for key in map.keys() {
        if !PARAMETER_SCHEMA_KEYS.contains(&key.as_str()) && !key.starts_with("x-") {
            bail!(
                "unsupported keyword `{key}` in the parameter schema at {}",
                resolved.join(key)
            );
        }
    }
    let kind = map.get("type").and_then(Value::as_str);
    let format = map.get("format").and_then(Value::as_str);
    if map.contains_key("enum") {
        if kind != Some("string") {
            bail!("unsupported enum at {resolved}: only string enums can be parameters");
        }
        // A named enum schema keeps its name; an inline one is named after the parameter.
        let name = if resolved.pointer.starts_with("/components/schemas/") {
            defs.add_schema(specs, &resolved)?
        } else {
            defs.add_inline(specs, enum_name, &resolved)?
        };
        return Ok((ParamType::Enum(name), false));
    }
    let ty = match (kind, format) {
        (Some("string"), None) => ParamType::String,
        (Some("string"), Some("uuid")) => ParamType::Uuid,
        (Some("integer"), None | Some("int32" | "int64")) => ParamType::Integer,
        (Some("boolean"), None) => ParamType::Boolean,
        (Some("array"), None) if array => {
            let items = resolved.join("items");
            if specs.get(&items).is_none() {
                bail!("array parameter schema at {resolved} has no `items`");
            }
            let (ty, _) = param_type(specs, defs, &items, enum_name, false)?;
            return Ok((ty, true));
        }
        (Some("array"), None) => bail!(
            "unsupported array parameter schema at {resolved}: only query parameters can be \
             lists, and lists cannot nest"
        ),
        (kind, None) => bail!("unsupported parameter type {kind:?} at {resolved}"),
        (kind, Some(format)) => bail!(
            "unsupported parameter format `{format}` (type {kind:?}) at {}",
            resolved.join("format")
        ),
    };
    Ok((ty, false))
}

/// A request body. Its method always takes and sends the body, including when the spec leaves
/// `required` false (the default): sending a documented body is always valid, and every
/// operation of the region API that declares one expects it.
fn request_body(specs: &Specs, defs: &mut Definitions, loc: &Loc) -> Result<Body> {
    let (resolved, value) = specs.deref(loc)?;
    if let Value::Object(map) = value {
        for (key, item) in map {
            match (key.as_str(), item) {
                ("description" | "content", _) | ("required", Value::Bool(_)) => {}
                _ => bail!(
                    "unsupported request body key `{key}` at {}",
                    resolved.join(key)
                ),
            }
        }
    }
    let Some(content) = value.get("content") else {
        bail!("request body at {resolved} has no content");
    };
    let schema = json_schema(specs, defs, &resolved.join("content"), content)?;
    Ok(Body {
        schema,
        description: text(value.get("description")),
    })
}

/// The definition name of the `application/json` schema of a `content` map.
fn json_schema(
    specs: &Specs,
    defs: &mut Definitions,
    loc: &Loc,
    content: &Value,
) -> Result<String> {
    let Value::Object(types) = content else {
        bail!("`content` at {loc} is not an object");
    };
    for media in types.keys() {
        if media != "application/json" {
            bail!(
                "unsupported media type `{media}` at {}: only application/json is supported",
                loc.join(media)
            );
        }
    }
    let media_loc = loc.join("application/json");
    let schema_loc = media_loc.join("schema");
    match types
        .get("application/json")
        .and_then(|media| media.get("schema"))
    {
        Some(schema) => match schema.get("$ref") {
            Some(Value::String(target)) => defs.reference(specs, &schema_loc.join("$ref"), target),
            _ => bail!(
                "unsupported inline schema at {schema_loc}: move it to components/schemas and \
                 use a $ref, so the type gets a name"
            ),
        },
        None => bail!("no schema at {schema_loc}"),
    }
}

fn text(value: Option<&Value>) -> Option<String> {
    value
        .and_then(Value::as_str)
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_come_from_http() {
        // Each constant named here exists: the table would not compile otherwise.
        for (constant, name, variant) in [
            (http::StatusCode::OK, "OK", "Ok"),
            (http::StatusCode::NO_CONTENT, "NO_CONTENT", "NoContent"),
            (
                http::StatusCode::NON_AUTHORITATIVE_INFORMATION,
                "NON_AUTHORITATIVE_INFORMATION",
                "NonAuthoritativeInformation",
            ),
            (
                http::StatusCode::MULTI_STATUS,
                "MULTI_STATUS",
                "MultiStatus",
            ),
            (http::StatusCode::IM_A_TEAPOT, "IM_A_TEAPOT", "ImATeapot"),
            (
                http::StatusCode::UNPROCESSABLE_ENTITY,
                "UNPROCESSABLE_ENTITY",
                "UnprocessableEntity",
            ),
            (
                http::StatusCode::HTTP_VERSION_NOT_SUPPORTED,
                "HTTP_VERSION_NOT_SUPPORTED",
                "HttpVersionNotSupported",
            ),
        ] {
            let status = Status::new(constant.as_u16()).unwrap();
            assert_eq!(status.constant, name);
            assert_eq!(status.variant, variant);
            assert_eq!(Some(status.reason), constant.canonical_reason());
        }
        assert_eq!(Status::new(299), None);
        assert_eq!(Status::new(1000), None);
    }
}
