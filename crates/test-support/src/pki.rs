//! A PKI built at run time with `rcgen`: CAs, server certificates for `localhost`/`127.0.0.1`,
//! and client certificates with RSA, ECDSA P-256/P-384 and Ed25519 keys in every encoding,
//! valid from 1975 to 4096 unless a window is chosen ([`Ca::new_valid_between`],
//! [`Ca::client_cert_valid_between`]); plus fixed encrypted-key test vectors.

use std::{
    sync::{Arc, OnceLock},
    time::{SystemTime, UNIX_EPOCH},
};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SignatureAlgorithm,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, pem::PemObject};

/// The key algorithms the stack supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// RSA 2048 with SHA-256.
    Rsa,
    /// ECDSA on P-256 with SHA-256.
    EcdsaP256,
    /// ECDSA on P-384 with SHA-384.
    EcdsaP384,
    /// Ed25519.
    Ed25519,
}

impl KeyKind {
    /// Every supported kind.
    pub const ALL: [KeyKind; 4] = [Self::Rsa, Self::EcdsaP256, Self::EcdsaP384, Self::Ed25519];

    fn algorithm(self) -> &'static SignatureAlgorithm {
        match self {
            Self::Rsa => &rcgen::PKCS_RSA_SHA256,
            Self::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            Self::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            Self::Ed25519 => &rcgen::PKCS_ED25519,
        }
    }

    /// The encodings a key of this kind can be written in.
    pub fn encodings(self) -> &'static [KeyEncoding] {
        match self {
            Self::Rsa => &[KeyEncoding::Pkcs1, KeyEncoding::Pkcs8],
            Self::EcdsaP256 | Self::EcdsaP384 => &[KeyEncoding::Sec1, KeyEncoding::Pkcs8],
            Self::Ed25519 => &[KeyEncoding::Pkcs8],
        }
    }
}

/// How a private key is written in PEM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyEncoding {
    /// `RSA PRIVATE KEY` (RSA only).
    Pkcs1,
    /// `EC PRIVATE KEY` (ECDSA only).
    Sec1,
    /// `PRIVATE KEY`.
    Pkcs8,
}

/// A certificate authority that issues server and client certificates.
pub struct Ca {
    issuer: Issuer<'static, KeyPair>,
    /// The CA certificate, PEM.
    pub cert_pem: String,
    /// The CA certificate, DER.
    pub cert_der: CertificateDer<'static>,
}

impl std::fmt::Debug for Ca {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ca").finish_non_exhaustive()
    }
}

/// An issued certificate with its key.
#[derive(Clone, Debug)]
pub struct Leaf {
    /// The key algorithm.
    pub kind: KeyKind,
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The certificate, DER.
    pub cert_der: CertificateDer<'static>,
    /// The issuing CA's certificate, PEM (for building chains).
    pub ca_pem: String,
    pkcs8_der: Vec<u8>,
    pkcs1_pem: Option<String>,
}

/// A validity window: `notBefore`, `notAfter`.
type Window = Option<(SystemTime, SystemTime)>;

/// Sets `params`' validity to `window` (rcgen writes it to the second).
fn set_validity(params: &mut CertificateParams, window: Window) {
    let Some((not_before, not_after)) = window else {
        return;
    };
    let epoch = rcgen::date_time_ymd(1970, 1, 1);
    let at = |time: SystemTime| match time.duration_since(UNIX_EPOCH) {
        Ok(after) => epoch + after,
        Err(before) => epoch - before.duration(),
    };
    params.not_before = at(not_before);
    params.not_after = at(not_after);
}

impl Ca {
    /// A new self-signed CA (ECDSA P-256) with common name `name`.
    pub fn new(name: &str) -> Self {
        Self::with_validity(name, None)
    }

    /// A new self-signed CA like [`Ca::new`], valid only from `not_before` to `not_after`
    /// (whole seconds), e.g. an expired one. The certificates it issues keep their own windows.
    pub fn new_valid_between(name: &str, not_before: SystemTime, not_after: SystemTime) -> Self {
        Self::with_validity(name, Some((not_before, not_after)))
    }

    fn with_validity(name: &str, window: Window) -> Self {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.distinguished_name = dn(name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        set_validity(&mut params, window);
        let cert = params.self_signed(&key).expect("CA certificate");
        Self {
            cert_pem: cert.pem(),
            cert_der: cert.der().clone(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A server certificate (ECDSA P-256) for `hosts` (DNS names or IP addresses).
    pub fn server_cert(&self, hosts: &[&str]) -> Leaf {
        self.issue(
            hosts,
            "server",
            KeyKind::EcdsaP256,
            0,
            ExtendedKeyUsagePurpose::ServerAuth,
            None,
        )
    }

    /// A self-signed server certificate (ECDSA P-256, not a CA) for `hosts`: what a service
    /// without a CA of its own presents, and what its clients pin as their trust anchor.
    pub fn self_signed_server_cert(hosts: &[&str]) -> Leaf {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
        let hosts: Vec<String> = hosts.iter().map(|h| h.to_string()).collect();
        let mut params = CertificateParams::new(hosts).expect("params");
        params.distinguished_name = dn("self-signed server");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params.self_signed(&key).expect("self-signed certificate");
        Leaf {
            kind: KeyKind::EcdsaP256,
            cert_pem: cert.pem(),
            cert_der: cert.der().clone(),
            // Its own issuer: the "chain" is the certificate twice, harmless for a server.
            ca_pem: cert.pem(),
            pkcs8_der: key.serialize_der(),
            pkcs1_pem: None,
        }
    }

    /// A client certificate with common name `name` and a key of `kind`. Every RSA
    /// certificate made this way shares one key (RSA key generation is slow); use
    /// [`Ca::client_cert_rsa`] for a different one.
    pub fn client_cert(&self, name: &str, kind: KeyKind) -> Leaf {
        self.issue(
            &[],
            name,
            kind,
            0,
            ExtendedKeyUsagePurpose::ClientAuth,
            None,
        )
    }

    /// A client certificate like [`Ca::client_cert`], valid only from `not_before` to
    /// `not_after` (whole seconds): an expired or not yet valid one, for instance.
    pub fn client_cert_valid_between(
        &self,
        name: &str,
        kind: KeyKind,
        not_before: SystemTime,
        not_after: SystemTime,
    ) -> Leaf {
        self.issue(
            &[],
            name,
            kind,
            0,
            ExtendedKeyUsagePurpose::ClientAuth,
            Some((not_before, not_after)),
        )
    }

    /// A client certificate with common name `name` and the RSA key number `slot` (below
    /// [`RSA_KEY_SLOTS`]; slot 0 is the key [`Ca::client_cert`] uses). Certificates with
    /// different slots have different keys, e.g. to rotate to a new key.
    ///
    /// # Panics
    /// When `slot` is not below [`RSA_KEY_SLOTS`].
    pub fn client_cert_rsa(&self, name: &str, slot: usize) -> Leaf {
        self.issue(
            &[],
            name,
            KeyKind::Rsa,
            slot,
            ExtendedKeyUsagePurpose::ClientAuth,
            None,
        )
    }

    fn issue(
        &self,
        hosts: &[&str],
        name: &str,
        kind: KeyKind,
        rsa_slot: usize,
        usage: ExtendedKeyUsagePurpose,
        window: Window,
    ) -> Leaf {
        let (key, pkcs1_pem) = match kind {
            KeyKind::Rsa => {
                let rsa = rsa_key(rsa_slot);
                let key = KeyPair::from_pkcs8_der_and_sign_algo(
                    &PrivatePkcs8KeyDer::from(rsa.pkcs8_der.clone()),
                    kind.algorithm(),
                )
                .expect("RSA key pair");
                (key, Some(rsa.pkcs1_pem.clone()))
            }
            _ => (
                KeyPair::generate_for(kind.algorithm()).expect("key pair"),
                None,
            ),
        };
        let hosts: Vec<String> = hosts.iter().map(|h| h.to_string()).collect();
        let mut params = CertificateParams::new(hosts).expect("params");
        params.distinguished_name = dn(name);
        params.extended_key_usages = vec![usage];
        set_validity(&mut params, window);
        let cert = params.signed_by(&key, &self.issuer).expect("issue");
        Leaf {
            kind,
            cert_pem: cert.pem(),
            cert_der: cert.der().clone(),
            ca_pem: self.cert_pem.clone(),
            pkcs8_der: key.serialize_der(),
            pkcs1_pem,
        }
    }
}

impl Leaf {
    /// The private key in PKCS#8 PEM.
    pub fn key_pem(&self) -> String {
        self.key_pem_as(KeyEncoding::Pkcs8)
    }

    /// The private key PEM in `encoding`.
    ///
    /// # Panics
    /// When `encoding` does not fit the key kind (see [`KeyKind::encodings`]).
    pub fn key_pem_as(&self, encoding: KeyEncoding) -> String {
        match (encoding, self.kind) {
            (KeyEncoding::Pkcs8, _) => pem("PRIVATE KEY", &self.pkcs8_der),
            (KeyEncoding::Pkcs1, KeyKind::Rsa) => self.pkcs1_pem.clone().expect("RSA PKCS#1"),
            (KeyEncoding::Sec1, KeyKind::EcdsaP256 | KeyKind::EcdsaP384) => {
                pem("EC PRIVATE KEY", &sec1_from_pkcs8(&self.pkcs8_der))
            }
            (encoding, kind) => panic!("a {kind:?} key cannot be written as {encoding:?}"),
        }
    }

    /// The private key, DER (PKCS#8).
    pub fn key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.pkcs8_der.clone()))
    }

    /// The certificate followed by its CA, PEM: a chain as found in `tls.crt`.
    pub fn chain_pem(&self) -> String {
        format!("{}{}", self.cert_pem, self.ca_pem)
    }

    /// The certificate chain (leaf, CA), DER.
    pub fn chain_der(&self) -> Vec<CertificateDer<'static>> {
        CertificateDer::pem_slice_iter(self.chain_pem().as_bytes())
            .collect::<Result<_, _>>()
            .expect("chain PEM")
    }

    /// A rustls server certificate resolver input: chain and key.
    pub fn certified_key(&self) -> Arc<rustls::sign::CertifiedKey> {
        let key = rustls::crypto::ring::default_provider()
            .key_provider
            .load_private_key(self.key_der())
            .expect("load key");
        Arc::new(rustls::sign::CertifiedKey::new(self.chain_der(), key))
    }
}

fn dn(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn.push(DnType::OrganizationName, "test-support");
    dn
}

struct RsaKey {
    pkcs8_der: Vec<u8>,
    pkcs1_pem: String,
}

/// How many distinct RSA keys [`Ca::client_cert_rsa`] offers.
pub const RSA_KEY_SLOTS: usize = 4;

/// A few RSA keys per process, each made on first use: generating RSA keys is slow, and tests
/// need only a handful of distinct ones.
fn rsa_key(slot: usize) -> &'static RsaKey {
    static KEYS: [OnceLock<RsaKey>; RSA_KEY_SLOTS] = [const { OnceLock::new() }; RSA_KEY_SLOTS];
    KEYS[slot].get_or_init(|| {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        use rsa::pkcs8::EncodePrivateKey;
        let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("RSA key");
        RsaKey {
            pkcs8_der: key.to_pkcs8_der().expect("PKCS#8").as_bytes().to_vec(),
            pkcs1_pem: key
                .to_pkcs1_pem(rsa::pkcs1::LineEnding::LF)
                .expect("PKCS#1")
                .to_string(),
        }
    })
}

/// TEST VECTOR, fixed, not generated at run time: an ECDSA P-256 private key as encrypted
/// PKCS#8 (`ENCRYPTED PRIVATE KEY`, PBES2 with AES-256-CBC), password `test-vector`. Made once
/// with OpenSSL 3.0:
/// `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out k.pem`, then
/// `openssl pkcs8 -topk8 -in k.pem -v2 aes-256-cbc -passout pass:test-vector`. The key belongs
/// to no certificate here. (Generating one would take PKCS#5 encryption crates the workspace
/// does not otherwise need.)
pub const ENCRYPTED_PKCS8_KEY_PEM: &str = "\
-----BEGIN ENCRYPTED PRIVATE KEY-----
MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAjCk20oVrrhHwICCAAw
DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEELUJxT/D3B82K1xwsGhkEjAEgZBA
2Ib/HDLfl7/9I1YhhQjEtffgszXh0uH7/IWgfDGME13tmyEhovrwLrxlSvoR/kvA
EsVdNfEeT3BOivsVhvlc1FnW+Cf5mKMDKLCmlAPOKxqVwz7GMWIZbOZvoA9NbrPD
+4atwdERxlmKrjHW1wWWeKAvD0QNyT1x6dXLl0v+TDrPvRJoJQSWrr1/UyoUh20=
-----END ENCRYPTED PRIVATE KEY-----
";

/// TEST VECTOR, fixed: the key of [`ENCRYPTED_PKCS8_KEY_PEM`] encrypted the legacy OpenSSL way
/// (an `EC PRIVATE KEY` block with `Proc-Type: 4,ENCRYPTED` and `DEK-Info` headers), password
/// `test-vector`, made with `openssl ec -in k.pem -aes256 -passout pass:test-vector`.
pub const ENCRYPTED_LEGACY_KEY_PEM: &str = "\
-----BEGIN EC PRIVATE KEY-----
Proc-Type: 4,ENCRYPTED
DEK-Info: AES-256-CBC,BCCE19A8F6653F5C967FE3B1C52C8571

qNLQPp6UXZ9IdR+QjuhrSdOG9x0jPzU97TD7v7xAiO7Jqg5KLGNkYFULIuWeFA1Z
xjIqXpE6nSsZ+cRmWyINMne8iKIOYTQrk4fapvu8UwmhkvlLIqCjdFpoQXnqpWpS
z+iGbZ7dk8oREaJEtiLmMTmMXUtYtfBKFuGZpnxwqC8=
-----END EC PRIVATE KEY-----
";

/// PEM-armours `der` under `label`.
pub fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Reads one DER TLV at the start of `input`: (tag, contents, rest).
fn tlv(input: &[u8]) -> (u8, &[u8], &[u8]) {
    let tag = input[0];
    let (len, header) = match input[1] {
        l if l < 0x80 => (l as usize, 2),
        0x81 => (input[2] as usize, 3),
        0x82 => ((input[2] as usize) << 8 | input[3] as usize, 4),
        other => panic!("unsupported DER length byte {other:#x}"),
    };
    (tag, &input[header..header + len], &input[header + len..])
}

/// The SEC1 `ECPrivateKey` inside a PKCS#8 EC key.
fn sec1_from_pkcs8(pkcs8: &[u8]) -> Vec<u8> {
    let (_, seq, _) = tlv(pkcs8);
    let (_, _version, rest) = tlv(seq);
    let (_, _algorithm, rest) = tlv(rest);
    let (tag, private_key, _) = tlv(rest);
    assert_eq!(tag, 0x04, "PKCS#8 privateKey is an OCTET STRING");
    private_key.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_and_encoding_loads_in_rustls() {
        let ca = Ca::new("test-ca");
        for kind in KeyKind::ALL {
            let leaf = ca.client_cert("client", kind);
            for encoding in kind.encodings() {
                let pem = leaf.key_pem_as(*encoding);
                let key = PrivateKeyDer::from_pem_slice(pem.as_bytes()).unwrap();
                let expected = match encoding {
                    KeyEncoding::Pkcs1 => matches!(key, PrivateKeyDer::Pkcs1(_)),
                    KeyEncoding::Sec1 => matches!(key, PrivateKeyDer::Sec1(_)),
                    KeyEncoding::Pkcs8 => matches!(key, PrivateKeyDer::Pkcs8(_)),
                };
                assert!(expected, "{kind:?} {encoding:?}");
                rustls::crypto::ring::default_provider()
                    .key_provider
                    .load_private_key(key)
                    .unwrap_or_else(|e| panic!("{kind:?} {encoding:?}: {e}"));
            }
        }
    }
}
