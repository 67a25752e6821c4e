//! PEM text to certificates and private keys: the one home of the rules `tls.crt` and `tls.key`
//! are read by. Public, without Kubernetes, through [`crate::tls`].
//!
//! Decoding is rustls-pki-types' ([`PemObject`]). This module adds what it leaves to callers:
//! refusing what it skips without a word (blocks of other labels, data after the last block, an
//! `-----END` line without its `-----BEGIN`), telling an encrypted key from a missing one, and
//! checking that every certificate is X.509 DER with a validity window.
//!
//! Work is linear in the input and nothing here panics, whatever the bytes: these functions are
//! fuzz targets.

use std::{
    fmt,
    ops::Range,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use rustls_pki_types::{
    CertificateDer, PrivateKeyDer,
    pem::{self, PemObject, ReadIter, SectionKind},
};
use x509_parser::{certificate::X509Certificate, prelude::FromDer, time::ASN1Time};

const BEGIN: &[u8] = b"-----BEGIN ";
const END: &[u8] = b"-----END ";
/// The label of an encrypted PKCS#8 key (RFC 5958), which pki-types does not decode.
const ENCRYPTED_PKCS8_LABEL: &str = "ENCRYPTED PRIVATE KEY";
/// The header OpenSSL's legacy ("traditional") key encryption writes inside the block.
const PROC_TYPE: &[u8] = b"Proc-Type:";
/// Labels taken from the input are cut to this many characters in errors.
const MAX_LABEL_CHARS: usize = 64;

/// When a certificate may be used: from `notBefore` to `notAfter`, both included, to the second.
///
/// Displays as `notBefore 2025-01-01T00:00:00Z, notAfter 2026-01-01T00:00:00Z` (RFC 3339, UTC).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Validity {
    /// Seconds since the Unix epoch, as certificates count them (16 bytes in all, where two
    /// `SystemTime`s take 32: this travels inside every error about it).
    not_before: i64,
    not_after: i64,
}

impl Validity {
    /// The window from `not_before` to `not_after`, rounded down to whole seconds.
    pub fn new(not_before: SystemTime, not_after: SystemTime) -> Self {
        Self {
            not_before: unix_seconds(not_before),
            not_after: unix_seconds(not_after),
        }
    }

    /// The certificate's `notBefore`.
    pub fn not_before(&self) -> SystemTime {
        // Representable: certificates whose dates are not are refused when read.
        system_time(self.not_before).unwrap_or(UNIX_EPOCH)
    }

    /// The certificate's `notAfter`.
    pub fn not_after(&self) -> SystemTime {
        system_time(self.not_after).unwrap_or(UNIX_EPOCH)
    }

    /// Whether the certificate may be used at `at`: `notBefore <= at <= notAfter`, compared in
    /// whole seconds as rustls-webpki does.
    pub fn contains(&self, at: SystemTime) -> bool {
        self.check(at).is_ok()
    }

    /// Where `at` falls outside the window, if it does.
    pub(crate) fn check(&self, at: SystemTime) -> Result<(), OutsideValidity> {
        let at = unix_seconds(at);
        if at < self.not_before {
            Err(OutsideValidity::NotYetValid)
        } else if at > self.not_after {
            Err(OutsideValidity::Expired)
        } else {
            Ok(())
        }
    }
}

impl fmt::Display for Validity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "notBefore {}, notAfter {}",
            Rfc3339(self.not_before),
            Rfc3339(self.not_after)
        )
    }
}

impl fmt::Debug for Validity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Validity")
            .field("not_before", &format_args!("{}", Rfc3339(self.not_before)))
            .field("not_after", &format_args!("{}", Rfc3339(self.not_after)))
            .finish()
    }
}

/// Which side of its [`Validity`] a time falls on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OutsideValidity {
    /// Before `notBefore`.
    NotYetValid,
    /// After `notAfter`.
    Expired,
}

/// Seconds since the Unix epoch, displayed as RFC 3339 in UTC to the second
/// (`2025-01-31T12:00:00Z`).
struct Rfc3339(i64);

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let formatted = time::OffsetDateTime::from_unix_timestamp(self.0)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            });
        match formatted {
            Some(text) => f.write_str(&text),
            // Beyond year 9999: RFC 3339 cannot say it.
            None => write!(f, "{} seconds after 1970-01-01T00:00:00Z", self.0),
        }
    }
}

/// Whole seconds since the Unix epoch, rounded down; saturating.
fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => {
            let before = before.duration();
            let seconds = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
            // -1.5 s rounds down to -2 s.
            let seconds = seconds.saturating_add(i64::from(before.subsec_nanos() > 0));
            seconds.saturating_neg()
        }
    }
}

/// The time `seconds` after (or before, when negative) the Unix epoch, when the platform can
/// represent it.
fn system_time(seconds: i64) -> Option<SystemTime> {
    let offset = Duration::from_secs(seconds.unsigned_abs());
    if seconds >= 0 {
        UNIX_EPOCH.checked_add(offset)
    } else {
        UNIX_EPOCH.checked_sub(offset)
    }
}

/// Bytes that should be one X.509 certificate in DER are not.
#[derive(Clone, Debug, thiserror::Error)]
#[error(transparent)]
pub struct CertificateDerError(Box<DerProblem>);

impl From<DerProblem> for CertificateDerError {
    fn from(problem: DerProblem) -> Self {
        Self(Box::new(problem))
    }
}

#[derive(Clone, Debug, thiserror::Error)]
enum DerProblem {
    #[error(transparent)]
    X509(x509_parser::error::X509Error),
    #[error("{0} bytes follow the certificate")]
    TrailingBytes(usize),
    #[error("a validity date ({0} s from 1970) cannot be represented on this platform")]
    DateOutOfRange(i64),
}

/// The validity window of `der`, when `der` is one X.509 certificate and nothing more: the
/// window every check of this crate compares the clock with (a client certificate's leaf, a CA
/// Secret's certificates), to the second.
///
/// ```
/// # let leaf = region_client_testing::Ca::new("ca")
/// #     .client_cert("doc", region_client_testing::KeyKind::EcdsaP256);
/// # let der = leaf.cert_der.to_vec();
/// use std::time::SystemTime;
/// use core_client::tls::certificate_validity;
///
/// let validity = certificate_validity(&der).unwrap();
/// assert!(validity.contains(SystemTime::now()));
/// assert!(certificate_validity(b"not DER").is_err());
/// ```
pub fn certificate_validity(der: &[u8]) -> Result<Validity, CertificateDerError> {
    read_certificate(der).map(|(validity, _)| validity)
}

/// The validity window of `der`, and whether it can be a trust anchor: a CA certificate (a
/// basicConstraints extension with `cA` true; a certificate whose extensions cannot be read is
/// not one), or a self-issued one (a server's self-signed certificate, pinned as its own anchor,
/// which rustls accepts as Go does), when `der` is one X.509 certificate and nothing more.
fn read_certificate(der: &[u8]) -> Result<(Validity, bool), CertificateDerError> {
    let (rest, certificate) =
        X509Certificate::from_der(der).map_err(|error| DerProblem::X509(error.into()))?;
    if !rest.is_empty() {
        return Err(DerProblem::TrailingBytes(rest.len()).into());
    }
    let validity = certificate.validity();
    let seconds = |time: &ASN1Time| {
        let seconds = time.timestamp();
        match system_time(seconds) {
            Some(_) => Ok(seconds),
            None => Err(DerProblem::DateOutOfRange(seconds)),
        }
    };
    let validity = Validity {
        not_before: seconds(&validity.not_before)?,
        not_after: seconds(&validity.not_after)?,
    };
    let anchor =
        certificate.is_ca() || certificate.subject().as_raw() == certificate.issuer().as_raw();
    Ok((validity, anchor))
}

/// PEM text is not well formed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PemSyntaxError {
    /// A `-----BEGIN` line has no matching `-----END` line after it: the block was cut short or
    /// its last line deleted.
    #[error("\"-----BEGIN {label}-----\" has no matching END line")]
    MissingEnd {
        /// The block's label (at most 64 characters of it).
        label: String,
    },
    /// An `-----END` line has no `-----BEGIN` line before it: the start of a block was deleted.
    #[error("\"-----END {label}-----\" has no matching BEGIN line")]
    UnmatchedEnd {
        /// The label on the `-----END` line (at most 64 characters of it).
        label: String,
    },
    /// A line starts `-----BEGIN ` but does not end in five dashes: mistyped or cut.
    #[error("a -----BEGIN line does not end in \"-----\"")]
    MalformedBegin,
    /// The block cannot be decoded: a body that is not base64 (such as one with encryption
    /// headers), or a block of more than 256 MiB.
    #[error("the block cannot be decoded")]
    Undecodable(#[source] pem::Error),
}

/// PEM text could not be read as certificates.
///
/// The text must be one or more `CERTIFICATE` blocks. Text before a block is allowed
/// (explanatory text, RFC 7468 section 5.2, as `openssl x509 -text` or `openssl pkcs12` write
/// it); after the last block only whitespace is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CertificatePemError {
    /// There is no PEM block at all: the data is something else (DER, a path, a note).
    #[error("no PEM certificate")]
    NoCertificate,
    /// The text is not well-formed PEM at line `line` (counting from 1): a truncated block, a
    /// deleted `-----BEGIN` line, a body that is not base64.
    #[error("malformed PEM at line {line}")]
    Malformed {
        /// The line of the block (or of the `-----END` line) at fault.
        line: usize,
        /// What is wrong there.
        #[source]
        source: PemSyntaxError,
    },
    /// The block at `index` (counting PEM blocks from 0) is not a `CERTIFICATE` block: a private
    /// key, a CSR, an OpenSSL `TRUSTED CERTIFICATE`, ... in text that must hold certificates only.
    #[error("the PEM block at index {index} is {label:?}, not \"CERTIFICATE\"")]
    UnexpectedBlock {
        /// Its position among the PEM blocks, from 0.
        index: usize,
        /// Its label (at most 64 characters of it).
        label: String,
    },
    /// The `CERTIFICATE` block at `index` (counting from 0) does not hold an X.509 certificate
    /// in DER: it was corrupted, or something else was armoured under that label.
    #[error("the certificate at index {index} is not a valid X.509 certificate")]
    InvalidCertificate {
        /// Its position among the PEM blocks, from 0.
        index: usize,
        /// Why it is not one.
        #[source]
        source: CertificateDerError,
    },
    /// Something other than whitespace follows the last block, from line `line` (counting
    /// from 1): nothing legitimate does, so this is a block that lost its armour, a truncated
    /// paste or text added by mistake.
    #[error("unexpected data after the last PEM block, at line {line}")]
    TrailingData {
        /// Where it starts.
        line: usize,
    },
}

/// PEM text could not be read as a private key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrivateKeyPemError {
    /// There is no `PRIVATE KEY` (PKCS#8), `RSA PRIVATE KEY` (PKCS#1) or `EC PRIVATE KEY`
    /// (SEC1) block.
    #[error("no PEM private key (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)")]
    NoPrivateKey,
    /// The key is encrypted: an `ENCRYPTED PRIVATE KEY` block (PKCS#8 with a password), or a
    /// block with OpenSSL's `Proc-Type: 4,ENCRYPTED` header. Not supported, as nothing could
    /// supply the password: store the key unencrypted (e.g. `openssl pkcs8 -topk8 -nocrypt`).
    #[error("the private key is encrypted, which is not supported: store it unencrypted")]
    Encrypted,
    /// The text is not well-formed PEM at line `line` (counting from 1).
    #[error("malformed PEM at line {line}")]
    Malformed {
        /// The line of the block (or of the `-----END` line) at fault.
        line: usize,
        /// What is wrong there.
        #[source]
        source: PemSyntaxError,
    },
}

/// A certificate read from PEM, with its validity window and whether it can be a trust anchor.
pub(crate) struct ParsedCertificate {
    pub(crate) der: CertificateDer<'static>,
    pub(crate) validity: Validity,
    /// Whether it is a CA certificate (basicConstraints `cA` true) or self-issued.
    pub(crate) trust_anchor: bool,
}

/// Every certificate in `pem`, in order (leaf first, for a chain), each checked to be X.509 DER.
///
/// The text must be one or more `CERTIFICATE` blocks; text before a block is allowed
/// (explanatory text, RFC 7468 section 5.2, as `openssl x509 -text` or `openssl pkcs12` write
/// it), and only whitespace after the last one. Refused, each with its own
/// [`CertificatePemError`]: no block at all, a block of another label, a `CERTIFICATE` block
/// that is not an X.509 certificate, data after the last block, malformed PEM.
///
/// Validity dates are not checked here: see [`ClientIdentity::from_pem`](crate::tls::ClientIdentity::from_pem).
///
/// ```
/// use core_client::tls::{CertificatePemError, certificates_from_pem};
///
/// let error = certificates_from_pem(b"not PEM").unwrap_err();
/// assert!(matches!(error, CertificatePemError::NoCertificate));
/// ```
pub fn certificates_from_pem(
    pem: &[u8],
) -> Result<Vec<CertificateDer<'static>>, CertificatePemError> {
    Ok(parse_certificates(pem)?
        .into_iter()
        .map(|certificate| certificate.der)
        .collect())
}

/// The first private key in `pem`: PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`) or SEC1
/// (`EC PRIVATE KEY`). Other blocks and text before it are skipped.
///
/// An encrypted key gets its own error ([`PrivateKeyPemError::Encrypted`]), never "no key".
/// Whether the key is one rustls can sign with is checked by
/// [`ClientIdentity::new`](crate::tls::ClientIdentity::new).
pub fn private_key_from_pem(pem: &[u8]) -> Result<PrivateKeyDer<'static>, PrivateKeyPemError> {
    let mut blocks = Blocks::new(pem);
    loop {
        let (consumed, next) = blocks.next();
        if encrypted(pem, consumed.clone()) {
            return Err(PrivateKeyPemError::Encrypted);
        }
        match next {
            None => return Err(PrivateKeyPemError::NoPrivateKey),
            Some(Err(error)) => {
                let (line, source) = malformed(pem, consumed, error);
                return Err(PrivateKeyPemError::Malformed { line, source });
            }
            Some(Ok((kind, der))) => {
                if let Some(key) = PrivateKeyDer::from_pem(kind, der) {
                    return Ok(key);
                }
            }
        }
    }
}

/// [`certificates_from_pem`], keeping each certificate's validity window.
pub(crate) fn parse_certificates(
    pem: &[u8],
) -> Result<Vec<ParsedCertificate>, CertificatePemError> {
    let mut blocks = Blocks::new(pem);
    let mut chain = Vec::new();
    loop {
        let index = chain.len();
        let (consumed, next) = blocks.next();
        match next {
            None => {
                outside_blocks(pem, consumed.clone(), index)?;
                if chain.is_empty() {
                    return Err(CertificatePemError::NoCertificate);
                }
                let junk = pem
                    .get(consumed.clone())
                    .unwrap_or_default()
                    .iter()
                    .position(|byte| !byte.is_ascii_whitespace());
                return match junk {
                    Some(at) => Err(CertificatePemError::TrailingData {
                        line: line_number(pem, consumed.start + at),
                    }),
                    None => Ok(chain),
                };
            }
            Some(next) => {
                // What came before the block this step ended in; a broken block there (such
                // as one cut short by the next `-----BEGIN`) is the first fault.
                let begin = last_begin(pem, consumed.clone()).unwrap_or(consumed.start);
                outside_blocks(pem, consumed.start..begin, index)?;
                let (kind, der) = next.map_err(|error| {
                    let (line, source) = malformed(pem, consumed, error);
                    CertificatePemError::Malformed { line, source }
                })?;
                if kind != SectionKind::Certificate {
                    return Err(CertificatePemError::UnexpectedBlock {
                        index,
                        label: label(line_at(pem, begin)),
                    });
                }
                let (validity, trust_anchor) = read_certificate(&der)
                    .map_err(|source| CertificatePemError::InvalidCertificate { index, source })?;
                chain.push(ParsedCertificate {
                    der: CertificateDer::from(der),
                    validity,
                    trust_anchor,
                });
            }
        }
    }
}

/// Reads PEM text one block pki-types decodes at a time, saying which bytes each step consumed:
/// pki-types skips text outside blocks and blocks of labels it does not know without a word.
struct Blocks<'a> {
    input: &'a [u8],
    rest: &'a [u8],
}

type Section = (SectionKind, Vec<u8>);

impl<'a> Blocks<'a> {
    fn new(input: &'a [u8]) -> Self {
        Self { input, rest: input }
    }

    /// The next decoded block (`None` at the end), and the range of the input read to find it:
    /// any text and skipped blocks before it, then the block itself.
    fn next(&mut self) -> (Range<usize>, Option<Result<Section, pem::Error>>) {
        let start = self.input.len() - self.rest.len();
        let next = ReadIter::<_, Section>::new(&mut self.rest).next();
        (start..self.input.len() - self.rest.len(), next)
    }
}

/// Checks text outside blocks (before the block at `index`, or after the last one): a
/// `-----BEGIN`/`-----END` line there is a block pki-types skipped or a broken one.
fn outside_blocks(
    input: &[u8],
    range: Range<usize>,
    index: usize,
) -> Result<(), CertificatePemError> {
    let mut lines = lines(input, range);
    while let Some((at, line)) = lines.next() {
        if line.starts_with(BEGIN) {
            let wanted = label(line);
            let ended = lines.any(|(_, line)| line.starts_with(END) && label(line) == wanted);
            return Err(if ended {
                CertificatePemError::UnexpectedBlock {
                    index,
                    label: wanted,
                }
            } else {
                CertificatePemError::Malformed {
                    line: line_number(input, at),
                    source: PemSyntaxError::MissingEnd { label: wanted },
                }
            });
        }
        if line.starts_with(END) {
            return Err(CertificatePemError::Malformed {
                line: line_number(input, at),
                source: PemSyntaxError::UnmatchedEnd { label: label(line) },
            });
        }
    }
    Ok(())
}

/// Whether `input[range]` holds an encrypted key: an `ENCRYPTED PRIVATE KEY` block or OpenSSL's
/// `Proc-Type: 4,ENCRYPTED` header.
fn encrypted(input: &[u8], range: Range<usize>) -> bool {
    lines(input, range).any(|(_, line)| {
        (line.starts_with(BEGIN) && label(line) == ENCRYPTED_PKCS8_LABEL)
            || (line.starts_with(PROC_TYPE)
                && line.windows(b"ENCRYPTED".len()).any(|w| w == b"ENCRYPTED"))
    })
}

/// The line and description of a pki-types error met reading `input[range]`.
fn malformed(input: &[u8], range: Range<usize>, error: pem::Error) -> (usize, PemSyntaxError) {
    // The block at fault is the last one begun in what was read.
    let at = last_begin(input, range.clone()).unwrap_or(range.start);
    let source = match error {
        pem::Error::MissingSectionEnd { end_marker } => PemSyntaxError::MissingEnd {
            label: truncate_label(&end_marker),
        },
        // Its text would be the line as a list of numbers.
        pem::Error::IllegalSectionStart { .. } => PemSyntaxError::MalformedBegin,
        error => PemSyntaxError::Undecodable(error),
    };
    (line_number(input, at), source)
}

/// The lines of `input[range]` with their offsets in `input`, split where pki-types splits
/// them (at `\n` or `\r`).
fn lines(input: &[u8], range: Range<usize>) -> impl Iterator<Item = (usize, &[u8])> {
    let start = range.start;
    input
        .get(range)
        .unwrap_or_default()
        .split(|byte| *byte == b'\n' || *byte == b'\r')
        .scan(start, |offset, line| {
            let at = *offset;
            *offset += line.len() + 1;
            Some((at, line))
        })
}

/// The offset of the last `-----BEGIN` line in `input[range]`.
fn last_begin(input: &[u8], range: Range<usize>) -> Option<usize> {
    lines(input, range)
        .filter(|(_, line)| line.starts_with(BEGIN))
        .last()
        .map(|(at, _)| at)
}

/// The line starting at `offset`.
fn line_at(input: &[u8], offset: usize) -> &[u8] {
    let rest = input.get(offset..).unwrap_or_default();
    let end = rest
        .iter()
        .position(|byte| *byte == b'\n' || *byte == b'\r')
        .unwrap_or(rest.len());
    &rest[..end]
}

/// The line number (from 1) of `offset`, counting `\n`, `\r\n` and a lone `\r` as line ends,
/// as an editor does.
fn line_number(input: &[u8], offset: usize) -> usize {
    let before = input.get(..offset).unwrap_or(input);
    let breaks = before
        .iter()
        .enumerate()
        .filter(|&(i, byte)| *byte == b'\n' || (*byte == b'\r' && input.get(i + 1) != Some(&b'\n')))
        .count();
    breaks + 1
}

/// The label of a `-----BEGIN LABEL-----` or `-----END LABEL-----` line.
fn label(line: &[u8]) -> String {
    let rest = line
        .strip_prefix(BEGIN)
        .or_else(|| line.strip_prefix(END))
        .unwrap_or(line)
        .trim_ascii_end();
    truncate_label(rest.strip_suffix(b"-----").unwrap_or(rest))
}

fn truncate_label(label: &[u8]) -> String {
    String::from_utf8_lossy(label)
        .chars()
        .take(MAX_LABEL_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use region_client_testing::{Ca, KeyKind, pki};

    fn seconds(s: i64) -> SystemTime {
        system_time(s).unwrap()
    }

    /// 2020-01-01T00:00:00Z and 2021-01-01T00:00:00Z.
    const JAN_2020: i64 = 1_577_836_800;
    const JAN_2021: i64 = 1_609_459_200;

    fn chain() -> (Ca, region_client_testing::Leaf) {
        let ca = Ca::new("pem-test-ca");
        let leaf = ca.client_cert("pem-test", KeyKind::EcdsaP256);
        (ca, leaf)
    }

    #[test]
    fn reads_a_chain_in_order_with_crlf_and_explanatory_text() {
        let (ca, leaf) = chain();
        let text = format!(
            "Bag Attributes\n    friendlyName: leaf\nsubject=CN=pem-test\n{}\nissuer: CA\n{}\n\n",
            leaf.cert_pem, ca.cert_pem
        )
        .replace('\n', "\r\n");
        let certs = certificates_from_pem(text.as_bytes()).unwrap();
        assert_eq!(certs, vec![leaf.cert_der.clone(), ca.cert_der.clone()]);
    }

    #[test]
    fn no_block_is_no_certificate() {
        for text in [
            &b""[..],
            b"   \n",
            b"this is not a certificate",
            b"\x30\x82\x01\x00",
        ] {
            assert!(
                matches!(
                    certificates_from_pem(text),
                    Err(CertificatePemError::NoCertificate)
                ),
                "{text:?}"
            );
        }
    }

    #[test]
    fn garbage_der_names_its_index() {
        let (ca, leaf) = chain();
        let garbage = pki::pem("CERTIFICATE", b"not DER at all");
        for (text, expected) in [
            (garbage.clone(), 0),
            (format!("{}{garbage}", leaf.cert_pem), 1),
            (format!("{}{}{garbage}", leaf.cert_pem, ca.cert_pem), 2),
        ] {
            match certificates_from_pem(text.as_bytes()) {
                Err(CertificatePemError::InvalidCertificate { index, .. }) => {
                    assert_eq!(index, expected)
                }
                other => panic!("{other:?}"),
            }
        }
        // A certificate followed by extra DER inside one block is not one certificate.
        let mut padded = leaf.cert_der.to_vec();
        padded.extend_from_slice(&[0, 0]);
        let error = certificates_from_pem(pki::pem("CERTIFICATE", &padded).as_bytes()).unwrap_err();
        assert!(
            matches!(
                error,
                CertificatePemError::InvalidCertificate { index: 0, .. }
            ),
            "{error:?}"
        );
        assert_eq!(
            std::error::Error::source(&error).unwrap().to_string(),
            "2 bytes follow the certificate"
        );
    }

    #[test]
    fn blocks_of_other_labels_are_refused_with_their_label() {
        let (_, leaf) = chain();
        for (label, body) in [
            ("PRIVATE KEY", b"key".as_slice()),
            ("X509 CRL", b"crl"),
            ("TRUSTED CERTIFICATE", b"openssl aux"),
            ("PKCS7", b"bundle"),
        ] {
            let block = pki::pem(label, body);
            for (text, index) in [
                (format!("{}{block}", leaf.cert_pem), 1),
                (format!("{block}{}", leaf.cert_pem), 0),
            ] {
                match certificates_from_pem(text.as_bytes()) {
                    Err(CertificatePemError::UnexpectedBlock { index: i, label: l }) => {
                        assert_eq!((i, l.as_str()), (index, label))
                    }
                    other => panic!("{label} at {index}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn data_after_the_last_block_is_refused_with_its_line() {
        let (_, leaf) = chain();
        let lines = leaf.cert_pem.lines().count();
        for junk in ["junk", "\n\nMIIBkTCB+wIJ", "-----END CERTIFICATE-----\n"] {
            let text = format!("{}{junk}", leaf.cert_pem);
            let error = certificates_from_pem(text.as_bytes()).unwrap_err();
            let line = match &error {
                CertificatePemError::TrailingData { line } => *line,
                CertificatePemError::Malformed {
                    line,
                    source: PemSyntaxError::UnmatchedEnd { .. },
                } => *line,
                other => panic!("{junk:?}: {other:?}"),
            };
            let expected = lines
                + 1
                + junk
                    .find(|c: char| !c.is_whitespace())
                    .map_or(0, |at| junk[..at].matches('\n').count());
            assert_eq!(line, expected, "{junk:?}");
        }
        // Whitespace is not data.
        let text = format!("{} \t\r\n\n", leaf.cert_pem);
        assert_eq!(certificates_from_pem(text.as_bytes()).unwrap().len(), 1);
    }

    #[test]
    fn broken_armour_is_malformed() {
        let (ca, leaf) = chain();
        let truncated = &leaf.cert_pem[..leaf.cert_pem.len() / 2];
        let no_begin = leaf
            .cert_pem
            .replacen("-----BEGIN CERTIFICATE-----\n", "", 1);
        let cases = [
            (format!("{}{truncated}", ca.cert_pem), "MissingEnd"),
            (format!("{truncated}\n{}", ca.cert_pem), "MissingEnd"),
            (format!("{no_begin}{}", ca.cert_pem), "UnmatchedEnd"),
            (
                leaf.cert_pem
                    .replace("-----BEGIN CERTIFICATE-----", "-----BEGIN CERTIFICATE---"),
                "MalformedBegin",
            ),
            (leaf.cert_pem.replacen("\nMII", "\n%MII", 1), "Undecodable"),
        ];
        for (text, expected) in cases {
            match certificates_from_pem(text.as_bytes()) {
                Err(CertificatePemError::Malformed { source, .. }) => {
                    assert!(format!("{source:?}").starts_with(expected), "{source:?}")
                }
                other => panic!("{expected}: {other:?}"),
            }
        }
    }

    #[test]
    fn keys_in_every_encoding_and_encrypted_ones() {
        let leaf = Ca::new("keys").client_cert("k", KeyKind::EcdsaP256);
        for encoding in KeyKind::EcdsaP256.encodings() {
            let pem = leaf.key_pem_as(*encoding);
            let with_text = format!("a certificate first:\n{}{pem}", leaf.cert_pem);
            for text in [pem.as_str(), &with_text] {
                private_key_from_pem(text.as_bytes()).unwrap();
            }
        }
        for text in [pki::ENCRYPTED_PKCS8_KEY_PEM, pki::ENCRYPTED_LEGACY_KEY_PEM] {
            assert!(
                matches!(
                    private_key_from_pem(text.as_bytes()),
                    Err(PrivateKeyPemError::Encrypted)
                ),
                "{text}"
            );
        }
        for text in ["", "garbage", &leaf.cert_pem] {
            assert!(
                matches!(
                    private_key_from_pem(text.as_bytes()),
                    Err(PrivateKeyPemError::NoPrivateKey)
                ),
                "{text:?}"
            );
        }
        let truncated = &leaf.key_pem()[..40];
        assert!(matches!(
            private_key_from_pem(truncated.as_bytes()),
            Err(PrivateKeyPemError::Malformed {
                line: 1,
                source: PemSyntaxError::MissingEnd { .. }
            })
        ));
    }

    #[test]
    fn validity_is_read_and_checked_to_the_second() {
        let ca = Ca::new("validity");
        let leaf = ca.client_cert_valid_between(
            "dated",
            KeyKind::EcdsaP256,
            seconds(JAN_2020),
            seconds(JAN_2021),
        );
        let parsed = parse_certificates(leaf.cert_pem.as_bytes()).unwrap();
        let validity = parsed[0].validity;
        assert_eq!(validity.not_before(), seconds(JAN_2020));
        assert_eq!(validity.not_after(), seconds(JAN_2021));
        assert_eq!(
            validity,
            Validity::new(
                seconds(JAN_2020),
                seconds(JAN_2021) + Duration::from_millis(999)
            )
        );
        assert_eq!(
            format!("{validity:?}"),
            "Validity { not_before: 2020-01-01T00:00:00Z, not_after: 2021-01-01T00:00:00Z }"
        );
        assert_eq!(
            validity.to_string(),
            "notBefore 2020-01-01T00:00:00Z, notAfter 2021-01-01T00:00:00Z"
        );
        let at = |s: i64| validity.check(seconds(s));
        assert_eq!(at(JAN_2020 - 1), Err(OutsideValidity::NotYetValid));
        assert_eq!(at(JAN_2020), Ok(()));
        assert_eq!(at(JAN_2021), Ok(()));
        assert_eq!(
            validity.check(seconds(JAN_2021) + Duration::from_millis(999)),
            Ok(())
        );
        assert_eq!(at(JAN_2021 + 1), Err(OutsideValidity::Expired));
    }

    #[test]
    fn times_print_as_rfc3339_even_out_of_range() {
        let window = |from: SystemTime, to: SystemTime| Validity::new(from, to).to_string();
        assert_eq!(
            window(seconds(-1), seconds(0) - Duration::from_millis(1)),
            "notBefore 1969-12-31T23:59:59Z, notAfter 1969-12-31T23:59:59Z"
        );
        assert_eq!(
            window(seconds(JAN_2020), seconds(400_000_000_000)),
            "notBefore 2020-01-01T00:00:00Z, notAfter 400000000000 seconds after \
             1970-01-01T00:00:00Z"
        );
    }

    /// Every prefix of a real chain and key, and many corruptions of them: no panic, and what
    /// is accepted is what the whole input holds.
    #[test]
    fn never_panics_on_truncated_or_corrupted_input() {
        let (_, leaf) = chain();
        let text = format!("subject=x\n{}{}", leaf.chain_pem(), leaf.key_pem());
        let bytes = text.as_bytes();
        let full = certificates_from_pem(leaf.chain_pem().as_bytes()).unwrap();
        for end in 0..=bytes.len() {
            if let Ok(certs) = certificates_from_pem(&bytes[..end]) {
                assert!(full.starts_with(&certs), "prefix of {end} bytes");
            }
            let _ = private_key_from_pem(&bytes[..end]);
        }
        // A small xorshift: deterministic, no dependency.
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut random = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet = b"-\r\n BEGINDCRTFAPVKY=+/ABab019";
        for _ in 0..2000 {
            let mut mutated = bytes.to_vec();
            for _ in 0..(random() % 4 + 1) {
                let at = (random() % mutated.len() as u64) as usize;
                mutated[at] = alphabet[(random() % alphabet.len() as u64) as usize];
            }
            let _ = certificates_from_pem(&mutated);
            let _ = private_key_from_pem(&mutated);
        }
        for text in [
            &b"-----BEGIN "[..],
            b"-----BEGIN -----\n-----END -----",
            b"-----END ",
            b"\r\r\r-----BEGIN X-----\r-----END X-----\r",
            b"-----BEGIN CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\n",
            b"\xff\xfe-----BEGIN \xff-----\n\xff\n-----END \xff-----\n",
        ] {
            let _ = certificates_from_pem(text);
            let _ = private_key_from_pem(text);
        }
    }
}
