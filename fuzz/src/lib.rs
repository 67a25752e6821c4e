//! Shared parts of the fuzz targets in `fuzz_targets/`: their structured inputs, the fixed
//! test material, the seed encoder and the checks several targets make.
//!
//! See `README.md` for the targets and how to run them.

pub mod inputs;
pub mod seed;

/// Fixed test material, generated once with `openssl req -x509 -newkey ...` (see `README.md`);
/// throwaway keys that protect nothing.
pub mod fixtures {
    /// A self-signed RSA-2048 certificate, subject `O=fuzz fixture, CN=compute`, DER.
    pub const RSA_CERT_DER: &[u8] = include_bytes!("../fixtures/rsa-2048.crt.der");
    /// The same certificate, PEM.
    pub const RSA_CERT_PEM: &[u8] = include_bytes!("../fixtures/rsa-2048.crt.pem");
    /// Its private key, PKCS#8 PEM.
    pub const RSA_KEY_PEM: &[u8] = include_bytes!("../fixtures/rsa-2048.key.pem");
    /// A self-signed ECDSA P-256 certificate, subject `O=fuzz fixture, CN=network`, DER.
    pub const ECDSA_CERT_DER: &[u8] = include_bytes!("../fixtures/ecdsa-p256.crt.der");
    /// The same certificate, PEM.
    pub const ECDSA_CERT_PEM: &[u8] = include_bytes!("../fixtures/ecdsa-p256.crt.pem");
    /// Its private key, PKCS#8 PEM.
    pub const ECDSA_KEY_PEM: &[u8] = include_bytes!("../fixtures/ecdsa-p256.key.pem");
}
