//! [`Client`] and its [`Builder`], and the request plumbing the generated methods share.

use std::{fmt, sync::Arc};

use bytes::Bytes;
use core_client::{BaseUrl, BuildError, HttpClient, Operation, RequestEditor, apply_editors};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;

use crate::{Error, ResponseValue, response::DecodeResponse};

/// Everything but RFC 3986 unreserved characters is percent-encoded in query names and values
/// (`=` and `&` inside a value in particular: `?tag=name%3Dvalue`). Go's `url.QueryEscape`
/// differs only in writing a space as `+`, which servers decode the same.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The media type of every body sent, and of the answers asked for.
static JSON: http::HeaderValue = http::HeaderValue::from_static("application/json");

/// A client for the region API. Cheap to clone: clones share the connection pool and the
/// editors.
///
/// Build one with [`Client::builder`] (a [`Builder`], implementing
/// [`core_client::ClientBuilder`]); the operations are its async methods, one per
/// `operationId`.
#[derive(Clone)]
pub struct Client {
    base_url: BaseUrl,
    http: HttpClient,
    editors: Arc<[Arc<dyn RequestEditor>]>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The editors are opaque (and may hold tokens or keys): only their number is shown.
        f.debug_struct("Client")
            .field("base_url", &self.base_url)
            .field("http", &self.http)
            .field("editors", &self.editors.len())
            .finish()
    }
}

impl Client {
    /// A builder; give it an [`HttpClient`] and, optionally, request editors, then
    /// [`build`](core_client::ClientBuilder::build) it with the API's base URL.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # fn demo(
    /// #     http: core_client::HttpClient,
    /// #     editor: std::sync::Arc<dyn core_client::RequestEditor>,
    /// # ) -> Result<(), core_client::BuildError> {
    /// use core_client::ClientBuilder as _;
    ///
    /// let client = region_openapi::Client::builder()
    ///     .with_http_client(http)
    ///     .with_request_editor(editor)
    ///     .build("https://region.example.com")?;
    /// # let _ = client;
    /// # Ok(())
    /// # }
    /// ```
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// The base URL operation paths are joined onto.
    pub fn base_url(&self) -> &BaseUrl {
        &self.base_url
    }

    /// The HTTP client requests go through.
    pub fn http_client(&self) -> &HttpClient {
        &self.http
    }

    /// This client with `editor` run after its own editors on every request. For a caller that
    /// got the client ready-made (from `region_client`) and wants one more header or marker on
    /// its calls. It takes the client, as the builder's method of the same name does; the
    /// client is cheap to clone, so `api.clone().with_request_editor(..)` keeps the original.
    ///
    /// # Example
    ///
    /// Starting a server that may already be running is safe to repeat, so let the transport
    /// retry it like an idempotent request:
    ///
    /// ```no_run
    /// # async fn demo(
    /// #     api: region_openapi::Client,
    /// #     server: region_openapi::uuid::Uuid,
    /// # ) -> Result<(), region_openapi::Error> {
    /// use std::sync::Arc;
    ///
    /// let retrying = api.clone().with_request_editor(Arc::new(core_client::RetrySafe));
    /// retrying.start_server_v2(server).await?.into_result()?;
    /// // `api` is unchanged: its calls are not marked.
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_request_editor(self, editor: Arc<dyn RequestEditor>) -> Self {
        let editors: Vec<Arc<dyn RequestEditor>> =
            self.editors.iter().cloned().chain([editor]).collect();
        Self {
            editors: editors.into(),
            ..self
        }
    }

    /// Sends the request of `R`'s operation on `path_and_query`, without a body, and decodes
    /// the answer into `R`. The method and the operation's name come from its
    /// [`spec`](crate::response::Decode::spec).
    pub(crate) async fn call_empty<R: DecodeResponse>(
        &self,
        path_and_query: String,
    ) -> Result<ResponseValue<R>, Error> {
        self.call(path_and_query, None).await
    }

    /// Sends the request of `R`'s operation on `path_and_query` with `body` as JSON, and
    /// decodes the answer into `R`.
    pub(crate) async fn call_json<R: DecodeResponse, B: Serialize>(
        &self,
        path_and_query: String,
        body: &B,
    ) -> Result<ResponseValue<R>, Error> {
        let body = serde_json::to_vec(body).map_err(|source| Error::Encode {
            operation: R::OPERATION,
            source,
        })?;
        self.call(path_and_query, Some(body.into())).await
    }

    async fn call<R: DecodeResponse>(
        &self,
        path_and_query: String,
        body: Option<Bytes>,
    ) -> Result<ResponseValue<R>, Error> {
        let spec = R::spec();
        let operation = Operation::new(spec.id, spec.path);
        let response = self
            .execute(operation, spec.method.clone(), path_and_query, body)
            .await?;
        let (parts, body) = response.into_parts();
        let attempts = parts
            .extensions
            .get::<core_client::Attempts>()
            .map_or(1, |attempts| attempts.0);
        Ok(
            ResponseValue::<R>::from_parts(parts.status, parts.headers, body)?
                .with_attempts(attempts),
        )
    }

    /// Builds the request, marks it with `operation`, runs every editor in order, and sends it.
    async fn execute(
        &self,
        operation: Operation,
        method: http::Method,
        path_and_query: String,
        body: Option<Bytes>,
    ) -> Result<http::Response<Bytes>, Error> {
        let id = operation.id();
        let uri = self
            .base_url
            .join(path_and_query)
            .map_err(|source| Error::InvalidRequest {
                operation: id,
                source,
            })?;
        let has_body = body.is_some();
        let mut request = http::Request::new(body.unwrap_or_default());
        *request.method_mut() = method;
        *request.uri_mut() = uri;
        let headers = request.headers_mut();
        headers.insert(http::header::ACCEPT, JSON.clone());
        // A request without a body has no Content-Type either (`x-no-body` operations and
        // every GET and DELETE): there is nothing to describe.
        if has_body {
            headers.insert(http::header::CONTENT_TYPE, JSON.clone());
        }
        request.extensions_mut().insert(operation);
        apply_editors(&self.editors, &mut request).await?;
        Ok(self.http.send(request).await?)
    }
}

/// Builds a [`Client`] ([`Client::builder`]): the [`core_client::ClientBuilder`] of the region
/// API, which `identity_client`'s `api_client` and `controller_client` take.
#[derive(Default)]
pub struct Builder {
    http: Option<HttpClient>,
    editors: Vec<Arc<dyn RequestEditor>>,
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("http", &self.http)
            .field("editors", &self.editors.len())
            .finish()
    }
}

impl core_client::ClientBuilder for Builder {
    type Client = Client;

    fn with_http_client(mut self, client: HttpClient) -> Self {
        self.http = Some(client);
        self
    }

    fn with_request_editor(mut self, editor: Arc<dyn RequestEditor>) -> Self {
        self.editors.push(editor);
        self
    }

    fn build(self, base_url: &str) -> Result<Client, BuildError> {
        let http = self.http.ok_or(BuildError::MissingHttpClient)?;
        Ok(Client {
            base_url: BaseUrl::parse(base_url)?,
            http,
            editors: self.editors.into(),
        })
    }
}

/// `value`, the path parameter `parameter` of `operation`, percent-encoded as one path segment
/// as Go's `url.PathEscape` does (see [`core_client::path_escape`]). An empty value, `.` and
/// `..` are refused: after normalisation they would address another resource
/// (`/networks/../references`), and percent-encoding them does not help, since normalisers
/// decode `%2E` first.
///
/// Only text parameters go through here: a UUID is written as it displays (hyphenated, lower
/// case), which needs no escaping and is never empty or a dot segment.
pub(crate) fn path_segment(
    operation: &'static str,
    parameter: &'static str,
    value: &str,
) -> Result<String, Error> {
    let reason = match value {
        "" => "empty",
        "." | ".." => "a dot segment",
        _ => return Ok(core_client::path_escape(value)),
    };
    Err(Error::InvalidPathParameter {
        operation,
        parameter,
        reason,
    })
}

/// A path and its query parameters, in the order they are pushed (`name=value&...`, both
/// percent-encoded).
#[derive(Debug)]
pub(crate) struct Query {
    path: String,
    empty: bool,
}

impl Query {
    /// `path`, without parameters yet.
    pub(crate) fn new(path: String) -> Self {
        Self { path, empty: true }
    }

    /// Appends `name=value` for each of `values`: none for an absent optional parameter
    /// (`Option` is a list of at most one), one each for a list (`?tag=a&tag=b`).
    ///
    /// A value is written as it displays: every type a query parameter can have (`str`,
    /// integers, `bool`, [`uuid::Uuid`], the generated string enums) displays as its wire
    /// form, and the generator refuses the others (`date-time`, ...).
    pub(crate) fn push<V: fmt::Display>(
        &mut self,
        name: &str,
        values: impl IntoIterator<Item = V>,
    ) {
        for value in values {
            self.path.push(if self.empty { '?' } else { '&' });
            self.empty = false;
            self.path.extend(utf8_percent_encode(name, QUERY));
            self.path.push('=');
            self.path
                .extend(utf8_percent_encode(&value.to_string(), QUERY));
        }
    }

    /// The path with its query.
    pub(crate) fn finish(self) -> String {
        self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(value: &str) -> Result<String, Error> {
        path_segment("addNetworkReference", "reference", value)
    }

    #[test]
    fn path_segments_encode_slashes_and_refuse_empty_values() {
        assert_eq!(
            segment("kubernetesclusters.kubernetes.unikorn-cloud.org/abc").unwrap(),
            "kubernetesclusters.kubernetes.unikorn-cloud.org%2Fabc"
        );
        // Go's url.PathEscape, character class by character class.
        for (value, escaped) in [
            ("a b?#", "a%20b%3F%23"),
            ("az-AZ_09.~", "az-AZ_09.~"),
            ("$&+:=@", "$&+:=@"),
            ("/;,?%", "%2F%3B%2C%3F%25"),
            (
                "!*'()[]{}\"<>|\\^`",
                "%21%2A%27%28%29%5B%5D%7B%7D%22%3C%3E%7C%5C%5E%60",
            ),
            ("é", "%C3%A9"),
            // An already escaped reference is escaped again: `%2F` travels as `%252F`.
            ("a.b%2Fc", "a.b%252Fc"),
        ] {
            assert_eq!(segment(value).unwrap(), escaped, "{value:?}");
        }
        for (value, expected) in [
            ("", "empty"),
            (".", "a dot segment"),
            ("..", "a dot segment"),
        ] {
            assert!(
                matches!(
                    segment(value),
                    Err(Error::InvalidPathParameter {
                        operation: "addNetworkReference",
                        parameter: "reference",
                        reason,
                    }) if reason == expected
                ),
                "{value:?}"
            );
        }
        assert_eq!(segment("...").unwrap(), "...");
    }

    #[test]
    fn query_encodes_names_and_values_in_order() {
        let mut query = Query::new("/x".to_owned());
        query.push("tag", ["foo=cat", "bar&dog"]);
        query.push("none", None::<i64>);
        query.push("limit", Some(5));
        query.push(
            "id",
            [uuid::Uuid::from_u128(
                0xA64F9269_36E0_4312_B8D1_52D93D569B7B,
            )],
        );
        query.push("on", [true]);
        assert_eq!(
            query.finish(),
            "/x?tag=foo%3Dcat&tag=bar%26dog&limit=5&id=a64f9269-36e0-4312-b8d1-52d93d569b7b&on=true"
        );
        let mut query = Query::new("/x".to_owned());
        query.push("tag", <&[String]>::default());
        assert_eq!(query.finish(), "/x");
    }
}
