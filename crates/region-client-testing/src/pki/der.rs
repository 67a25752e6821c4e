//! The little DER and PEM the PKI needs beyond rcgen: PEM armour, and the private key inside
//! a PKCS#8 `PrivateKeyInfo` (the PKCS#1 `RSAPrivateKey` or SEC1 `ECPrivateKey` it wraps).

use base64::Engine;

/// PEM-armours `der` under `label` (RFC 7468: base64 in lines of 64 characters).
///
/// ```
/// # use region_client_testing::pki::pem;
/// assert_eq!(pem("DATA", b"abc"), "-----BEGIN DATA-----\nYWJj\n-----END DATA-----\n");
/// ```
pub fn pem(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    let mut rest = body.as_str();
    while !rest.is_empty() {
        // Base64 is ASCII: any index is a character boundary.
        let (line, after) = rest.split_at(rest.len().min(64));
        out.push_str(line);
        out.push('\n');
        rest = after;
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// One DER TLV at the start of `input`: (tag, contents, rest); `None` when it does not fit.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, input) = input.split_first()?;
    let (&first, input) = input.split_first()?;
    let (len, input) = match first {
        short if short < 0x80 => (usize::from(short), input),
        0x81 => {
            let (&len, input) = input.split_first()?;
            (usize::from(len), input)
        }
        0x82 => {
            let (len, input) = input.split_at_checked(2)?;
            (usize::from(len[0]) << 8 | usize::from(len[1]), input)
        }
        _ => return None,
    };
    let (contents, rest) = input.split_at_checked(len)?;
    Some((tag, contents, rest))
}

/// The key inside a PKCS#8 `PrivateKeyInfo`: the contents of its `privateKey` OCTET STRING,
/// i.e. the PKCS#1 `RSAPrivateKey` of an RSA key or the SEC1 `ECPrivateKey` of an EC key.
/// `None` when `pkcs8` is not a `PrivateKeyInfo`.
pub(super) fn inner_key(pkcs8: &[u8]) -> Option<&[u8]> {
    const SEQUENCE: u8 = 0x30;
    const OCTET_STRING: u8 = 0x04;
    let (SEQUENCE, info, _) = tlv(pkcs8)? else {
        return None;
    };
    let (_, _version, rest) = tlv(info)?;
    let (_, _algorithm, rest) = tlv(rest)?;
    match tlv(rest)? {
        (OCTET_STRING, key, _) => Some(key),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_truncated_or_foreign_structure_is_none_not_a_panic() {
        assert_eq!(inner_key(&[]), None);
        assert_eq!(inner_key(&[0x30]), None);
        assert_eq!(inner_key(&[0x30, 0x82, 0xff]), None);
        assert_eq!(inner_key(&[0x04, 0x00]), None);
        // SEQUENCE { INTEGER 0, SEQUENCE {}, OCTET STRING "k" }
        assert_eq!(
            inner_key(&[0x30, 0x08, 0x02, 0x01, 0x00, 0x30, 0x00, 0x04, 0x01, b'k']),
            Some(&b"k"[..])
        );
    }

    #[test]
    fn pem_lines_are_64_characters() {
        let armoured = pem("X", &[0u8; 100]);
        let lines: Vec<&str> = armoured.lines().collect();
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines.first(), Some(&"-----BEGIN X-----"));
        assert_eq!(lines.last(), Some(&"-----END X-----"));
    }
}
