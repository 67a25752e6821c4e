//! The TLS side of a [`TestServer`](super::TestServer): its rustls configuration, rebuilt
//! when a test changes what the server presents or whom it trusts, and a plain client
//! configuration for tests below the Kubernetes layer.

use std::sync::Arc;

use rustls::{
    RootCertStore, ServerConfig,
    crypto::CryptoProvider,
    server::{WebPkiClientVerifier, danger::ClientCertVerifier},
};
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer};

use crate::pki::{Ca, Leaf};

/// Which HTTP versions a server offers in ALPN and speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Protocol {
    /// `h2` first, then `http/1.1` (what the platform's ingress offers).
    #[default]
    Both,
    /// HTTP/1.1 only (an ingress or proxy that does not speak h2).
    Http1,
    /// HTTP/2 only.
    Http2,
}

impl Protocol {
    /// HTTP/1.1 alone, then HTTP/2 alone: for tests that run over each.
    pub const EACH: [Protocol; 2] = [Protocol::Http1, Protocol::Http2];
}

/// Who may present a client certificate, and which are refused.
#[derive(Clone, Debug, Default)]
pub(super) struct ClientTrust {
    /// The CA that issues client certificates; `None`: no client certificate is asked for.
    pub ca: Option<CertificateDer<'static>>,
    /// Whether a client may present none (the ingress lets the middleware refuse those).
    pub optional: bool,
    /// Revocation lists of the CA: a certificate they list is refused in the handshake.
    pub revocation_lists: Vec<CertificateRevocationListDer<'static>>,
}

/// Everything the server's rustls configuration is made from.
#[derive(Clone, Debug)]
pub(super) struct TlsSettings {
    pub certificate: Leaf,
    pub trust: ClientTrust,
    pub tls12_only: bool,
    pub protocol: Protocol,
}

impl TlsSettings {
    /// The server configuration: TLS 1.3 (and 1.2 unless `tls12_only`), ALPN after
    /// `protocol`, no session resumption (a resumed session skips certificate checks, and
    /// tests count and inspect full handshakes).
    pub fn config(&self) -> Arc<ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let versions: &[&rustls::SupportedProtocolVersion] = if self.tls12_only {
            &[&rustls::version::TLS12]
        } else {
            &[&rustls::version::TLS13, &rustls::version::TLS12]
        };
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(versions)
            .expect("ring supports TLS 1.2 and 1.3");
        let builder = match client_verifier(&self.trust, provider) {
            Some(verifier) => builder.with_client_cert_verifier(verifier),
            None => builder.with_no_client_auth(),
        };
        let mut config = builder
            .with_single_cert(self.certificate.chain_der(), self.certificate.key_der())
            .expect("the kit's certificates and keys load in rustls");
        config.alpn_protocols = match self.protocol {
            Protocol::Both => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
            Protocol::Http1 => vec![b"http/1.1".to_vec()],
            Protocol::Http2 => vec![b"h2".to_vec()],
        };
        config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
        config.send_tls13_tickets = 0;
        Arc::new(config)
    }
}

fn client_verifier(
    trust: &ClientTrust,
    provider: Arc<CryptoProvider>,
) -> Option<Arc<dyn ClientCertVerifier>> {
    let ca = trust.ca.as_ref()?;
    let mut roots = RootCertStore::empty();
    roots
        .add(ca.clone())
        .expect("the kit's CA certificates are valid trust anchors");
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
    let verifier = if trust.optional {
        verifier.allow_unauthenticated()
    } else {
        verifier
    };
    let verifier = verifier
        .with_crls(trust.revocation_lists.clone())
        .only_check_end_entity_revocation()
        .allow_unknown_revocation_status();
    Some(
        verifier
            .build()
            .expect("a verifier over one trust anchor and its CRLs builds"),
    )
}

/// A TLS 1.3 client configuration (ring) trusting `ca` and presenting `identity`, for tests
/// that need a client without Kubernetes.
///
/// ```
/// use region_client_testing::{Ca, KeyKind, server::client_tls_config};
///
/// let ca = Ca::new("ca");
/// let me = ca.client_cert("compute", KeyKind::EcdsaP256);
/// let config = client_tls_config(&ca, Some(&me));
/// assert!(config.client_auth_cert_resolver.has_certs());
/// ```
pub fn client_tls_config(ca: &Ca, identity: Option<&Leaf>) -> rustls::ClientConfig {
    let mut roots = RootCertStore::empty();
    roots
        .add(ca.cert_der.clone())
        .expect("the kit's CA certificates are valid trust anchors");
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS13])
    .expect("ring supports TLS 1.3")
    .with_root_certificates(roots);
    match identity {
        Some(leaf) => builder
            .with_client_auth_cert(leaf.chain_der(), leaf.key_der())
            .expect("the kit's certificates and keys load in rustls"),
        None => builder.with_no_client_auth(),
    }
}
