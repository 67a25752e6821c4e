//! Rendering operations as async methods on `region_openapi::Client` and one response enum per
//! operation.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use heck::{ToPascalCase, ToSnakeCase};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use super::{
    operations::{Operation, ParamIn, ParamKind},
    schema::Definitions,
};

/// Renders `operations`; `types` maps each definition name to the Rust type naming it.
pub fn render(
    operations: &[Operation],
    types: &BTreeMap<String, TokenStream>,
    defs: &Definitions,
) -> Result<TokenStream> {
    let mut enums = Vec::new();
    let mut methods = Vec::new();
    for op in operations {
        let (response_enum, method) = operation(op, types, defs)?;
        enums.push(response_enum);
        methods.push(method);
    }
    Ok(quote! {
        #(#enums)*

        impl crate::Client {
            #(#methods)*
        }
    })
}

/// A Rust identifier for `name`, suffixed with `_` when it is a keyword.
/// The platform's error schema (`common.spec.yaml`); error answers carrying it are exposed
/// through `ApiResponse::error_body`.
const ERROR_SCHEMA: &str = "error";

fn ident(name: &str) -> Ident {
    let snake = name.to_snake_case();
    if syn::parse_str::<Ident>(&snake).is_ok() {
        Ident::new(&snake, Span::call_site())
    } else {
        format_ident!("{}_", snake)
    }
}

fn docs(lines: impl IntoIterator<Item = String>) -> TokenStream {
    let lines = lines.into_iter().flat_map(|text| {
        text.split('\n')
            .map(|line| format!(" {line}").trim_end().to_owned())
            .collect::<Vec<_>>()
    });
    quote! { #(#[doc = #lines])* }
}

fn operation(
    op: &Operation,
    types: &BTreeMap<String, TokenStream>,
    defs: &Definitions,
) -> Result<(TokenStream, TokenStream)> {
    let type_of = |name: &str| {
        types
            .get(name)
            .cloned()
            .with_context(|| format!("no generated type for schema `{name}` used by {}", op.id))
    };
    let method_name = ident(&op.id);
    let enum_name = format_ident!("{}Response", op.id.to_pascal_case());
    let method_upper = op.method.to_uppercase();
    let method_const = format_ident!("{}", method_upper);
    let operation_id = &op.id;

    // The response enum.
    let mut variants = Vec::new();
    let mut status_arms = Vec::new();
    let mut decode_arms = Vec::new();
    let mut error_variants = Vec::new();
    for response in &op.responses {
        let variant = format_ident!("{}", &response.status.variant);
        let constant = format_ident!("{}", &response.status.constant);
        let code = response.status.code;
        let doc = docs([format!(
            "`{code} {}`: {}",
            response.status.reason,
            response.description.as_deref().unwrap_or("")
        )
        .trim_end_matches([' ', ':'])
        .to_owned()]);
        match &response.schema {
            Some(schema) => {
                let ty = type_of(schema)?;
                if response.status.code >= 400 && schema == ERROR_SCHEMA {
                    error_variants.push(quote! { Self::#variant(error) });
                }
                variants.push(quote! { #doc #variant(#ty), });
                status_arms.push(quote! { Self::#variant(_) => ::http::StatusCode::#constant, });
                // A body that may hold credentials is not quoted in decode errors.
                let decode = if defs.holds_secrets(schema) {
                    quote! { crate::client::decode_withholding_body }
                } else {
                    quote! { crate::client::decode }
                };
                decode_arms.push(quote! {
                    #code => ::std::result::Result::Ok(#enum_name::#variant(
                        #decode(OPERATION, status, &payload)?,
                    )),
                });
            }
            None => {
                variants.push(quote! { #doc #variant, });
                status_arms.push(quote! { Self::#variant => ::http::StatusCode::#constant, });
                decode_arms.push(quote! {
                    #code => ::std::result::Result::Ok(#enum_name::#variant),
                });
            }
        }
    }
    let enum_doc = docs([format!(
        "The answer to [`Client::{method_name}`](crate::Client::{method_name}) (`{operation_id}`): one variant per documented status, with its decoded body."
    )]);
    let error_body = if error_variants.is_empty() {
        quote! { ::std::option::Option::None }
    } else {
        quote! {
            match self {
                #(#error_variants)|* => ::std::option::Option::Some(error),
                _ => ::std::option::Option::None,
            }
        }
    };
    let response_enum = quote! {
        #enum_doc
        #[derive(Debug)]
        #[allow(clippy::large_enum_variant)]
        pub enum #enum_name {
            #(#variants)*
            /// A status the API does not document for this operation.
            Unexpected {
                /// The status the server answered with.
                status: ::http::StatusCode,
                /// The undecoded response body.
                body: ::bytes::Bytes,
            },
        }

        impl #enum_name {
            /// The HTTP status of the answer.
            pub fn status(&self) -> ::http::StatusCode {
                match self {
                    #(#status_arms)*
                    Self::Unexpected { status, .. } => *status,
                }
            }
        }

        impl crate::ApiResponse for #enum_name {
            fn status(&self) -> ::http::StatusCode {
                #enum_name::status(self)
            }

            fn error_body(&self) -> ::std::option::Option<&types::Error> {
                #error_body
            }

            fn unexpected_body(&self) -> ::std::option::Option<&::bytes::Bytes> {
                match self {
                    Self::Unexpected { body, .. } => ::std::option::Option::Some(body),
                    _ => ::std::option::Option::None,
                }
            }
        }
    };

    // The method.
    let mut args = Vec::new();
    let mut arg_docs = Vec::new();
    let mut path_args = Vec::new();
    let mut query_pushes = Vec::new();
    for param in &op.params {
        let name = ident(&param.name);
        let wire = &param.name;
        arg_docs.push(format!(
            "- `{name}`: {}",
            param.description.as_deref().unwrap_or(wire.as_str())
        ));
        match param.location {
            ParamIn::Path => {
                args.push(quote! { #name: &str });
                path_args.push(quote! {
                    let #name = crate::client::path_segment(OPERATION, #wire, #name)?;
                });
            }
            ParamIn::Query => {
                let (ty, push) = match param.kind {
                    ParamKind::String => (quote! { &str }, quote! { query.push(#wire, value); }),
                    ParamKind::StringArray => (
                        quote! { &[::std::string::String] },
                        quote! { for item in value { query.push(#wire, item); } },
                    ),
                    ParamKind::Integer => (
                        quote! { i64 },
                        quote! { query.push(#wire, &value.to_string()); },
                    ),
                    ParamKind::Boolean => (
                        quote! { bool },
                        quote! { query.push(#wire, if value { "true" } else { "false" }); },
                    ),
                };
                if param.required {
                    args.push(quote! { #name: #ty });
                    query_pushes.push(quote! { { let value = #name; #push } });
                } else {
                    args.push(quote! { #name: ::std::option::Option<#ty> });
                    query_pushes.push(
                        quote! { if let ::std::option::Option::Some(value) = #name { #push } },
                    );
                }
            }
        }
    }
    let body_arg;
    let body_value;
    match &op.body {
        Some(body) => {
            let ty = type_of(&body.schema)?;
            body_arg = quote! { , body: &#ty };
            body_value = quote! { crate::client::encode_body(OPERATION, body)? };
            arg_docs.push(format!(
                "- `body`: {}",
                body.description.as_deref().unwrap_or("the request body")
            ));
        }
        None => {
            body_arg = quote! {};
            body_value = quote! { ::std::option::Option::None };
        }
    }
    let template = format_template(&op.path, |name| ident(name).to_string());
    let mut doc_lines = Vec::new();
    if let Some(description) = &op.description {
        doc_lines.push(description.clone());
        doc_lines.push(String::new());
    }
    doc_lines.push(format!(
        "Sends a `{method_upper}` request to `{}` (`{operation_id}`).",
        op.path
    ));
    if !arg_docs.is_empty() {
        doc_lines.push(String::new());
        doc_lines.push("Arguments:".to_owned());
        doc_lines.extend(arg_docs);
    }
    doc_lines.push(String::new());
    doc_lines.push(format!(
        "Every documented status comes back as a [`{enum_name}`] variant; only failures to send, \
         edit or decode are an [`Error`](crate::Error)."
    ));
    let method_doc = docs(doc_lines);
    let query = if query_pushes.is_empty() {
        quote! { let path_and_query = path; }
    } else {
        quote! {
            let mut query = crate::client::Query::default();
            #(#query_pushes)*
            let path_and_query = query.append_to(path);
        }
    };
    let method = quote! {
        #method_doc
        pub async fn #method_name(&self #(, #args)* #body_arg) -> ::std::result::Result<#enum_name, crate::Error> {
            const OPERATION: &str = #operation_id;
            #(#path_args)*
            let path = ::std::format!(#template);
            #query
            let response = self
                .execute(OPERATION, ::http::Method::#method_const, path_and_query, #body_value)
                .await?;
            let status = response.status();
            let payload = response.into_body();
            match status.as_u16() {
                #(#decode_arms)*
                _ => ::std::result::Result::Ok(#enum_name::Unexpected { status, body: payload }),
            }
        }
    };
    Ok((response_enum, method))
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

    #[test]
    fn identifiers_are_snake_case_and_avoid_keywords() {
        assert_eq!(ident("organizationID").to_string(), "organization_id");
        assert_eq!(
            ident("listNetworkReferences").to_string(),
            "list_network_references"
        );
        assert_eq!(ident("type").to_string(), "type_");
    }
}
