//! TLS material from a `kubernetes.io/tls` Secret's bytes: `tls.crt` and `tls.key` PEM read
//! with `rustls-pki-types` (as `core-client` reads Secrets), then
//! `core_client::tls::ClientIdentity::new`.
//!
//! Beyond "no panic":
//! - an identity is only built from a leaf that parses as X.509 and whose public key is the
//!   private key's: the leaf and chain are the certificates given, in order;
//! - no key material shows: neither `Debug` of the identity nor `Debug`/`Display` of any error
//!   (with its source chain) contains a base64 line of the key PEM or the key's DER bytes.
#![no_main]

use core_client::tls::ClientIdentity;
use fuzz::inputs::TlsInput;
use libfuzzer_sys::fuzz_target;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};

fuzz_target!(|input: TlsInput<'_>| {
    let Ok(chain) = CertificateDer::pem_slice_iter(input.crt).collect::<Result<Vec<_>, _>>() else {
        return;
    };
    let key = match PrivateKeyDer::from_pem_slice(input.key) {
        Ok(key) => key,
        Err(error) => {
            check_no_key_material(&input, &error);
            return;
        }
    };
    let key_der = key.secret_der().to_vec();
    match ClientIdentity::new(chain.clone(), key) {
        Ok(identity) => {
            assert_eq!(identity.chain(), chain.as_slice());
            assert_eq!(identity.certificate(), &chain[0]);
            let (_, leaf) = x509_parser::parse_x509_certificate(identity.certificate())
                .expect("an identity's leaf parses as X.509");
            if let Some(public) = identity.signing_key().public_key() {
                assert_eq!(
                    public.as_ref(),
                    leaf.tbs_certificate.subject_pki.raw,
                    "the key is not the leaf's"
                );
            }
            let shown = format!("{identity:?}");
            assert!(!contains_der(&shown, &key_der), "{shown}");
            assert!(!shown_material(&input, &shown), "{shown}");
        }
        Err(error) => {
            check_no_key_material(&input, &error);
            let shown = format!("{error:?}");
            assert!(!contains_der(&shown, &key_der), "{shown}");
        }
    }
});

/// Whether `shown` contains one of the key PEM's base64 lines (16 characters or more, so as
/// not to match words by chance).
fn shown_material(input: &TlsInput<'_>, shown: &str) -> bool {
    input
        .key
        .split(|b| *b == b'\n' || *b == b'\r')
        .filter(|line| {
            line.len() >= 16
                && line
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        })
        .filter_map(|line| std::str::from_utf8(line).ok())
        .any(|line| shown.contains(line))
}

/// Whether `shown` renders bytes of `der` as `Debug` does (`[48, 130, ..`): any 16 bytes in a
/// row hold one of its aligned 8-byte chunks.
fn contains_der(shown: &str, der: &[u8]) -> bool {
    der.chunks_exact(8).any(|window| {
        let rendered = window
            .iter()
            .map(u8::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        shown.contains(&rendered)
    })
}

fn check_no_key_material(input: &TlsInput<'_>, error: &(dyn std::error::Error + 'static)) {
    let mut current = Some(error);
    while let Some(e) = current {
        for shown in [format!("{e:?}"), e.to_string()] {
            assert!(
                !shown_material(input, &shown),
                "key material shows: {shown}"
            );
        }
        current = e.source();
    }
}
