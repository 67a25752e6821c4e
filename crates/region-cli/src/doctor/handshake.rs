//! The host checks below HTTP: `region.dns`, `region.tcp`, `region.tls`,
//! `region.server-certificate` and `region.client-ca`.
//!
//! One TLS handshake is made with core-client's own client configuration (TLS 1.3 only, the
//! roots of the CA Secret, the client certificate): its verdicts are the library's. Two
//! watchers are put around its parts to see what the server did: the server's certificate
//! chain (around core-client's verifier, whose decision stands), and the CA names of the
//! server's `CertificateRequest` (rustls hands them to the client-certificate resolver as
//! `root_hint_subjects`), which say which CAs the ingress accepts client certificates from.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use core_client::tls::{self, Roots};
use rustls::{
    DigitallySignedStruct, SignatureScheme,
    client::{
        ResolvesClientCert, WebPkiServerVerifier,
        danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    },
    sign::CertifiedKey,
};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use tokio::net::TcpStream;

use super::{
    catalogue::{
        REGION_CLIENT_CA, REGION_DNS, REGION_SERVER_CERTIFICATE, REGION_TCP, REGION_TLS, Spec,
    },
    hints,
    report::Report,
    secrets::ClientCertificate,
    x509,
};

/// How long each of resolving, connecting and the handshake may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The host of `--region-host`.
pub(super) struct Target {
    /// The name or address, without brackets.
    host: String,
    port: u16,
}

/// What the server did in the handshake.
#[derive(Debug, Default)]
struct Seen {
    /// The chain the server presented, leaf first, and core-client's verdict on it.
    server: Option<(Vec<CertificateDer<'static>>, Result<(), rustls::Error>)>,
    /// The CA names of the server's `CertificateRequest`; `None` when it asked for no
    /// client certificate.
    acceptable_cas: Option<Vec<Vec<u8>>>,
}

/// Watches core-client's server certificate verifier: records what it was given and what it
/// decided, and decides nothing itself.
#[derive(Debug)]
struct WatchVerifier {
    inner: Arc<WebPkiServerVerifier>,
    seen: Arc<Mutex<Seen>>,
}

impl ServerCertVerifier for WatchVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        let chain = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.clone().into_owned())
            .collect();
        lock(&self.seen).server = Some((chain, verdict.as_ref().map(drop).map_err(Clone::clone)));
        verdict
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Watches core-client's client-certificate resolver: records the CAs the server named.
#[derive(Debug)]
struct WatchResolver {
    inner: Arc<dyn ResolvesClientCert>,
    seen: Arc<Mutex<Seen>>,
}

impl ResolvesClientCert for WatchResolver {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        lock(&self.seen).acceptable_cas = Some(
            root_hint_subjects
                .iter()
                .map(|name| name.to_vec())
                .collect(),
        );
        self.inner.resolve(root_hint_subjects, sigschemes)
    }

    fn has_certs(&self) -> bool {
        self.inner.has_certs()
    }
}

fn lock(seen: &Mutex<Seen>) -> std::sync::MutexGuard<'_, Seen> {
    // A poisoned lock only means a panic while recording; what is there is whole.
    match seen.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// `region.dns`: the host of `region_host`, resolved.
pub(super) async fn resolve(
    report: &mut Report,
    region_host: &str,
) -> Option<(Target, Vec<SocketAddr>)> {
    let target = match target(region_host) {
        Ok(target) => target,
        Err(why) => {
            report.fail(REGION_DNS, hints::bad_host(region_host, why));
            return None;
        }
    };
    let lookup = tokio::time::timeout(
        TIMEOUT,
        tokio::net::lookup_host((target.host.clone(), target.port)),
    )
    .await
    .unwrap_or_else(|_| {
        Err(std::io::Error::other(format!(
            "no answer within {TIMEOUT:?}"
        )))
    });
    match lookup {
        Ok(addresses) => {
            let addresses: Vec<SocketAddr> = addresses.collect();
            let shown: Vec<String> = addresses.iter().map(|a| a.ip().to_string()).collect();
            let message = if target.host.parse::<std::net::IpAddr>().is_ok() {
                format!("{} is an address", target.host)
            } else {
                format!("{} resolves to {}", target.host, shown.join(", "))
            };
            report.pass(REGION_DNS, message);
            Some((target, addresses))
        }
        Err(error) => {
            report.fail(REGION_DNS, hints::dns(&target.host, &error));
            None
        }
    }
}

/// The host and port of an `https://` URL.
fn target(region_host: &str) -> Result<Target, &'static str> {
    if region_host.is_empty() {
        return Err("is empty");
    }
    let uri: http::Uri = region_host.parse().map_err(|_| "is not a URL")?;
    if uri.scheme() != Some(&http::uri::Scheme::HTTPS) {
        return Err("is not an https:// URL");
    }
    let host = uri.host().ok_or("has no host")?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    Ok(Target {
        host,
        port: uri.port_u16().unwrap_or(443),
    })
}

/// `region.tcp`: a connection to the first address that accepts one.
pub(super) async fn connect(report: &mut Report, addresses: &[SocketAddr]) -> Option<TcpStream> {
    let mut failures = Vec::new();
    for address in addresses {
        match tokio::time::timeout(TIMEOUT, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => {
                report.pass(REGION_TCP, format!("connected to {address}"));
                return Some(stream);
            }
            Ok(Err(error)) => failures.push(format!("{address}: {error}")),
            Err(_) => failures.push(format!("{address}: no answer within {TIMEOUT:?}")),
        }
    }
    if failures.is_empty() {
        failures.push("the name has no address".to_owned());
    }
    report.fail(REGION_TCP, hints::tcp(&failures));
    None
}

/// What the handshake established, for the checks after it.
pub(super) struct Handshake {
    /// Whether the handshake completed (the server's certificate verified).
    pub(super) completed: bool,
    /// The CA names the server's `CertificateRequest` listed (`None`: no request).
    acceptable_cas: Option<Vec<Vec<u8>>>,
}

/// `region.tls` and `region.server-certificate`: a handshake over `stream` with core-client's
/// configuration for `roots` (described as `trusted`) and `client`.
pub(super) async fn handshake(
    report: &mut Report,
    stream: TcpStream,
    target: &Target,
    roots: &Roots,
    trusted: &str,
    client: Option<&ClientCertificate>,
) -> Handshake {
    let failed = Handshake {
        completed: false,
        acceptable_cas: None,
    };
    let seen = Arc::new(Mutex::new(Seen::default()));
    let config = tls::client_config(roots, client.map(|c| &c.identity)).and_then(|mut config| {
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        config.client_auth_cert_resolver = Arc::new(WatchResolver {
            inner: config.client_auth_cert_resolver.clone(),
            seen: seen.clone(),
        });
        config
            .dangerous()
            .set_certificate_verifier(Arc::new(WatchVerifier {
                inner: tls::server_verifier(roots)?,
                seen: seen.clone(),
            }));
        Ok(config)
    });
    let config = match config {
        Ok(config) => config,
        Err(error) => {
            report.fail(REGION_TLS, hints::handshake(&error));
            report.skip(REGION_SERVER_CERTIFICATE, REGION_TLS);
            return failed;
        }
    };
    let Ok(name) = ServerName::try_from(target.host.clone()) else {
        report.fail(
            REGION_TLS,
            hints::bad_host(&target.host, "is not a valid server name"),
        );
        report.skip(REGION_SERVER_CERTIFICATE, REGION_TLS);
        return failed;
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let outcome = tokio::time::timeout(TIMEOUT, connector.connect(name, stream)).await;
    let seen = std::mem::take(&mut *lock(&seen));
    let server = seen.server.as_ref();
    let presented = server
        .and_then(|(chain, _)| chain.first())
        .and_then(|c| x509::names(c));
    let stream = match outcome {
        Ok(Ok(stream)) => stream,
        Ok(Err(error)) => {
            let tls_error = error
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>());
            match (server, tls_error) {
                // The certificate came in a TLS 1.3 handshake, and was refused.
                (Some((_, Err(refusal))), _) => {
                    report.pass(REGION_TLS, "TLS 1.3 negotiated");
                    report.fail(
                        REGION_SERVER_CERTIFICATE,
                        hints::server_certificate(
                            refusal,
                            presented.as_ref(),
                            trusted,
                            &target.host,
                        ),
                    );
                }
                (_, Some(tls_error)) => {
                    report.fail(REGION_TLS, hints::handshake(tls_error));
                    report.skip(REGION_SERVER_CERTIFICATE, REGION_TLS);
                }
                (_, None) => {
                    report.fail(REGION_TLS, hints::handshake_io(&error));
                    report.skip(REGION_SERVER_CERTIFICATE, REGION_TLS);
                }
            }
            return failed;
        }
        Err(_) => {
            report.fail(REGION_TLS, hints::handshake_timeout(TIMEOUT));
            report.skip(REGION_SERVER_CERTIFICATE, REGION_TLS);
            return failed;
        }
    };
    let (_, connection) = stream.get_ref();
    let version = match connection.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) | None => "TLS 1.3".to_owned(),
        Some(other) => format!("{other:?}"),
    };
    let suite = connection
        .negotiated_cipher_suite()
        .map(|s| format!(", {:?}", s.suite()))
        .unwrap_or_default();
    let alpn = connection
        .alpn_protocol()
        .map(|p| format!(", ALPN {}", String::from_utf8_lossy(p)))
        .unwrap_or_default();
    report.pass(REGION_TLS, format!("{version}{suite}{alpn}"));
    let message = match &presented {
        Some(names) => format!(
            "{} issued by {}, valid for {} under {trusted}",
            names.subject, names.issuer, target.host
        ),
        None => format!("valid for {} under {trusted}", target.host),
    };
    report.pass(REGION_SERVER_CERTIFICATE, message);
    Handshake {
        completed: true,
        acceptable_cas: seen.acceptable_cas,
    }
}

/// `region.client-ca`: whether the CAs the server named in its `CertificateRequest` include
/// one that issued a certificate of the client chain. `blocker` is the check that kept the
/// handshake or the client certificate from being known, if one did.
pub(super) fn client_ca(
    report: &mut Report,
    handshake: Option<&Handshake>,
    client: Option<&ClientCertificate>,
    blocker: Spec,
) {
    let (Some(handshake), Some(client)) = (handshake.filter(|h| h.completed), client) else {
        report.skip(REGION_CLIENT_CA, blocker);
        return;
    };
    let Some(acceptable) = &handshake.acceptable_cas else {
        report.fail(REGION_CLIENT_CA, hints::no_certificate_request());
        return;
    };
    if acceptable.is_empty() {
        report.warn(REGION_CLIENT_CA, hints::unnamed_client_cas());
        return;
    }
    let accepted: Vec<String> = acceptable
        .iter()
        .map(|name| x509::distinguished_name(name))
        .collect();
    // The ingress trusts the client when it holds the CA that issued one of the chain's
    // certificates (or is given one of them as an anchor).
    let trusted = client.names.iter().any(|names| {
        acceptable
            .iter()
            .any(|name| *name == names.issuer_der || *name == names.subject_der)
    });
    let leaf = client
        .names
        .first()
        .map_or("the client certificate", |l| l.subject.as_str());
    if trusted {
        report.pass(
            REGION_CLIENT_CA,
            format!(
                "the ingress accepts client certificates from {}; the chain of {leaf} leads there",
                accepted.join(" or ")
            ),
        );
    } else {
        let issuer = client
            .names
            .last()
            .map_or("an unknown CA", |n| n.issuer.as_str());
        report.fail(
            REGION_CLIENT_CA,
            hints::untrusted_client_ca(&accepted, issuer, leaf),
        );
    }
}
