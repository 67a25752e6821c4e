//! `core_client::reference::ResourceReference`: `FromStr` on arbitrary text and `new` on
//! arbitrary plural, group and name.
//!
//! Beyond "no panic":
//! - `Display` of a parsed reference is the text parsed, and parses back equal;
//! - a reference `new` made prints `{plural}.{group}/{name}` (`{plural}/{name}` for the core
//!   group; the legacy group `unikorn-cloud.org` written as `kubernetes.unikorn-cloud.org`),
//!   parses back equal, and splits back into its prefix and name;
//! - whatever is accepted is a Kubernetes qualified name (a finalizer): a DNS-subdomain prefix
//!   of at most 253 bytes, `/`, a name of at most 63 bytes of `[A-Za-z0-9._-]` starting and
//!   ending alphanumeric; this is checked against a separate, simple implementation.
#![no_main]

use core_client::reference::{LEGACY_GROUP, LEGACY_GROUP_REPLACEMENT, ResourceReference};
use fuzz::inputs::ReferenceInput;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: ReferenceInput<'_>| {
    let parsed = input.text.parse::<ResourceReference>();
    assert_eq!(
        parsed.is_ok(),
        is_qualified_name(input.text),
        "{:?}: {parsed:?}",
        input.text
    );
    if let Ok(reference) = &parsed {
        let shown = reference.to_string();
        assert_eq!(shown, input.text);
        assert_eq!(shown.parse::<ResourceReference>().as_ref(), Ok(reference));
        assert_eq!(
            format!("{}/{}", reference.prefix(), reference.name()),
            shown
        );
    }
    if let Err(error) = &parsed {
        let _ = error.to_string();
    }

    let made = ResourceReference::new(input.plural, input.group, input.name);
    let group = if input.group == LEGACY_GROUP {
        LEGACY_GROUP_REPLACEMENT
    } else {
        input.group
    };
    let prefix = if group.is_empty() {
        input.plural.to_owned()
    } else {
        format!("{}.{group}", input.plural)
    };
    let text = format!("{prefix}/{}", input.name);
    assert_eq!(made.is_ok(), is_qualified_name(&text), "{text:?}: {made:?}");
    if let Ok(reference) = &made {
        assert_eq!(reference.as_str(), text);
        assert_eq!(reference.prefix(), prefix);
        assert_eq!(reference.name(), input.name);
        assert_eq!(
            reference.to_string().parse::<ResourceReference>().as_ref(),
            Ok(reference)
        );
    }
});

/// Kubernetes' `IsQualifiedName` with a required prefix, written independently: a DNS-1123
/// subdomain (`[a-z0-9]([-a-z0-9]*[a-z0-9])?` labels joined by `.`, at most 253 bytes), `/`,
/// and `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]` of at most 63 bytes.
fn is_qualified_name(text: &str) -> bool {
    let Some((prefix, name)) = text.split_once('/') else {
        return false;
    };
    let label_ok = |label: &str| {
        let b = label.as_bytes();
        let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        !b.is_empty()
            && alnum(b[0])
            && alnum(b[b.len() - 1])
            && b.iter().all(|&c| alnum(c) || c == b'-')
    };
    let name_ok = {
        let b = name.as_bytes();
        !b.is_empty()
            && b.len() <= 63
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter()
                .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
    };
    prefix.len() <= 253 && prefix.split('.').all(label_ok) && name_ok
}
