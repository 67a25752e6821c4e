//! Rendering the operations: the operation table ([`table`]), one response enum per operation
//! ([`response`]) and one async method per operation on `region_openapi::Client`
//! ([`method`]).
//!
//! What repeats from one operation to the next lives in the runtime (`operations!` and
//! `response_enum!` in region-openapi, its `Client` plumbing): the table and the enums are
//! written as invocations of those macros, one line per operation or status, as text (their
//! layout is ours: `prettyplease` would print a macro's input as one flowing token stream);
//! the methods are tokens for `prettyplease`.

pub mod method;
pub mod response;
pub mod syntax;
pub mod table;

use std::collections::BTreeMap;

use anyhow::Result;
use proc_macro2::TokenStream;
use quote::quote;

use super::{operations::Operation, schema::Definitions};

/// What [`render`] makes of the operations.
pub struct Rendered {
    /// The `operations!` invocation, as source text.
    pub table: String,
    /// The `response_enum!` invocations, as source text.
    pub responses: String,
    /// `impl crate::Client { ... }` with one method per operation.
    pub methods: TokenStream,
}

/// Renders `operations`; `types` maps each definition name to the Rust type naming it.
pub fn render(
    operations: &[Operation],
    types: &BTreeMap<String, TokenStream>,
    defs: &Definitions,
) -> Result<Rendered> {
    let mut responses = String::new();
    let mut methods = Vec::new();
    for op in operations {
        responses.push_str(&response::response_enum(op, types, defs)?);
        methods.push(method::method(op, types)?);
    }
    Ok(Rendered {
        table: table::table(operations, types)?,
        responses,
        methods: quote! {
            impl crate::Client {
                #(#methods)*
            }
        },
    })
}
