//! An operation's response enum: an invocation of the runtime's `response_enum!` with one
//! line per documented status, which declares the enum and implements what the runtime needs
//! for it (`Debug` with redaction, `ApiResponse`, decoding).

use std::{collections::BTreeMap, fmt::Write as _};

use anyhow::{Context, Result};
use heck::ToPascalCase;
use proc_macro2::TokenStream;

use super::syntax::{doc_comment, ident, type_text};
use crate::codegen::{
    operations::{Operation, Response},
    schema::Definitions,
};

/// The platform's error schema (`common.spec.yaml`); error answers carrying it are exposed
/// through `ApiResponse::error_body`.
const ERROR_SCHEMA: &str = "error";

/// The `response_enum!` invocation for `op`; `types` maps each definition name to its Rust
/// type.
pub fn response_enum(
    op: &Operation,
    types: &BTreeMap<String, TokenStream>,
    defs: &Definitions,
) -> Result<String> {
    let success = op.success()?;
    let method = ident(&op.id);
    let variant = op.id.to_pascal_case();
    // Whether any documented answer may hold credentials: then no raw body is ever shown.
    let sensitive = op
        .responses
        .iter()
        .any(|r| r.schema.as_deref().is_some_and(|s| defs.holds_secrets(s)));

    let mut out = String::from("crate::response_enum::response_enum! {\n");
    out.push_str(&doc_comment(
        4,
        [format!(
            "The answer to [`Client::{method}`](crate::Client::{method}) (`{}`): one variant \
             per documented status, with its decoded body.",
            op.id
        )],
    ));
    writeln!(
        out,
        "    {variant}Response for {variant}, sensitive: {sensitive};"
    )?;
    // The success first: the macro takes it apart from the others.
    let others = op.responses.iter().filter(|r| r.status != success.status);
    for response in std::iter::once(success).chain(others) {
        out.push_str(&status_line(op, response, success, types)?);
    }
    out.push_str("}\n");
    Ok(out)
}

/// The doc comment and the line of one documented status: its role (`success`, `error` for
/// the platform's error body, `other`), its `http::StatusCode` constant, its variant and its
/// body type.
fn status_line(
    op: &Operation,
    response: &Response,
    success: &Response,
    types: &BTreeMap<String, TokenStream>,
) -> Result<String> {
    let status = &response.status;
    let doc = format!(
        "`{} {}`: {}",
        status.code,
        status.reason,
        response.description.as_deref().unwrap_or("")
    )
    .trim_end_matches([' ', ':'])
    .to_owned();
    let role = if response.status == success.status {
        "success"
    } else if status.code >= 400 && response.schema.as_deref() == Some(ERROR_SCHEMA) {
        "error"
    } else {
        "other"
    };
    let body = match &response.schema {
        Some(schema) => {
            let ty = types.get(schema).with_context(|| {
                format!("no generated type for schema `{schema}` used by {}", op.id)
            })?;
            format!("({})", type_text(ty)?)
        }
        None => String::new(),
    };
    Ok(format!(
        "{}    {role} {} {}{body};\n",
        doc_comment(4, [doc]),
        status.constant,
        status.variant
    ))
}
