//! What the doctor says about certificates: their names (subject, issuer, subjectAltNames) as
//! people read them, and the raw names the TLS handshake compares.

use x509_parser::{
    certificate::X509Certificate, extensions::GeneralName, prelude::FromDer, x509::X509Name,
};

/// The names of one certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Names {
    /// The subject, e.g. `CN=compute, O=region-client-testing`.
    pub(crate) subject: String,
    /// The issuer.
    pub(crate) issuer: String,
    /// The subject's DER encoding (an X.501 `Name`, with its SEQUENCE header).
    pub(crate) subject_der: Vec<u8>,
    /// The issuer's DER encoding.
    pub(crate) issuer_der: Vec<u8>,
    /// The subjectAltNames, e.g. `DNS:region.example.com`, `IP:127.0.0.1`.
    pub(crate) alt_names: Vec<String>,
}

/// The names of the certificate `der`, when it parses.
pub(crate) fn names(der: &[u8]) -> Option<Names> {
    let (_, certificate) = X509Certificate::from_der(der).ok()?;
    let alt_names = certificate
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|extension| extension.value.general_names.iter().map(alt_name).collect())
        .unwrap_or_default();
    Some(Names {
        subject: certificate.subject().to_string(),
        issuer: certificate.issuer().to_string(),
        subject_der: certificate.subject().as_raw().to_vec(),
        issuer_der: certificate.issuer().as_raw().to_vec(),
        alt_names,
    })
}

/// A distinguished name's DER encoding (as the TLS handshake lists acceptable CAs) as people
/// read it; the hex of what does not parse.
pub(crate) fn distinguished_name(der: &[u8]) -> String {
    match X509Name::from_der(der) {
        Ok((_, name)) => name.to_string(),
        Err(_) => der.iter().map(|b| format!("{b:02x}")).collect(),
    }
}

fn alt_name(name: &GeneralName<'_>) -> String {
    match name {
        GeneralName::DNSName(dns) => format!("DNS:{dns}"),
        GeneralName::IPAddress(bytes) => match <[u8; 4]>::try_from(*bytes) {
            Ok(v4) => format!("IP:{}", std::net::Ipv4Addr::from(v4)),
            Err(_) => match <[u8; 16]>::try_from(*bytes) {
                Ok(v6) => format!("IP:{}", std::net::Ipv6Addr::from(v6)),
                Err(_) => "IP:?".to_owned(),
            },
        },
        other => other.to_string(),
    }
}
