//! Touches up typify's output:
//! - the derived `Debug` of types that hold credentials is replaced by one that prints
//!   `<redacted>` in place of those fields;
//! - fields and enum variants typify leaves undocumented (a property that is only a `$ref`,
//!   an enum value) get a doc comment naming their wire form, so `missing_docs` holds;
//! - the copy of each type's JSON schema typify appends to its docs is dropped: the spec is
//!   next door, and the copies made up a third of the generated file;
//! - string enums become forward compatible: a catch-all variant [`CATCH_ALL`]`(String)` keeps
//!   a value the client does not know (the server is newer), and serde, `Display`, `FromStr`
//!   and `From<&str>`/`From<String>` are written out so that such a value decodes, and
//!   encodes and prints back to the same text;
//! - `#[serde(deny_unknown_fields)]` (typify emits it for `additionalProperties: false`) is
//!   removed: a newer server may add fields, and they are ignored.

use std::collections::BTreeSet;

use anyhow::{Context, Result, bail};
use heck::ToSnakeCase;
use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{Fields, Item, ItemEnum, ItemStruct, punctuated::Punctuated};

/// The name of the variant that keeps an enum value the client does not know.
pub const CATCH_ALL: &str = "Other";

/// Traits typify implements for string enums that the forward-compatible rewrite replaces.
const REPLACED_TRAITS: &[&str] = &["Display", "FromStr", "TryFrom"];

/// Rewrites every struct in `tokens` with a field whose JSON name is in `sensitive`, makes
/// string enums forward compatible, and documents undocumented fields and variants.
pub fn postprocess(tokens: TokenStream, sensitive: &BTreeSet<String>) -> Result<TokenStream> {
    let file: syn::File =
        syn::parse2(tokens).context("typify output does not parse as Rust items")?;
    let string_enums: BTreeSet<String> = file
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Enum(item) if is_string_enum(item) => Some(item.ident.to_string()),
            _ => None,
        })
        .collect();
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
                if string_enums.contains(&item.ident.to_string()) {
                    out.extend(forward_compatible(item)?);
                } else {
                    item.to_tokens(&mut out);
                }
            }
            // typify's conversions of string enums are replaced by `forward_compatible`'s.
            Item::Impl(item) if replaced_impl(&item, &string_enums) => {}
            Item::Struct(mut item) => {
                strip_schema_docs(&mut item.attrs);
                strip_deny_unknown_fields(&mut item.attrs);
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

/// Whether `item` is a plain string enum: unit variants only, deserialized by serde.
fn is_string_enum(item: &ItemEnum) -> bool {
    !item.variants.is_empty()
        && item
            .variants
            .iter()
            .all(|variant| matches!(variant.fields, Fields::Unit))
        && derives(&item.attrs).iter().any(|d| d == "Deserialize")
}

/// The last path segments of everything `attrs` derive.
fn derives(attrs: &[syn::Attribute]) -> Vec<String> {
    let mut names = Vec::new();
    for attr in attrs {
        if !attr.path().is_ident("derive") {
            continue;
        }
        if let Ok(paths) =
            attr.parse_args_with(Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
        {
            names.extend(
                paths
                    .iter()
                    .filter_map(|p| p.segments.last().map(|s| s.ident.to_string())),
            );
        }
    }
    names
}

/// Whether `item` is one of typify's `Display`/`FromStr`/`TryFrom` impls for a string enum.
fn replaced_impl(item: &syn::ItemImpl, string_enums: &BTreeSet<String>) -> bool {
    let syn::Type::Path(self_ty) = item.self_ty.as_ref() else {
        return false;
    };
    let for_enum = self_ty
        .path
        .get_ident()
        .is_some_and(|ident| string_enums.contains(&ident.to_string()));
    let replaced_trait = item.trait_.as_ref().is_some_and(|(_, path, _)| {
        path.segments
            .last()
            .is_some_and(|s| REPLACED_TRAITS.contains(&s.ident.to_string().as_str()))
    });
    for_enum && replaced_trait
}

/// `item`, a string enum, with a catch-all variant keeping unknown values, and the serde and
/// text conversions written out around its wire names.
fn forward_compatible(mut item: ItemEnum) -> Result<TokenStream> {
    let name = item.ident.clone();
    let mut idents = Vec::new();
    let mut wires = Vec::new();
    for variant in &mut item.variants {
        if variant.ident == CATCH_ALL {
            bail!(
                "enum `{name}` has a value that becomes the variant `{CATCH_ALL}`, the name of the \
                 variant that keeps unknown values: rename the value or the catch-all"
            );
        }
        wires.push(serde_rename(&variant.attrs).unwrap_or_else(|| variant.ident.to_string()));
        idents.push(variant.ident.clone());
        // Without the serde derives, serde's attributes would not compile.
        variant.attrs.retain(|attr| !attr.path().is_ident("serde"));
    }
    item.attrs.retain(|attr| !attr.path().is_ident("serde"));
    // Not `Copy` (the catch-all holds a `String`); serde is written out below.
    drop_derives(&mut item.attrs, &["Copy", "Serialize", "Deserialize"])?;
    let catch_all = syn::Ident::new(CATCH_ALL, proc_macro2::Span::call_site());
    item.variants.push(syn::parse_quote! {
        /// A value this client does not know, kept as it was sent (the server is newer than
        /// the spec the client was generated from). Decoding never puts a known value here.
        #catch_all(::std::string::String)
    });
    Ok(quote! {
        #item

        impl #name {
            /// The value as it travels on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #(Self::#idents => #wires,)*
                    Self::#catch_all(value) => value,
                }
            }

            fn known(value: &str) -> ::std::option::Option<Self> {
                match value {
                    #(#wires => ::std::option::Option::Some(Self::#idents),)*
                    _ => ::std::option::Option::None,
                }
            }
        }

        impl ::std::convert::From<&str> for #name {
            fn from(value: &str) -> Self {
                Self::known(value).unwrap_or_else(|| Self::#catch_all(value.to_owned()))
            }
        }

        impl ::std::convert::From<::std::string::String> for #name {
            fn from(value: ::std::string::String) -> Self {
                Self::known(&value).unwrap_or(Self::#catch_all(value))
            }
        }

        impl ::std::str::FromStr for #name {
            type Err = ::std::convert::Infallible;

            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                ::std::result::Result::Ok(Self::from(value))
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                <::std::string::String as ::serde::Deserialize>::deserialize(deserializer)
                    .map(Self::from)
            }
        }
    })
}

/// Removes `deny_unknown_fields` from the `#[serde(...)]` attributes in `attrs`.
fn strip_deny_unknown_fields(attrs: &mut Vec<syn::Attribute>) {
    for attr in attrs.iter_mut() {
        if !attr.path().is_ident("serde") {
            continue;
        }
        let Ok(metas) =
            attr.parse_args_with(Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated)
        else {
            continue;
        };
        let kept: Vec<_> = metas
            .into_iter()
            .filter(|meta| !meta.path().is_ident("deny_unknown_fields"))
            .collect();
        *attr = syn::parse_quote! { #[serde(#(#kept),*)] };
    }
    attrs.retain(|attr| {
        !(attr.path().is_ident("serde")
            && matches!(&attr.meta, syn::Meta::List(list) if list.tokens.is_empty()))
    });
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

/// Removes the derives named in `names` from the `#[derive(...)]` attributes in `attrs`.
fn drop_derives(attrs: &mut [syn::Attribute], names: &[&str]) -> Result<()> {
    for attr in attrs {
        if !attr.path().is_ident("derive") {
            continue;
        }
        let derives = attr
            .parse_args_with(Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
            .context("typify derive attribute does not parse")?;
        let kept: Vec<_> = derives
            .into_iter()
            .filter(|path| {
                path.segments
                    .last()
                    .is_none_or(|s| !names.iter().any(|name| s.ident == name))
            })
            .collect();
        *attr = syn::parse_quote! { #[derive(#(#kept),*)] };
    }
    Ok(())
}

fn redacted(mut item: ItemStruct, secrets: &BTreeSet<String>) -> Result<TokenStream> {
    drop_derives(&mut item.attrs, &["Debug"])?;
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
