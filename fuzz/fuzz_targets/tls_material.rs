//! TLS material from a `kubernetes.io/tls` Secret's bytes, through core-client's public,
//! Kubernetes-free entry points: `tls::certificates_from_pem` (`tls.crt`),
//! `tls::private_key_from_pem` (`tls.key`) and `tls::ClientIdentity::from_pem` (both).
//!
//! Beyond "no panic":
//! - `from_pem` is the two readers followed by `ClientIdentity::new`: it accepts exactly when
//!   both read and `new` accepts what they read;
//! - every certificate read is one whole X.509 certificate (x509-parser, nothing after it),
//!   and certificates read survive being written back as PEM and read again;
//! - an identity is the chain given, leaf first, and its private key is the leaf's;
//! - no key material shows: neither `Debug` of the identity nor `Debug`/`Display` of any error
//!   (with its source chain) holds a base64 body line of the key PEM or the key's DER bytes.
#![no_main]

use base64::{Engine, engine::general_purpose::STANDARD};
use core_client::tls::{ClientIdentity, certificates_from_pem, private_key_from_pem};
use fuzz::inputs::TlsInput;
use libfuzzer_sys::fuzz_target;
use x509_parser::prelude::FromDer;

fuzz_target!(|input: TlsInput<'_>| {
    let certificates = certificates_from_pem(input.crt);
    let key = private_key_from_pem(input.key);
    let identity = ClientIdentity::from_pem(input.crt, input.key);
    let lines = key_lines(&input);

    match &certificates {
        Ok(chain) => {
            assert!(!chain.is_empty());
            for certificate in chain {
                let (rest, _) = x509_parser::certificate::X509Certificate::from_der(certificate)
                    .expect("a certificate read is X.509");
                assert!(rest.is_empty(), "{} bytes after a certificate", rest.len());
            }
            let pem: String = chain.iter().map(|c| pem("CERTIFICATE", c)).collect();
            let again = certificates_from_pem(pem.as_bytes()).expect("written back, read again");
            assert_eq!(&again, chain);
        }
        Err(error) => check_no_key_material(&lines, error),
    }
    let key_der = match &key {
        Ok(key) => key.secret_der().to_vec(),
        Err(error) => {
            check_no_key_material(&lines, error);
            Vec::new()
        }
    };

    // `from_pem` is the two readers and `new`.
    let by_parts = match (certificates, key) {
        (Ok(chain), Ok(key)) => Some(ClientIdentity::new(chain, key)),
        _ => None,
    };
    match (&identity, &by_parts) {
        (Ok(_), Some(Ok(_))) | (Err(_), None | Some(Err(_))) => {}
        (identity, by_parts) => {
            panic!("from_pem gives {identity:?}, the readers and new give {by_parts:?}")
        }
    }

    match &identity {
        Ok(identity) => {
            let (_, leaf) = x509_parser::parse_x509_certificate(identity.certificate())
                .expect("an identity's leaf is X.509");
            if let Some(public) = identity.signing_key().public_key() {
                assert_eq!(
                    public.as_ref(),
                    leaf.tbs_certificate.subject_pki.raw,
                    "the key is not the leaf's"
                );
            }
            let shown = format!("{identity:?}");
            assert!(!contains_der(&shown, &key_der), "{shown}");
            assert!(!shown_material(&lines, &shown), "{shown}");
        }
        Err(error) => {
            check_no_key_material(&lines, error);
            let shown = format!("{error:?}");
            assert!(!contains_der(&shown, &key_der), "{shown}");
        }
    }
});

/// `der` as a PEM block.
fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The key PEM's base64 body lines of 16 characters or more (so as not to match words by
/// chance). A line that also appears in `tls.crt` or inside a `-----BEGIN`/`-----END` line
/// (whose labels errors quote by design) proves nothing, and is left out.
fn key_lines(input: &TlsInput<'_>) -> Vec<String> {
    let key = String::from_utf8_lossy(input.key);
    let crt = String::from_utf8_lossy(input.crt);
    let armour: Vec<&str> = key.lines().filter(|l| l.starts_with("-----")).collect();
    key.lines()
        .map(|line| line.trim_end_matches('\r'))
        .filter(|line| {
            line.len() >= 16
                && line
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
                && !crt.contains(line)
                && !armour.iter().any(|a| a.contains(line))
        })
        .map(str::to_owned)
        .collect()
}

/// Whether `shown` contains one of `lines`.
fn shown_material(lines: &[String], shown: &str) -> bool {
    lines.iter().any(|line| shown.contains(line.as_str()))
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

fn check_no_key_material(lines: &[String], error: &(dyn std::error::Error + 'static)) {
    let mut current = Some(error);
    while let Some(e) = current {
        for shown in [format!("{e:?}"), e.to_string()] {
            assert!(
                !shown_material(lines, &shown),
                "key material shows: {shown}"
            );
        }
        current = e.source();
    }
}
