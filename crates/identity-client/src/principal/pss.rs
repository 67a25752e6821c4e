//! RSASSA-PSS SHA-512 verification that accepts any salt length, as Go's
//! `rsa.VerifyPSS(key, crypto.SHA512, digest, signature, nil)` does (RFC 8017 §9.1.2 with the
//! salt length recovered from the encoded message).
//!
//! `ring` verifies PSS only with the salt as long as the hash; the platform's verifier accepts
//! any, so a receiver built on `ring` alone would refuse signatures the platform accepts.

use ring::digest::{Context, SHA512, SHA512_OUTPUT_LEN, digest};
use rsa::{BigUint, RsaPublicKey, traits::PublicKeyParts};

/// The smallest RSA modulus accepted, as Go's `crypto/rsa` (since Go 1.24).
pub(crate) const MIN_MODULUS_BITS: usize = 1024;
/// The largest RSA modulus accepted.
pub(crate) const MAX_MODULUS_BITS: usize = 16384;

/// Whether `signature` is a valid RSASSA-PSS SHA-512 (MGF1 SHA-512) signature of `message`
/// by `key`, whatever its salt length.
pub(crate) fn verify_sha512_any_salt(key: &RsaPublicKey, message: &[u8], signature: &[u8]) -> bool {
    let k = key.size();
    if signature.len() != k {
        return false;
    }
    let s = BigUint::from_bytes_be(signature);
    if &s >= key.n() {
        return false;
    }
    let Ok(m) = rsa::hazmat::rsa_encrypt(key, &s) else {
        return false;
    };
    let em_bits = key.n().bits() - 1;
    let em_len = em_bits.div_ceil(8);
    let bytes = m.to_bytes_be();
    if bytes.len() > em_len {
        // EM has em_len bytes; a longer m (possible when the modulus has 8n + 1 bits) is
        // inconsistent, as Go also decides.
        return false;
    }
    let mut em = vec![0u8; em_len];
    em[em_len - bytes.len()..].copy_from_slice(&bytes);
    let m_hash = digest(&SHA512, message);
    emsa_pss_verify(m_hash.as_ref(), &mut em, em_bits)
}

/// EMSA-PSS-VERIFY (RFC 8017 §9.1.2) for SHA-512, recovering the salt length.
fn emsa_pss_verify(m_hash: &[u8], em: &mut [u8], em_bits: usize) -> bool {
    let h_len = SHA512_OUTPUT_LEN;
    let em_len = em.len();
    // Steps 3 and 4: room for the hash, the 0x01 separator and the trailer; trailer 0xbc.
    if em_len < h_len + 2 || em[em_len - 1] != 0xbc {
        return false;
    }
    // Step 5: maskedDB || H || 0xbc.
    let (masked_db, rest) = em.split_at_mut(em_len - h_len - 1);
    let h = &rest[..h_len];
    // Step 6: the bits above em_bits must be zero.
    let unused_bits = 8 * em_len - em_bits;
    let top_mask = 0xffu8 >> unused_bits;
    if masked_db[0] & !top_mask != 0 {
        return false;
    }
    // Steps 7 to 9: DB = maskedDB xor MGF1(H), top bits cleared.
    mgf1_xor(masked_db, h);
    let db = masked_db;
    db[0] &= top_mask;
    // Step 10 with the salt length recovered: zeros, then 0x01, then the salt.
    let Some(separator) = db.iter().position(|&b| b != 0) else {
        return false;
    };
    if db[separator] != 0x01 {
        return false;
    }
    let salt = &db[separator + 1..];
    // Steps 12 to 14: H' = Hash(0x00 * 8 || mHash || salt) must equal H.
    let mut context = Context::new(&SHA512);
    context.update(&[0u8; 8]);
    context.update(m_hash);
    context.update(salt);
    context.finish().as_ref() == h
}

/// `data ^= MGF1-SHA-512(seed, data.len())`.
fn mgf1_xor(data: &mut [u8], seed: &[u8]) {
    for (counter, chunk) in data.chunks_mut(SHA512_OUTPUT_LEN).enumerate() {
        let mut context = Context::new(&SHA512);
        context.update(seed);
        // RFC 8017 B.2.1: the counter is four big-endian bytes; a chunk count never exceeds
        // the 2^32 limit for the modulus sizes accepted.
        context.update(&(counter as u32).to_be_bytes());
        for (byte, mask) in chunk.iter_mut().zip(context.finish().as_ref()) {
            *byte ^= mask;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::{RsaPrivateKey, pss::SigningKey, signature::RandomizedSigner};

    fn key() -> RsaPrivateKey {
        let mut rng = rand::thread_rng();
        RsaPrivateKey::new(&mut rng, 2048).unwrap()
    }

    #[test]
    fn accepts_every_salt_length_and_refuses_tampering() {
        let private = key();
        let public = private.to_public_key();
        let message = b"eyJhbGciOiJQUzUxMiJ9.e30";
        let max_salt = public.size() - SHA512_OUTPUT_LEN - 2;
        for salt in [0, 20, 32, 64, max_salt] {
            let signer = SigningKey::<sha2::Sha512>::new_with_salt_len(private.clone(), salt);
            let signature: Box<[u8]> = signer
                .sign_with_rng(&mut rand::thread_rng(), message)
                .into();
            assert!(
                verify_sha512_any_salt(&public, message, &signature),
                "salt {salt}"
            );
            assert!(!verify_sha512_any_salt(&public, b"other", &signature));
            let mut tampered = signature.to_vec();
            tampered[10] ^= 1;
            assert!(!verify_sha512_any_salt(&public, message, &tampered));
            assert!(!verify_sha512_any_salt(&public, message, &signature[1..]));
        }
        let other = key().to_public_key();
        let signer = SigningKey::<sha2::Sha512>::new(private);
        let signature: Box<[u8]> = signer
            .sign_with_rng(&mut rand::thread_rng(), message)
            .into();
        assert!(!verify_sha512_any_salt(&other, message, &signature));
    }
}
