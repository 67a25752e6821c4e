//! An operation's async method on `region_openapi::Client`: typed arguments, the path and
//! query built from them, and the call into the runtime, which takes the method and the
//! operation's name from the operation table through the response enum.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use heck::ToPascalCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::syntax::{docs, ident};
use crate::codegen::operations::{Operation, Param, ParamIn, ParamType};

/// The method for `op`; `types` maps each definition name to its Rust type.
pub fn method(op: &Operation, types: &BTreeMap<String, TokenStream>) -> Result<TokenStream> {
    let type_of = |name: &str| {
        types
            .get(name)
            .cloned()
            .with_context(|| format!("no generated type for schema `{name}` used by {}", op.id))
    };
    let name = ident(&op.id);
    let response = format_ident!("{}Response", op.id.to_pascal_case());

    let mut args = Vec::new();
    let mut arg_docs = Vec::new();
    let mut segments = Vec::new();
    let mut query = Vec::new();
    for param in &op.params {
        let arg = ident(&param.name);
        arg_docs.push(format!(
            "- `{arg}`: {}",
            param.description.as_deref().unwrap_or(param.name.as_str())
        ));
        match param.location {
            ParamIn::Path => {
                args.push(path_argument(op, param, &mut segments)?);
            }
            ParamIn::Query => {
                let (ty, push) = query_argument(param, &type_of)?;
                args.push(quote! { #arg: #ty });
                query.push(push);
            }
        }
    }
    if let Some(body) = &op.body {
        let ty = type_of(&body.schema)?;
        args.push(quote! { body: &#ty });
        arg_docs.push(format!(
            "- `body`: {}",
            body.description.as_deref().unwrap_or("the request body")
        ));
    }

    let template = format_template(&op.path, |name| ident(name).to_string());
    let path = if op.path.contains('{') {
        quote! { ::std::format!(#template) }
    } else {
        quote! { ::std::string::String::from(#template) }
    };
    let query = if query.is_empty() {
        quote! {}
    } else {
        quote! {
            let mut query = crate::client::Query::new(path);
            #(#query)*
            let path = query.finish();
        }
    };
    let call = if op.body.is_some() {
        quote! { self.call_json(path, body).await }
    } else {
        quote! { self.call_empty(path).await }
    };
    let doc = docs(method_doc(op, &response.to_string(), arg_docs)?);
    Ok(quote! {
        #doc
        pub async fn #name(&self #(, #args)*)
            -> ::std::result::Result<crate::ResponseValue<#response>, crate::Error>
        {
            #(#segments)*
            let path = #path;
            #query
            #call
        }
    })
}

/// The argument of a path parameter. A UUID is written into the path as it displays
/// (hyphenated, lower case); a text is escaped as one segment first (pushed on `segments`).
fn path_argument(
    op: &Operation,
    param: &Param,
    segments: &mut Vec<TokenStream>,
) -> Result<TokenStream> {
    let arg = ident(&param.name);
    let wire = &param.name;
    match &param.ty {
        ParamType::Uuid => Ok(quote! { #arg: ::uuid::Uuid }),
        ParamType::String => {
            let id = &op.id;
            segments.push(quote! {
                let #arg = crate::client::path_segment(#id, #wire, #arg)?;
            });
            Ok(quote! { #arg: &str })
        }
        other => bail!(
            "path parameter `{wire}` of `{}` has the unsupported type {other:?}",
            op.id
        ),
    }
}

/// The type of a query parameter's argument, and the statement adding it to `query`: an
/// optional value is an `Option` (none or one value), a list a slice (`?tag=a&tag=b`).
fn query_argument(
    param: &Param,
    type_of: &impl Fn(&str) -> Result<TokenStream>,
) -> Result<(TokenStream, TokenStream)> {
    let arg = ident(&param.name);
    let wire = &param.name;
    let item = match &param.ty {
        ParamType::String => quote! { ::std::string::String },
        ParamType::Uuid => quote! { ::uuid::Uuid },
        ParamType::Integer => quote! { i64 },
        ParamType::Boolean => quote! { bool },
        ParamType::Enum(schema) => type_of(schema)?,
    };
    let ty = if param.repeated {
        quote! { &[#item] }
    } else {
        match &param.ty {
            ParamType::String => quote! { &str },
            ParamType::Enum(_) => quote! { &#item },
            _ => item,
        }
    };
    Ok(match (param.required, param.repeated) {
        (true, true) => (ty, quote! { query.push(#wire, #arg); }),
        (true, false) => (ty, quote! { query.push(#wire, [#arg]); }),
        (false, true) => (
            quote! { ::std::option::Option<#ty> },
            quote! { query.push(#wire, #arg.unwrap_or_default()); },
        ),
        (false, false) => (
            quote! { ::std::option::Option<#ty> },
            quote! { query.push(#wire, #arg); },
        ),
    })
}

/// The method's documentation: what it does, what it sends, its arguments, what it returns.
fn method_doc(op: &Operation, response: &str, arg_docs: Vec<String>) -> Result<Vec<String>> {
    let success = op.success()?;
    let mut lines = Vec::new();
    if let Some(description) = &op.description {
        lines.push(description.clone());
        lines.push(String::new());
    }
    lines.push(format!(
        "Sends a `{}` request to `{}` (`{}`){}.",
        op.method.to_uppercase(),
        op.path,
        op.id,
        if op.body.is_none() {
            " without a body"
        } else {
            " with a JSON body"
        }
    ));
    if !arg_docs.is_empty() {
        lines.push(String::new());
        lines.push("Arguments:".to_owned());
        lines.extend(arg_docs);
    }
    lines.push(String::new());
    lines.push(format!(
        "Every answer is a [`{response}`] variant in a [`ResponseValue`](crate::ResponseValue) \
         (with status and headers); [`into_result`](crate::ResponseValue::into_result) gives the \
         `{} {}` body. Only failures to send, edit or decode are an [`Error`](crate::Error).",
        success.status.code, success.status.reason
    ));
    Ok(lines)
}

/// `/a/{bId}/c` -> `/a/{b_id}/c`, for `format!` with the (encoded) arguments as locals.
fn format_template(path: &str, rename: impl Fn(&str) -> String) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let (name, after) = rest[start + 1..]
            .split_once('}')
            .unwrap_or((&rest[start + 1..], ""));
        out.push('{');
        out.push_str(&rename(name));
        out.push('}');
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_become_format_strings() {
        let rename = |name: &str| ident(name).to_string();
        assert_eq!(format_template("/a/{b}/c/{dId}", rename), "/a/{b}/c/{d_id}");
        assert_eq!(format_template("/plain", rename), "/plain");
    }
}
