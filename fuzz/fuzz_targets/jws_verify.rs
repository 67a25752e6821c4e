//! `principal::jws::verify` (the controller-path `X-Principal`, a PS512 compact JWS) on
//! arbitrary text, against the fixed RSA-2048 fixture certificate and against arbitrary DER.
//!
//! Beyond "no panic":
//! - an accepted JWS carries, as its payload, exactly the JSON its principal re-encodes to
//!   (only the fixture's key can have signed it, and it signs `Principal::to_json`), and that
//!   principal is what `principal::decode` reads from the same payload;
//! - the certificate cannot change how the JWS itself is judged: a malformed JWS or another
//!   algorithm is refused identically whatever the certificate;
//! - arbitrary DER accepts nothing the fixture refuses (no key but the fixture's verifies).
#![no_main]

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use fuzz::{fixtures, inputs::JwsInput};
use identity_client::principal::{self, jws::JwsError};
use libfuzzer_sys::fuzz_target;
use rustls_pki_types::CertificateDer;

fuzz_target!(|input: JwsInput<'_>| {
    let fixture = CertificateDer::from(fixtures::RSA_CERT_DER);
    let with_fixture = principal::jws::verify(input.jws, &fixture);
    let with_der = principal::jws::verify(input.jws, &CertificateDer::from(input.der));

    if let Ok(accepted) = &with_fixture {
        let payload = input.jws.split('.').nth(1).expect("three parts");
        let json = URL_SAFE_NO_PAD.decode(payload).expect("base64url payload");
        assert_eq!(
            accepted.to_json(),
            json,
            "the principal re-encodes to its signed JSON"
        );
        let decoded = principal::decode(payload).expect("the payload is a principal");
        assert_eq!(&decoded, accepted);
    }
    match (&with_fixture, &with_der) {
        (Err(JwsError::Malformed { .. } | JwsError::UnsupportedAlgorithm { .. }), _) => {
            assert_eq!(
                format!("{with_fixture:?}"),
                format!("{with_der:?}"),
                "judged before the key"
            );
        }
        (_, Ok(accepted)) => {
            let Ok(by_fixture) = &with_fixture else {
                panic!("accepted with arbitrary DER, refused by the fixture: {with_fixture:?}");
            };
            assert_eq!(accepted, by_fixture);
        }
        _ => {}
    }
    for result in [&with_fixture, &with_der] {
        if let Err(error) = result {
            let _ = error.to_string();
        }
    }
});
