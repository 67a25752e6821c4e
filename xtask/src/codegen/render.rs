//! Rendering operations as async methods on `region_openapi::Client`, and one response enum per
//! operation with the impls the runtime needs (`ApiResponse`, and `Decode`, the one function that
//! turns an answer into the enum).

pub mod syntax;
pub mod table;

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use heck::ToPascalCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use self::syntax::{docs, ident};
use super::{
    operations::{Operation, ParamIn, ParamType},
    schema::Definitions,
};

/// The platform's error schema (`common.spec.yaml`); error answers carrying it are exposed
/// through `ApiResponse::error_body`.
const ERROR_SCHEMA: &str = "error";

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
    let path_template = &op.path;
    // Whether any documented answer may hold credentials: then no raw body is ever shown.
    let sensitive = op
        .responses
        .iter()
        .any(|r| r.schema.as_deref().is_some_and(|s| defs.holds_secrets(s)));

    let successes: Vec<_> = op
        .responses
        .iter()
        .filter(|r| (200..300).contains(&r.status.code))
        .collect();
    let [success] = successes.as_slice() else {
        bail!(
            "operation `{}` at {} documents {} success (2xx) statuses: exactly one is supported",
            op.id,
            op.loc,
            successes.len()
        );
    };

    // The response enum.
    let mut variants = Vec::new();
    let mut status_arms = Vec::new();
    let mut decode_arms = Vec::new();
    let mut debug_arms = Vec::new();
    let mut error_variants = Vec::new();
    for response in &op.responses {
        let variant = format_ident!("{}", &response.status.variant);
        let variant_name = response.status.variant.as_str();
        let constant = format_ident!("{}", &response.status.constant);
        let code = response.status.code;
        let code_literal = proc_macro2::Literal::u16_unsuffixed(code);
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
                if code >= 400 && schema == ERROR_SCHEMA {
                    error_variants.push(quote! { Self::#variant(error) });
                }
                variants.push(quote! { #doc #variant(#ty), });
                status_arms.push(quote! { Self::#variant(_) => ::http::StatusCode::#constant, });
                decode_arms.push(quote! {
                    #code_literal if is_json => Self::parse(status, &body).map(Self::#variant),
                });
                debug_arms.push(quote! {
                    Self::#variant(value) => f.debug_tuple(#variant_name).field(value).finish(),
                });
            }
            None => {
                variants.push(quote! { #doc #variant, });
                status_arms.push(quote! { Self::#variant => ::http::StatusCode::#constant, });
                decode_arms
                    .push(quote! { #code_literal => ::std::result::Result::Ok(Self::#variant), });
                debug_arms.push(quote! { Self::#variant => f.write_str(#variant_name), });
            }
        }
    }
    let success_variant = format_ident!("{}", &success.status.variant);
    let (success_type, into_success) = match &success.schema {
        Some(schema) => (
            type_of(schema)?,
            quote! { Self::#success_variant(body) => ::std::result::Result::Ok(body), },
        ),
        None => (
            quote! { () },
            quote! { Self::#success_variant => ::std::result::Result::Ok(()), },
        ),
    };
    let enum_doc = docs([format!(
        "The answer to [`Client::{method_name}`](crate::Client::{method_name}) (`{operation_id}`): \
         one variant per documented status, with its decoded body."
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
    // Credential-bearing operations get a `Debug` that does not print undecoded bodies; the
    // decoded ones redact their credentials themselves.
    let (derive_debug, debug_impl) = if sensitive {
        (
            quote! {},
            quote! {
                impl ::std::fmt::Debug for #enum_name {
                    /// Written out so that the body of an `Unexpected` answer is not printed:
                    /// this operation's answers may hold credentials.
                    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        match self {
                            #(#debug_arms)*
                            Self::Unexpected { status, body } => f
                                .debug_struct("Unexpected")
                                .field("status", status)
                                .field("body", &crate::redact::debug_body(true, body))
                                .finish(),
                        }
                    }
                }
            },
        )
    } else {
        (quote! { #[derive(Debug)] }, quote! {})
    };
    let response_enum = quote! {
        #enum_doc
        #derive_debug
        #[allow(clippy::large_enum_variant)]
        pub enum #enum_name {
            #(#variants)*
            /// An answer the spec does not document: an undocumented status, or a documented
            /// one whose `Content-Type` is not JSON.
            Unexpected {
                /// The status the server answered with.
                status: ::http::StatusCode,
                /// The undecoded body.
                body: ::bytes::Bytes,
            },
        }

        #debug_impl

        impl crate::ApiResponse for #enum_name {
            type Success = #success_type;
            const OPERATION: &'static str = #operation_id;
            const SENSITIVE: bool = #sensitive;

            fn status(&self) -> ::http::StatusCode {
                match self {
                    #(#status_arms)*
                    Self::Unexpected { status, .. } => *status,
                }
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

            fn into_success(self) -> ::std::result::Result<Self::Success, Self> {
                match self {
                    #into_success
                    other => ::std::result::Result::Err(other),
                }
            }
        }

        impl crate::response::Decode for #enum_name {
            fn decode(
                status: ::http::StatusCode,
                is_json: bool,
                body: ::bytes::Bytes,
            ) -> ::std::result::Result<Self, crate::Error> {
                match status.as_u16() {
                    #(#decode_arms)*
                    _ => ::std::result::Result::Ok(Self::Unexpected { status, body }),
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
            ParamIn::Path => match &param.ty {
                ParamType::Uuid => {
                    // Hex digits and hyphens: nothing to escape, never empty or a dot segment.
                    args.push(quote! { #name: ::uuid::Uuid });
                    path_args.push(quote! { let #name = #name.hyphenated(); });
                }
                ParamType::String => {
                    args.push(quote! { #name: &str });
                    path_args.push(quote! {
                        let #name = crate::client::path_segment(OPERATION.id(), #wire, #name)?;
                    });
                }
                other => bail!(
                    "path parameter `{wire}` of `{}` has the unsupported type {other:?}",
                    op.id
                ),
            },
            ParamIn::Query => {
                // The type of one value, and how `value` (a reference to one inside a list)
                // is written as text.
                let (item, text) = match &param.ty {
                    ParamType::String => (quote! { ::std::string::String }, quote! { value }),
                    ParamType::Uuid => (
                        quote! { ::uuid::Uuid },
                        quote! { &value.hyphenated().to_string() },
                    ),
                    ParamType::Integer => (quote! { i64 }, quote! { &value.to_string() }),
                    ParamType::Boolean => (
                        quote! { bool },
                        quote! { if *value { "true" } else { "false" } },
                    ),
                    ParamType::Enum(schema) => {
                        let ty = type_of(schema)?;
                        (quote! { #ty }, quote! { &value.to_string() })
                    }
                };
                let (ty, push) = if param.repeated {
                    (
                        quote! { &[#item] },
                        quote! { for value in #name { query.push(#wire, #text); } },
                    )
                } else {
                    let ty = match &param.ty {
                        ParamType::String => quote! { &str },
                        ParamType::Enum(_) => quote! { &#item },
                        _ => quote! { #item },
                    };
                    (ty, quote! { let value = &#name; query.push(#wire, #text); })
                };
                if param.required {
                    args.push(quote! { #name: #ty });
                    query_pushes.push(quote! { { #push } });
                } else {
                    args.push(quote! { #name: ::std::option::Option<#ty> });
                    query_pushes.push(
                        quote! { if let ::std::option::Option::Some(#name) = #name { #push } },
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
            body_value = quote! { body };
            arg_docs.push(format!(
                "- `body`: {}",
                body.description.as_deref().unwrap_or("the request body")
            ));
        }
        None => {
            body_arg = quote! {};
            body_value = quote! {};
        }
    }
    let template = format_template(&op.path, |name| ident(name).to_string());
    let path = if op.path.contains('{') {
        quote! { ::std::format!(#template) }
    } else {
        quote! { ::std::string::String::from(#template) }
    };
    let mut doc_lines = Vec::new();
    if let Some(description) = &op.description {
        doc_lines.push(description.clone());
        doc_lines.push(String::new());
    }
    doc_lines.push(format!(
        "Sends a `{method_upper}` request to `{}` (`{operation_id}`){}.",
        op.path,
        if op.body.is_none() {
            " without a body"
        } else {
            " with a JSON body"
        }
    ));
    if !arg_docs.is_empty() {
        doc_lines.push(String::new());
        doc_lines.push("Arguments:".to_owned());
        doc_lines.extend(arg_docs);
    }
    doc_lines.push(String::new());
    doc_lines.push(format!(
        "Every answer is a [`{enum_name}`] variant in a [`ResponseValue`](crate::ResponseValue) \
         (with status and headers); [`into_result`](crate::ResponseValue::into_result) gives the \
         `{} {}` body. Only failures to send, edit or decode are an [`Error`](crate::Error).",
        success.status.code, success.status.reason
    ));
    let method_doc = docs(doc_lines);
    let query = if query_pushes.is_empty() {
        quote! {}
    } else {
        quote! {
            let mut query = crate::client::Query::default();
            #(#query_pushes)*
            let path = query.append_to(path);
        }
    };
    let call = if op.body.is_some() {
        quote! { self.call_json(OPERATION, ::http::Method::#method_const, path, #body_value).await }
    } else {
        quote! { self.call_empty(OPERATION, ::http::Method::#method_const, path).await }
    };
    let method = quote! {
        #method_doc
        pub async fn #method_name(&self #(, #args)* #body_arg)
            -> ::std::result::Result<crate::ResponseValue<#enum_name>, crate::Error>
        {
            const OPERATION: ::core_client::Operation =
                ::core_client::Operation::new(#operation_id, #path_template);
            #(#path_args)*
            let path = #path;
            #query
            #call
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
}
