//! Every check `region doctor` makes, in the order it makes them: a stable ID (what automation
//! matches on), the section it belongs to, and what it checks.

/// One check: what it is, never what it found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Spec {
    /// Stable ID, `{section}.{name}`.
    pub(crate) id: &'static str,
    /// What is checked, in a few words.
    pub(crate) title: &'static str,
}

impl Spec {
    /// The section: the part of the ID before the first `.`.
    pub(crate) fn section(&self) -> &'static str {
        self.id
            .split_once('.')
            .map_or(self.id, |(section, _)| section)
    }
}

macro_rules! checks {
    ($($name:ident = $id:literal, $title:literal;)*) => {
        $(
            #[doc = concat!("`", $id, "`: ", $title, ".")]
            pub(crate) const $name: Spec = Spec { id: $id, title: $title };
        )*
        /// Every check, in order.
        pub(crate) const ALL: &[Spec] = &[$($name),*];
    };
}

checks! {
    KUBERNETES_API = "kubernetes.api", "Kubernetes API reachable, and who this is";
    CA_READ = "ca-secret.read", "Secret readable";
    CA_FORMAT = "ca-secret.format", "Secret type and keys";
    CA_CERTIFICATES = "ca-secret.certificates", "CA certificates parse";
    CA_VALIDITY = "ca-secret.validity", "a CA within its validity window";
    CLIENT_READ = "client-certificate.read", "Secret readable";
    CLIENT_FORMAT = "client-certificate.format", "Secret type and keys";
    CLIENT_PEM = "client-certificate.pem", "certificate chain and private key parse";
    CLIENT_KEY_MATCH = "client-certificate.key-match", "private key matches the certificate";
    CLIENT_VALIDITY = "client-certificate.validity", "certificate within its validity window";
    CLIENT_CHAIN = "client-certificate.chain", "chain from the certificate to its CA";
    CLIENT_KEY_TYPE = "client-certificate.key-type", "key type serves both paths";
    REGION_DNS = "region.dns", "host name resolves";
    REGION_TCP = "region.tcp", "TCP connection";
    REGION_TLS = "region.tls", "TLS 1.3 handshake";
    REGION_SERVER_CERTIFICATE = "region.server-certificate", "server certificate valid for the host";
    REGION_CLIENT_CA = "region.client-ca", "the ingress trusts the client certificate's CA";
    REGION_MTLS = "region.mtls", "mTLS call accepted (GET /api/version)";
    REGION_API_PATH = "region.api-path", "API-path call accepted (listRegions)";
    REGION_CONTROLLER_PATH = "region.controller-path", "controller-path call accepted (listRegions)";
    REGION_CLOCK = "region.clock", "clock agrees with the region API's";
}
