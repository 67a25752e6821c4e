//! [`Operation`]: which API operation a request is, as a request extension.

/// Which operation of an API a request performs, set by generated clients as a request
/// extension so that the transport (client spans, metrics, retries) and any
/// [`RequestEditor`](crate::RequestEditor) can tell requests apart without parsing URLs.
///
/// ```
/// use core_client::Operation;
///
/// let mut request = http::Request::new(bytes::Bytes::new());
/// request
///     .extensions_mut()
///     .insert(Operation::new("getNetworkV2", "/api/v2/networks/{networkID}"));
/// let operation = request.extensions().get::<Operation>().unwrap();
/// assert_eq!(operation.id(), "getNetworkV2");
/// assert_eq!(operation.path_template(), "/api/v2/networks/{networkID}");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Operation {
    id: &'static str,
    path_template: &'static str,
}

impl Operation {
    /// The operation `id` (its OpenAPI `operationId`) on the path `path_template` (as written
    /// in the spec, e.g. `/api/v2/networks/{networkID}`).
    pub const fn new(id: &'static str, path_template: &'static str) -> Self {
        Self { id, path_template }
    }

    /// The `operationId`.
    pub const fn id(&self) -> &'static str {
        self.id
    }

    /// The path template, with `{parameter}` placeholders: bounded, unlike the request path,
    /// so it is safe as a span name or a metric attribute.
    pub const fn path_template(&self) -> &'static str {
        self.path_template
    }
}
