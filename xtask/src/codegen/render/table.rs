//! The operation table: one line per operation in an invocation of the runtime's
//! `operations!`, which declares `OperationId` and what the spec says of each operation.

use std::{collections::BTreeMap, fmt::Write as _};

use anyhow::{Context, Result};
use heck::ToPascalCase;
use proc_macro2::TokenStream;

use super::syntax::{doc_comment, ident, type_name};
use crate::codegen::operations::{Operation, ParamIn, ParamType};

/// The `operations!` invocation for `operations` (sorted by `operationId`); `types` maps each
/// definition name to its Rust type.
pub fn table(operations: &[Operation], types: &BTreeMap<String, TokenStream>) -> Result<String> {
    let mut out = String::from("crate::operations::operations! {\n");
    for op in operations {
        let method = ident(&op.id);
        out.push_str(&doc_comment(
            4,
            [format!(
                "`{} {}`: [`Client::{method}`](crate::Client::{method}).",
                op.method.to_uppercase(),
                op.path
            )],
        ));
        let params: Vec<String> = op
            .params
            .iter()
            .filter(|p| p.location == ParamIn::Path)
            .map(|p| {
                let kind = if p.ty == ParamType::Uuid {
                    "uuid"
                } else {
                    "text"
                };
                format!("{:?}: {kind}", p.name)
            })
            .collect();
        let body = match &op.body {
            Some(body) => {
                let ty = types
                    .get(&body.schema)
                    .with_context(|| format!("no generated type for the body of {}", op.id))?;
                type_name(ty).with_context(|| format!("the request body of {}", op.id))?
            }
            None => "-".to_owned(),
        };
        let statuses: Vec<&str> = op
            .responses
            .iter()
            .map(|r| r.status.constant.as_str())
            .collect();
        writeln!(
            out,
            "    {} = {:?}, {} {:?}, [{}], body: {body}, [{}];",
            op.id.to_pascal_case(),
            op.id,
            op.method.to_uppercase(),
            op.path,
            params.join(", "),
            statuses.join(", "),
        )?;
    }
    out.push_str("}\n");
    Ok(out)
}
