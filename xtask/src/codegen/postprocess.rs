//! Touches up typify's output:
//! - the derived `Debug` of types that hold credentials is replaced by one that prints
//!   `<redacted>` in place of those fields;
//! - fields and enum variants typify leaves undocumented (a property that is only a `$ref`,
//!   an enum value) get a doc comment naming their wire form, so `missing_docs` holds;
//! - the copy of each type's JSON schema typify appends to its docs is dropped: the spec is
//!   next door, and the copies made up a third of the generated file.

use std::collections::BTreeSet;

use anyhow::{Context, Result};
use heck::ToSnakeCase;
use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{Fields, Item, ItemStruct, punctuated::Punctuated};

/// Rewrites every struct in `tokens` with a field whose JSON name is in `sensitive`, and
/// documents undocumented fields and variants.
pub fn postprocess(tokens: TokenStream, sensitive: &BTreeSet<String>) -> Result<TokenStream> {
    let file: syn::File =
        syn::parse2(tokens).context("typify output does not parse as Rust items")?;
    let mut out = TokenStream::new();
    for item in file.items {
        match item {
            Item::Enum(mut item) => {
                strip_schema_docs(&mut item.attrs);
                for variant in &mut item.variants {
                    if !has_doc(&variant.attrs) {
                        let wire = serde_rename(&variant.attrs)
                            .unwrap_or_else(|| variant.ident.to_string());
                        let doc = format!(" `{wire}` on the wire.");
                        variant.attrs.insert(0, syn::parse_quote! { #[doc = #doc] });
                    }
                }
                item.to_tokens(&mut out);
            }
            Item::Struct(mut item) => {
                strip_schema_docs(&mut item.attrs);
                if let Fields::Named(fields) = &mut item.fields {
                    for field in &mut fields.named {
                        if !has_doc(&field.attrs) {
                            let wire = serde_rename(&field.attrs).unwrap_or_else(|| {
                                field
                                    .ident
                                    .as_ref()
                                    .map(ToString::to_string)
                                    .unwrap_or_default()
                            });
                            let doc = format!(" The `{wire}` property; see its type.");
                            field.attrs.insert(0, syn::parse_quote! { #[doc = #doc] });
                        }
                    }
                }
                match secret_fields(&item, sensitive) {
                    Some(secrets) if !secrets.is_empty() => {
                        out.extend(redacted(item, &secrets)?);
                    }
                    _ => item.to_tokens(&mut out),
                }
            }
            other => other.to_tokens(&mut out),
        }
    }
    Ok(out)
}

/// The Rust names of `item`'s fields that carry a sensitive JSON property.
fn secret_fields(item: &ItemStruct, sensitive: &BTreeSet<String>) -> Option<BTreeSet<String>> {
    let Fields::Named(fields) = &item.fields else {
        return None;
    };
    let mut secrets = BTreeSet::new();
    for field in &fields.named {
        let rust = field.ident.as_ref()?.to_string();
        let wire = serde_rename(&field.attrs).unwrap_or_else(|| rust.clone());
        let hit = sensitive
            .iter()
            .any(|name| *name == wire || name.to_snake_case() == rust);
        if hit {
            secrets.insert(rust);
        }
    }
    Some(secrets)
}

/// Removes the `<details><summary>JSON schema</summary> ... </details>` block (and the empty
/// line before it) from the doc comment in `attrs`.
fn strip_schema_docs(attrs: &mut Vec<syn::Attribute>) {
    let text = |attr: &syn::Attribute| match &attr.meta {
        syn::Meta::NameValue(nv) if nv.path.is_ident("doc") => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    };
    let Some(start) = attrs.iter().position(|a| {
        text(a).is_some_and(|t| t.contains("<details><summary>JSON schema</summary>"))
    }) else {
        return;
    };
    let Some(end) = attrs[start..]
        .iter()
        .position(|a| text(a).is_some_and(|t| t.contains("</details>")))
        .map(|offset| start + offset)
    else {
        return;
    };
    let start = if start > 0 && text(&attrs[start - 1]).is_some_and(|t| t.trim().is_empty()) {
        start - 1
    } else {
        start
    };
    attrs.drain(start..=end);
}

fn has_doc(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| attr.path().is_ident("doc"))
}

/// The `#[serde(rename = "...")]` of a field or variant, if any.
fn serde_rename(attrs: &[syn::Attribute]) -> Option<String> {
    let mut rename = None;
    for attr in attrs {
        if !attr.path().is_ident("serde") {
            continue;
        }
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let value: syn::LitStr = meta.value()?.parse()?;
                rename = Some(value.value());
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
    }
    rename
}

fn redacted(mut item: ItemStruct, secrets: &BTreeSet<String>) -> Result<TokenStream> {
    // Drop `Debug` from the derives.
    for attr in &mut item.attrs {
        if !attr.path().is_ident("derive") {
            continue;
        }
        let derives = attr
            .parse_args_with(Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
            .context("typify derive attribute does not parse")?;
        let kept: Vec<_> = derives
            .into_iter()
            .filter(|path| path.segments.last().is_none_or(|s| s.ident != "Debug"))
            .collect();
        *attr = syn::parse_quote! { #[derive(#(#kept),*)] };
    }
    let name = &item.ident;
    let name_str = name.to_string();
    let Fields::Named(fields) = &item.fields else {
        return Ok(item.into_token_stream());
    };
    let mut entries = Vec::new();
    for field in &fields.named {
        let Some(ident) = &field.ident else { continue };
        let label = ident.to_string();
        if secrets.contains(&label) {
            let optional = matches!(&field.ty, syn::Type::Path(p)
                if p.path.segments.last().is_some_and(|s| s.ident == "Option"));
            if optional {
                entries.push(quote! {
                    .field(#label, &self.#ident.as_ref().map(|_| "<redacted>"))
                });
            } else {
                entries.push(quote! { .field(#label, &"<redacted>") });
            }
        } else {
            entries.push(quote! { .field(#label, &self.#ident) });
        }
    }
    let left_out = secrets
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let comment = format!(
        " Hand-written (by the generator) so that {left_out} never reach logs: they hold credentials."
    );
    Ok(quote! {
        #item

        impl ::std::fmt::Debug for #name {
            #[doc = #comment]
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(#name_str)
                    #(#entries)*
                    .finish()
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_derive_is_replaced_for_structs_with_secrets() {
        let tokens = quote! {
            #[derive(Clone, Debug, ::serde::Serialize)]
            pub struct Creds {
                pub user: String,
                #[serde(rename = "privateKey", default)]
                pub private_key: Option<String>,
                pub kubeconfig: String,
            }
            #[derive(Clone, Debug)]
            pub struct Plain { pub name: String }
        };
        let sensitive = ["privateKey".to_owned(), "kubeconfig".to_owned()].into();
        let out = postprocess(tokens, &sensitive).unwrap().to_string();
        assert!(
            out.contains("derive (Clone , :: serde :: Serialize)"),
            "{out}"
        );
        assert!(
            out.contains("impl :: std :: fmt :: Debug for Creds"),
            "{out}"
        );
        assert!(out.contains("\"<redacted>\""), "{out}");
        assert!(out.contains("derive (Clone , Debug)"), "{out}");
        assert!(!out.contains("Debug for Plain"), "{out}");
    }
}
