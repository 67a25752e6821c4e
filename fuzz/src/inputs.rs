//! The structured inputs of the fuzz targets (`arbitrary` derives), and how to write each as
//! a seed ([`Seed::to_seed`]).

use arbitrary::Arbitrary;

use crate::seed::Encoder;

/// A value that can be written as a seed file its fuzz target reads back.
pub trait Seed {
    /// Writes the value as the top-level input (its last field takes the rest).
    fn encode(&self, encoder: &mut Encoder);

    /// The seed's bytes.
    fn to_seed(&self) -> Result<Vec<u8>, String> {
        let mut encoder = Encoder::new();
        self.encode(&mut encoder);
        encoder.finish()
    }
}

// --- extract -------------------------------------------------------------------------------

/// Where `principal::extract` learns the caller's certificate.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub enum Source<'a> {
    /// `CertificateSource::Ingress`: the `Ssl-Client-*` headers count.
    Ingress,
    /// `CertificateSource::Peer(None)`.
    PeerNone,
    /// `CertificateSource::Peer(Some(..))` with the fixed RSA fixture certificate, so that a
    /// real signed principal can be accepted.
    PeerFixture,
    /// `CertificateSource::Peer(Some(..))` with these bytes as DER.
    PeerDer(&'a [u8]),
}

impl Source<'_> {
    fn encode(&self, encoder: &mut Encoder) {
        match self {
            Self::Ingress => encoder.variant(0, 4),
            Self::PeerNone => encoder.variant(1, 4),
            Self::PeerFixture => encoder.variant(2, 4),
            Self::PeerDer(der) => encoder.variant(3, 4).slice(der),
        };
    }
}

/// The headers `principal::extract` reads.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Header {
    /// `X-Principal`.
    Principal,
    /// `X-Impersonate`.
    Impersonate,
    /// `Ssl-Client-Cert`.
    SslClientCert,
    /// `Ssl-Client-Verify`.
    SslClientVerify,
    /// `Unikorn-Client-Certificate`.
    ClientCertificate,
    /// `Authorization`.
    Authorization,
}

impl Header {
    /// Every header, in variant order.
    pub const ALL: [Self; 6] = [
        Self::Principal,
        Self::Impersonate,
        Self::SslClientCert,
        Self::SslClientVerify,
        Self::ClientCertificate,
        Self::Authorization,
    ];

    /// The header's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Principal => "x-principal",
            Self::Impersonate => "x-impersonate",
            Self::SslClientCert => "ssl-client-cert",
            Self::SslClientVerify => "ssl-client-verify",
            Self::ClientCertificate => "unikorn-client-certificate",
            Self::Authorization => "authorization",
        }
    }

    fn index(self) -> u32 {
        Self::ALL
            .iter()
            .position(|h| *h == self)
            .map_or(0, |i| i as u32)
    }
}

/// The `extract` target's input: the certificate source and header (name, value) pairs, in
/// the order they are appended (a repeated header keeps all values; the first one counts).
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub struct ExtractInput<'a> {
    /// Where the caller's certificate comes from.
    pub source: Source<'a>,
    /// The headers.
    pub headers: Vec<(Header, &'a [u8])>,
}

impl Seed for ExtractInput<'_> {
    fn encode(&self, encoder: &mut Encoder) {
        self.source.encode(encoder);
        for (header, value) in &self.headers {
            encoder.bool(true).variant(header.index(), 6).slice(value);
        }
        encoder.bool(false);
    }
}

// --- jws_verify ----------------------------------------------------------------------------

/// The `jws_verify` target's input: a certificate (DER) and a JWS, which is verified against
/// the fixed RSA fixture certificate and against the DER.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub struct JwsInput<'a> {
    /// Certificate bytes (DER, or anything).
    pub der: &'a [u8],
    /// The JWS text.
    pub jws: &'a str,
}

impl Seed for JwsInput<'_> {
    fn encode(&self, encoder: &mut Encoder) {
        encoder.slice(self.der).rest(self.jws);
    }
}

// --- from_resource -------------------------------------------------------------------------

/// A label or annotation key: one of those `Principal::from_resource` reads, or any other.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub enum Key<'a> {
    /// `unikorn-cloud.org/organization`.
    Organization,
    /// `unikorn-cloud.org/project`.
    Project,
    /// `unikorn-cloud.org/creator`.
    Creator,
    /// `principal.unikorn-cloud.org/organization`.
    OrganizationPrincipal,
    /// `principal.unikorn-cloud.org/project`.
    ProjectPrincipal,
    /// `principal.unikorn-cloud.org/creator`.
    CreatorPrincipal,
    /// Any other key.
    Other(&'a str),
}

impl<'a> Key<'a> {
    /// The key's text.
    pub fn as_str(&self) -> &'a str {
        match self {
            Self::Organization => "unikorn-cloud.org/organization",
            Self::Project => "unikorn-cloud.org/project",
            Self::Creator => "unikorn-cloud.org/creator",
            Self::OrganizationPrincipal => "principal.unikorn-cloud.org/organization",
            Self::ProjectPrincipal => "principal.unikorn-cloud.org/project",
            Self::CreatorPrincipal => "principal.unikorn-cloud.org/creator",
            Self::Other(key) => key,
        }
    }

    fn encode(&self, encoder: &mut Encoder) {
        let index = match self {
            Self::Organization => 0,
            Self::Project => 1,
            Self::Creator => 2,
            Self::OrganizationPrincipal => 3,
            Self::ProjectPrincipal => 4,
            Self::CreatorPrincipal => 5,
            Self::Other(key) => {
                encoder.variant(6, 7).slice(key);
                return;
            }
        };
        encoder.variant(index, 7);
    }
}

/// The `from_resource` target's input: the parts of `ObjectMeta` it reads. Entries are
/// inserted in order, so a later duplicate key wins.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub struct ResourceInput<'a> {
    /// `metadata.namespace`.
    pub namespace: Option<&'a str>,
    /// `metadata.name`.
    pub name: Option<&'a str>,
    /// `metadata.labels`.
    pub labels: Option<Vec<(Key<'a>, &'a str)>>,
    /// `metadata.annotations`.
    pub annotations: Option<Vec<(Key<'a>, &'a str)>>,
}

fn encode_optional_str(encoder: &mut Encoder, value: Option<&str>) {
    encoder.bool(value.is_some());
    if let Some(value) = value {
        encoder.slice(value);
    }
}

fn encode_entries(encoder: &mut Encoder, entries: Option<&Vec<(Key<'_>, &str)>>) {
    encoder.bool(entries.is_some());
    if let Some(entries) = entries {
        for (key, value) in entries {
            encoder.bool(true);
            key.encode(encoder);
            encoder.slice(value);
        }
        encoder.bool(false);
    }
}

impl Seed for ResourceInput<'_> {
    fn encode(&self, encoder: &mut Encoder) {
        encode_optional_str(encoder, self.namespace);
        encode_optional_str(encoder, self.name);
        encode_entries(encoder, self.labels.as_ref());
        encode_entries(encoder, self.annotations.as_ref());
    }
}

// --- reference -----------------------------------------------------------------------------

/// The `reference` target's input: the arguments of `ResourceReference::new`, and a text to
/// parse.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub struct ReferenceInput<'a> {
    /// The resource's plural name.
    pub plural: &'a str,
    /// Its group (empty for the core group).
    pub group: &'a str,
    /// The object's name.
    pub name: &'a str,
    /// A reference as text.
    pub text: &'a str,
}

impl Seed for ReferenceInput<'_> {
    fn encode(&self, encoder: &mut Encoder) {
        encoder
            .slice(self.plural)
            .slice(self.group)
            .slice(self.name)
            .rest(self.text);
    }
}

// --- response_decode -----------------------------------------------------------------------

/// The operations whose answers `response_decode` decodes: lists, enums, timestamps, IP
/// addresses, credentials, bodiless answers.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// `listRegions`: a list of regions (enums, timestamps).
    ListRegions,
    /// `getRegionDetail`: a region with its kubeconfig (credentials).
    GetRegionDetail,
    /// `getIdentity`: cloud config and SSH private key (credentials).
    GetIdentity,
    /// `getServerSshKey`: an SSH private key (credentials).
    GetServerSshKey,
    /// `getServerConsoleSessionV2`: a console URL (credentials).
    GetServerConsoleSessionV2,
    /// `createServerV2`: a server with user data (credentials), 201.
    CreateServerV2,
    /// `listServersV2`: servers with user data (credentials).
    ListServersV2,
    /// `getNetworkV2`: a network (IPv4 addresses, prefixes).
    GetNetworkV2,
    /// `listFlavors`: flavors (numbers, GPU enums).
    ListFlavors,
    /// `listImagesV2`: images (enums for architecture, state, virtualization).
    ListImagesV2,
    /// `deleteNetworkV2`: 202 without a body.
    DeleteNetworkV2,
    /// `addNetworkReference`: 201 without a body.
    AddNetworkReference,
    /// `getVersion`: a small object.
    GetVersion,
}

impl Operation {
    /// Every operation, in variant order.
    pub const ALL: [Self; 13] = [
        Self::ListRegions,
        Self::GetRegionDetail,
        Self::GetIdentity,
        Self::GetServerSshKey,
        Self::GetServerConsoleSessionV2,
        Self::CreateServerV2,
        Self::ListServersV2,
        Self::GetNetworkV2,
        Self::ListFlavors,
        Self::ListImagesV2,
        Self::DeleteNetworkV2,
        Self::AddNetworkReference,
        Self::GetVersion,
    ];

    fn index(self) -> u32 {
        Self::ALL
            .iter()
            .position(|o| *o == self)
            .map_or(0, |i| i as u32)
    }
}

/// The `Content-Type` of an answer.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub enum ContentType<'a> {
    /// None at all.
    Absent,
    /// `application/json`.
    Json,
    /// `application/problem+json; charset=utf-8`.
    ProblemJson,
    /// `text/html`.
    Html,
    /// These bytes (skipped when not a valid header value).
    Raw(&'a [u8]),
}

impl ContentType<'_> {
    fn encode(&self, encoder: &mut Encoder) {
        match self {
            Self::Absent => encoder.variant(0, 5),
            Self::Json => encoder.variant(1, 5),
            Self::ProblemJson => encoder.variant(2, 5),
            Self::Html => encoder.variant(3, 5),
            Self::Raw(bytes) => encoder.variant(4, 5).slice(bytes),
        };
    }
}

/// The `response_decode` target's input: an answer to one operation.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub struct DecodeInput<'a> {
    /// Which operation's answer it is.
    pub operation: Operation,
    /// The status (an invalid one becomes 500).
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: ContentType<'a>,
    /// The body. Every `@SECRET@` in it is replaced by the canary before decoding.
    pub body: &'a [u8],
}

impl Seed for DecodeInput<'_> {
    fn encode(&self, encoder: &mut Encoder) {
        encoder
            .variant(self.operation.index(), Operation::ALL.len() as u32)
            .u16(self.status);
        self.content_type.encode(encoder);
        encoder.rest(self.body);
    }
}

// --- tls_material --------------------------------------------------------------------------

/// The `tls_material` target's input: what a `kubernetes.io/tls` Secret holds.
#[derive(Arbitrary, Clone, Debug, PartialEq, Eq)]
pub struct TlsInput<'a> {
    /// `tls.crt`: PEM certificates, leaf first.
    pub crt: &'a [u8],
    /// `tls.key`: a PEM private key.
    pub key: &'a [u8],
}

impl Seed for TlsInput<'_> {
    fn encode(&self, encoder: &mut Encoder) {
        encoder.slice(self.crt).rest(self.key);
    }
}

/// Reads `bytes` back as `T` exactly as `libfuzzer-sys` hands a structured input to a target.
pub fn read_back<'a, T: Arbitrary<'a>>(bytes: &'a [u8]) -> arbitrary::Result<T> {
    T::arbitrary_take_rest(arbitrary::Unstructured::new(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<'a, T>(value: &T, bytes: &'a mut Vec<u8>) -> T
    where
        T: Seed + Arbitrary<'a> + std::fmt::Debug,
    {
        *bytes = value.to_seed().unwrap();
        read_back::<T>(bytes).unwrap()
    }

    #[test]
    fn extract_inputs_read_back() {
        let long = vec![b'a'; 300];
        let longer = vec![b'b'; 60_000];
        for input in [
            ExtractInput {
                source: Source::Ingress,
                headers: vec![],
            },
            ExtractInput {
                source: Source::PeerDer(b"\x30\x03\x02\x01\x01"),
                headers: vec![
                    (Header::Principal, b"eyJ9".as_slice()),
                    (Header::Authorization, b"Bearer abc"),
                    (Header::Impersonate, b""),
                ],
            },
            ExtractInput {
                source: Source::PeerFixture,
                headers: vec![
                    (Header::SslClientCert, &long),
                    (Header::SslClientVerify, b""),
                ],
            },
            ExtractInput {
                source: Source::PeerNone,
                headers: vec![(Header::ClientCertificate, &longer)],
            },
        ] {
            let mut bytes = Vec::new();
            assert_eq!(round_trip(&input, &mut bytes), input);
        }
    }

    #[test]
    fn other_inputs_read_back() {
        let mut bytes = Vec::new();
        let jws = JwsInput {
            der: &[1, 2, 3],
            jws: "a.b.c",
        };
        assert_eq!(round_trip(&jws, &mut bytes), jws);
        let resource = ResourceInput {
            namespace: Some("ns"),
            name: None,
            labels: Some(vec![
                (Key::Organization, "o"),
                (Key::Other("x/y"), ""),
                (Key::ProjectPrincipal, "p"),
            ]),
            annotations: Some(vec![]),
        };
        assert_eq!(round_trip(&resource, &mut bytes), resource);
        let reference = ReferenceInput {
            plural: "networks",
            group: "region.unikorn-cloud.org",
            name: "n",
            text: "networks.region.unikorn-cloud.org/n",
        };
        assert_eq!(round_trip(&reference, &mut bytes), reference);
        for content_type in [ContentType::Json, ContentType::Raw(b"text/json")] {
            let decode = DecodeInput {
                operation: Operation::GetVersion,
                status: 200,
                content_type,
                body: br#"{"version":"1"}"#,
            };
            assert_eq!(round_trip(&decode, &mut bytes), decode);
        }
        let tls = TlsInput {
            crt: b"-----BEGIN CERTIFICATE-----",
            key: b"-----BEGIN PRIVATE KEY-----",
        };
        assert_eq!(round_trip(&tls, &mut bytes), tls);
    }

    #[test]
    fn every_variant_index_reads_back() {
        for operation in Operation::ALL {
            let decode = DecodeInput {
                operation,
                status: 404,
                content_type: ContentType::Absent,
                body: b"",
            };
            let mut bytes = Vec::new();
            assert_eq!(round_trip(&decode, &mut bytes), decode);
        }
        for header in Header::ALL {
            let input = ExtractInput {
                source: Source::PeerNone,
                headers: vec![(header, b"v")],
            };
            let mut bytes = Vec::new();
            assert_eq!(round_trip(&input, &mut bytes), input);
        }
    }
}
