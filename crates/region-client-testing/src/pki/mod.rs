//! A PKI built at run time with `rcgen`: CAs, server certificates for `localhost`/`127.0.0.1`,
//! and client certificates with RSA, ECDSA P-256/P-384 and Ed25519 keys in every encoding,
//! valid from 1975 to 4096 unless a window is chosen ([`Ca::new_valid_between`],
//! [`Ca::client_cert_valid_between`]); plus fixed encrypted-key test vectors.
//!
//! RSA keys are not generated: the kit carries a few fixed, public, test-only ones
//! ([`RSA_KEY_SLOTS`]), because generating one takes seconds in a debug build. EC and Ed25519
//! keys are generated per certificate (fast).
//!
//! Misuse (a host name rcgen cannot put in a certificate, an RSA slot out of range, a key
//! encoding that does not fit the key) panics with a message saying so: these are test
//! fixtures, built from a test's own constants.
//!
//! ```
//! use region_client_testing::{Ca, KeyEncoding, KeyKind};
//!
//! let ca = Ca::new("clients-ca");
//! let leaf = ca.client_cert("compute", KeyKind::Rsa);
//! assert!(leaf.key_pem_as(KeyEncoding::Pkcs1).starts_with("-----BEGIN RSA PRIVATE KEY-----"));
//! assert!(leaf.chain_pem().ends_with(&ca.cert_pem));
//! ```

mod der;
mod keys;
mod vectors;

use std::{
    sync::Arc,
    time::{SystemTime, UNIX_EPOCH},
};

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, RevocationReason,
    RevokedCertParams, SerialNumber, SignatureAlgorithm,
};
use rustls_pki_types::{
    CertificateDer, CertificateRevocationListDer, PrivateKeyDer, PrivatePkcs8KeyDer, pem::PemObject,
};

pub use der::pem;
pub use keys::RSA_KEY_SLOTS;
pub use vectors::{ENCRYPTED_LEGACY_KEY_PEM, ENCRYPTED_PKCS8_KEY_PEM};

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
    /// The serial number, random: certificates sharing one of the kit's RSA keys still differ.
    serial: SerialNumber,
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
        let serial = random_serial();
        params.serial_number = Some(serial.clone());
        let cert = params.self_signed(&key).expect("self-signed certificate");
        Leaf {
            kind: KeyKind::EcdsaP256,
            cert_pem: cert.pem(),
            cert_der: cert.der().clone(),
            // Its own issuer: the "chain" is the certificate twice, harmless for a server.
            ca_pem: cert.pem(),
            pkcs8_der: key.serialize_der(),
            serial,
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

    /// A certificate revocation list of this CA revoking `revoked` (certificates it issued),
    /// as an ingress loads one (nginx's `ssl_crl`); valid from 1975 to 4096.
    ///
    /// ```
    /// use region_client_testing::{Ca, KeyKind};
    ///
    /// let ca = Ca::new("clients-ca");
    /// let stolen = ca.client_cert("compute", KeyKind::EcdsaP256);
    /// let crl = ca.revocation_list(&[&stolen]);
    /// assert!(!crl.is_empty());
    /// ```
    pub fn revocation_list(&self, revoked: &[&Leaf]) -> CertificateRevocationListDer<'static> {
        let params = CertificateRevocationListParams {
            this_update: rcgen::date_time_ymd(1975, 1, 1),
            next_update: rcgen::date_time_ymd(4096, 1, 1),
            crl_number: random_serial(),
            issuing_distribution_point: None,
            revoked_certs: revoked
                .iter()
                .map(|leaf| RevokedCertParams {
                    serial_number: leaf.serial.clone(),
                    revocation_time: rcgen::date_time_ymd(2000, 1, 1),
                    reason_code: Some(RevocationReason::KeyCompromise),
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: rcgen::KeyIdMethod::Sha256,
        };
        params
            .signed_by(&self.issuer)
            .expect("a CA of the kit signs revocation lists")
            .into()
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
        let key = match kind {
            KeyKind::Rsa => rsa_key_pair(rsa_slot),
            _ => KeyPair::generate_for(kind.algorithm()).expect("a key pair of a supported kind"),
        };
        let hosts: Vec<String> = hosts.iter().map(|h| h.to_string()).collect();
        let mut params = CertificateParams::new(hosts).expect("params");
        params.distinguished_name = dn(name);
        params.extended_key_usages = vec![usage];
        let serial = random_serial();
        params.serial_number = Some(serial.clone());
        set_validity(&mut params, window);
        let cert = params.signed_by(&key, &self.issuer).expect("issue");
        Leaf {
            kind,
            cert_pem: cert.pem(),
            cert_der: cert.der().clone(),
            ca_pem: self.cert_pem.clone(),
            pkcs8_der: key.serialize_der(),
            serial,
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
            (KeyEncoding::Pkcs1, KeyKind::Rsa) => pem("RSA PRIVATE KEY", self.inner_key()),
            (KeyEncoding::Sec1, KeyKind::EcdsaP256 | KeyKind::EcdsaP384) => {
                pem("EC PRIVATE KEY", self.inner_key())
            }
            (encoding, kind) => panic!("a {kind:?} key cannot be written as {encoding:?}"),
        }
    }

    /// The key inside the PKCS#8 encoding (PKCS#1 for RSA, SEC1 for ECDSA).
    fn inner_key(&self) -> &[u8] {
        der::inner_key(&self.pkcs8_der).expect("rcgen serializes keys as PKCS#8 PrivateKeyInfo")
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
    dn.push(DnType::OrganizationName, "region-client-testing");
    dn
}

/// A random positive serial number (RFC 5280 allows up to 20 octets; 8 suffice here).
fn random_serial() -> SerialNumber {
    SerialNumber::from(rand::random::<u64>() >> 1 | 1)
}

/// The RSA key of `slot`, ready to sign certificates.
///
/// # Panics
/// When `slot` is not below [`RSA_KEY_SLOTS`].
fn rsa_key_pair(slot: usize) -> KeyPair {
    let Some(pem) = keys::RSA_KEYS.get(slot) else {
        panic!(
            "RSA key slot {slot} does not exist: the kit carries {RSA_KEY_SLOTS} RSA keys (slots 0 to {})",
            RSA_KEY_SLOTS - 1
        );
    };
    let der = PrivatePkcs8KeyDer::from_pem_slice(pem.as_bytes())
        .expect("the kit's RSA keys are PKCS#8 PEM");
    KeyPair::from_pkcs8_der_and_sign_algo(&der, KeyKind::Rsa.algorithm())
        .expect("the kit's RSA keys load in rcgen")
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

    #[test]
    fn each_rsa_slot_is_its_own_2048_bit_key() {
        let ca = Ca::new("test-ca");
        let keys: Vec<String> = (0..RSA_KEY_SLOTS)
            .map(|slot| ca.client_cert_rsa("client", slot).key_pem())
            .collect();
        for (slot, key) in keys.iter().enumerate() {
            assert_eq!(
                keys.iter().filter(|other| *other == key).count(),
                1,
                "slot {slot}"
            );
            let der = PrivatePkcs8KeyDer::from_pem_slice(key.as_bytes()).unwrap();
            // A 2048-bit modulus makes a PKCS#8 key of about 1.2 KB.
            assert!(
                (1100..1300).contains(&der.secret_pkcs8_der().len()),
                "slot {slot}"
            );
        }
        assert_eq!(ca.client_cert("client", KeyKind::Rsa).key_pem(), keys[0]);
    }

    #[test]
    #[should_panic(expected = "RSA key slot 4 does not exist")]
    fn a_slot_out_of_range_says_so() {
        Ca::new("test-ca").client_cert_rsa("client", RSA_KEY_SLOTS);
    }
}
