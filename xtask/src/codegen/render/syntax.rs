//! Rust syntax the renderers share: identifiers, doc comments (as tokens and as text), type
//! names as text.

use anyhow::{Context, Result};
use heck::ToSnakeCase;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

/// A Rust identifier for `name` in snake case, suffixed with `_` when it is a keyword.
pub fn ident(name: &str) -> Ident {
    let snake = name.to_snake_case();
    if syn::parse_str::<Ident>(&snake).is_ok() {
        Ident::new(&snake, Span::call_site())
    } else {
        format_ident!("{}_", snake)
    }
}

/// The lines of `texts`, each split at its line breaks, without trailing blanks.
fn lines(texts: impl IntoIterator<Item = String>) -> Vec<String> {
    texts
        .into_iter()
        .flat_map(|text| {
            text.split('\n')
                .map(|line| format!(" {line}").trim_end().to_owned())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// `texts` as `#[doc]` attributes, for code that `prettyplease` prints.
pub fn docs(texts: impl IntoIterator<Item = String>) -> TokenStream {
    let lines = lines(texts);
    quote! { #(#[doc = #lines])* }
}

/// `texts` as `///` lines indented by `indent` spaces, for code written as text.
pub fn doc_comment(indent: usize, texts: impl IntoIterator<Item = String>) -> String {
    lines(texts)
        .into_iter()
        .map(|line| format!("{:indent$}///{line}\n", ""))
        .collect()
}

/// The Rust type `ty` as source text, e.g. `types::NetworkV2Read`.
pub fn type_text(ty: &TokenStream) -> Result<String> {
    let file: syn::File = syn::parse2(quote! { type T = #ty; })
        .with_context(|| format!("`{ty}` is not a Rust type"))?;
    let text = prettyplease::unparse(&file);
    Ok(text
        .trim()
        .trim_start_matches("type T = ")
        .trim_end_matches(';')
        .to_owned())
}

/// The name of the type `ty` names, without its module path (`types::Thing` is `Thing`).
pub fn type_name(ty: &TokenStream) -> Result<String> {
    match syn::parse2::<syn::Type>(ty.clone()) {
        Ok(syn::Type::Path(path)) if path.qself.is_none() => path
            .path
            .segments
            .last()
            .filter(|segment| segment.arguments.is_none())
            .map(|segment| segment.ident.to_string())
            .with_context(|| format!("`{ty}` is not a plain type name")),
        _ => anyhow::bail!("`{ty}` is not a plain type name"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_snake_case_and_avoid_keywords() {
        assert_eq!(ident("organizationID").to_string(), "organization_id");
        assert_eq!(
            ident("listNetworkReferences").to_string(),
            "list_network_references"
        );
        assert_eq!(ident("type").to_string(), "type_");
    }

    #[test]
    fn doc_comments_keep_line_breaks_and_drop_trailing_blanks() {
        assert_eq!(
            doc_comment(4, ["First.\n\nSecond. ".to_owned()]),
            "    /// First.\n    ///\n    /// Second.\n"
        );
    }

    #[test]
    fn types_print_as_source() {
        let ty = quote! { types::Thing };
        assert_eq!(type_text(&ty).unwrap(), "types::Thing");
        assert_eq!(type_name(&ty).unwrap(), "Thing");
        let list = quote! { ::std::vec::Vec<types::Thing> };
        assert_eq!(type_text(&list).unwrap(), "::std::vec::Vec<types::Thing>");
        assert!(type_name(&list).is_err());
    }
}
