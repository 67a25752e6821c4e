//! The plumbing shared by every generated API client: [`RequestEditor`], [`ClientBuilder`] and
//! [`BaseUrl`].
//!
//! These live in `core-client` (not in the identity layer) so that a generated client depends on
//! this crate alone, while the identity layer supplies the editors that carry the trust model.

use std::{error::Error as StdError, fmt, future::Future, pin::Pin, sync::Arc};

use bytes::Bytes;
use http::Uri;

use crate::HttpClient;

/// A boxed, `Send` future, as returned by [`RequestEditor::edit`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Mutates an outgoing request before it is sent: adds a header, signs it, ...
///
/// Editors run in the order they were registered with a [`ClientBuilder`]. When one fails, the
/// request is not sent and the caller gets the [`EditorError`].
///
/// # Example
///
/// ```
/// use bytes::Bytes;
/// use core_client::{BoxFuture, EditorError, RequestEditor};
///
/// /// Adds a fixed `User-Agent`.
/// struct UserAgent(http::HeaderValue);
///
/// impl RequestEditor for UserAgent {
///     fn edit<'a>(
///         &'a self,
///         request: &'a mut http::Request<Bytes>,
///     ) -> BoxFuture<'a, Result<(), EditorError>> {
///         Box::pin(async move {
///             request.headers_mut().insert(http::header::USER_AGENT, self.0.clone());
///             Ok(())
///         })
///     }
/// }
/// ```
pub trait RequestEditor: Send + Sync {
    /// Edits `request` in place. An error stops the request from being sent.
    fn edit<'a>(
        &'a self,
        request: &'a mut http::Request<Bytes>,
    ) -> BoxFuture<'a, Result<(), EditorError>>;
}

/// The future [`RequestEditor::edit`] returns for an edit already made: an editor that needs
/// nothing asynchronous edits the request in `edit` itself and returns `edited(result)`, which
/// costs no allocation when the edit succeeded (an `async` block would be boxed).
///
/// ```
/// use bytes::Bytes;
/// use core_client::{BoxFuture, EditorError, RequestEditor, edited};
///
/// /// Adds a fixed `User-Agent`.
/// struct UserAgent(http::HeaderValue);
///
/// impl RequestEditor for UserAgent {
///     fn edit<'a>(
///         &'a self,
///         request: &'a mut http::Request<Bytes>,
///     ) -> BoxFuture<'a, Result<(), EditorError>> {
///         request.headers_mut().insert(http::header::USER_AGENT, self.0.clone());
///         edited(Ok(()))
///     }
/// }
/// ```
pub fn edited(result: Result<(), EditorError>) -> BoxFuture<'static, Result<(), EditorError>> {
    match result {
        // A zero-sized future: boxing it allocates nothing.
        Ok(()) => Box::pin(Edited),
        Err(error) => Box::pin(std::future::ready(Err(error))),
    }
}

/// An edit that succeeded, as a future.
struct Edited;

impl Future for Edited {
    type Output = Result<(), EditorError>;

    fn poll(self: Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        std::task::Poll::Ready(Ok(()))
    }
}

/// Runs `editors` over `request`, in order, stopping at the first failure.
pub async fn apply_editors(
    editors: &[Arc<dyn RequestEditor>],
    request: &mut http::Request<Bytes>,
) -> Result<(), EditorError> {
    for editor in editors {
        editor.edit(request).await?;
    }
    Ok(())
}

/// A [`RequestEditor`] failed; the request was not sent.
///
/// The cause is kept as the error source: use [`EditorError::downcast_ref`] to match on the
/// editor's own error type.
#[derive(Debug, thiserror::Error)]
#[error("request editor `{editor}` refused the request")]
pub struct EditorError {
    editor: &'static str,
    #[source]
    source: Box<dyn StdError + Send + Sync + 'static>,
}

impl EditorError {
    /// Wraps the failure `source` of the editor called `editor`.
    pub fn new(
        editor: &'static str,
        source: impl Into<Box<dyn StdError + Send + Sync + 'static>>,
    ) -> Self {
        Self {
            editor,
            source: source.into(),
        }
    }

    /// The name of the editor that failed (e.g. `"principal"`).
    pub fn editor(&self) -> &'static str {
        self.editor
    }

    /// The editor's own error, if it is a `T`.
    pub fn downcast_ref<T: StdError + 'static>(&self) -> Option<&T> {
        self.source.downcast_ref::<T>()
    }
}

/// What a generated API client implements so that the layers above can configure it without
/// knowing which API it is.
///
/// ```no_run
/// # fn demo<B: core_client::ClientBuilder>(
/// #     builder: B,
/// #     http: core_client::HttpClient,
/// #     editor: std::sync::Arc<dyn core_client::RequestEditor>,
/// # ) -> Result<B::Client, core_client::BuildError> {
/// let client = builder
///     .with_http_client(http)
///     .with_request_editor(editor)
///     .build("https://region.example.com")?;
/// # Ok(client)
/// # }
/// ```
pub trait ClientBuilder: Sized {
    /// The API client this builder produces.
    type Client;

    /// Sends every request through `client` (its TLS, pool, timeouts and limits).
    fn with_http_client(self, client: HttpClient) -> Self;

    /// Appends `editor`; editors run in the order they were added, on every request.
    fn with_request_editor(self, editor: Arc<dyn RequestEditor>) -> Self;

    /// Builds the client for the API served under `base_url`.
    fn build(self, base_url: &str) -> Result<Self::Client, BuildError>;
}

/// A [`ClientBuilder`] could not build its client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No [`HttpClient`] was given with [`ClientBuilder::with_http_client`].
    #[error("no HTTP client was configured: call with_http_client first")]
    MissingHttpClient,
    /// The base URL is not an absolute `http(s)://host[:port][/path]` URL.
    #[error("invalid base URL {url:?}: {reason}")]
    InvalidBaseUrl {
        /// The URL as given, with any user info (`user:password@`) replaced by `***`.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The base URL carries user info (`user:password@host`): credentials never go in URLs,
    /// where they end up in logs and the HTTP/2 `:authority`. The URL is not repeated here.
    #[error("refusing a base URL with credentials (user info) for host {host}")]
    CredentialsInUrl {
        /// The host the URL names, without the user info.
        host: String,
    },
}

/// An absolute base URL (`scheme://authority[/prefix]`) that API paths are joined onto.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BaseUrl {
    scheme: http::uri::Scheme,
    authority: http::uri::Authority,
    prefix: String,
}

impl BaseUrl {
    /// Parses `url`, which must have a `http` or `https` scheme and a host, and no query.
    ///
    /// ```
    /// let base = core_client::BaseUrl::parse("https://region.example.com/").unwrap();
    /// assert_eq!(
    ///     base.join("/api/v1/regions").unwrap().to_string(),
    ///     "https://region.example.com/api/v1/regions"
    /// );
    /// ```
    pub fn parse(url: &str) -> Result<Self, BuildError> {
        let invalid = |reason| BuildError::InvalidBaseUrl {
            url: without_user_info(url),
            reason,
        };
        let uri: Uri = url.parse().map_err(|_| invalid("not a valid URI"))?;
        let parts = uri.into_parts();
        let scheme = parts.scheme.ok_or_else(|| invalid("no scheme"))?;
        if scheme != http::uri::Scheme::HTTPS && scheme != http::uri::Scheme::HTTP {
            return Err(invalid("scheme must be https (or http)"));
        }
        let authority = parts.authority.ok_or_else(|| invalid("no host"))?;
        if let Some((_, host)) = authority.as_str().rsplit_once('@') {
            return Err(BuildError::CredentialsInUrl {
                host: host.to_owned(),
            });
        }
        // `http` takes any text after the host's last `:` as the port (`user:password/...`
        // without its `@` is host `user`, port `password`).
        let after_host = authority
            .as_str()
            .rsplit_once(']')
            .map_or(authority.as_str(), |(_, rest)| rest);
        if let Some((_, port)) = after_host.rsplit_once(':')
            && !port.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(invalid("the port is not a number"));
        }
        let prefix = match parts.path_and_query {
            Some(pq) if pq.query().is_some() => return Err(invalid("a query is not allowed")),
            Some(pq) => pq.path().trim_end_matches('/').to_owned(),
            None => String::new(),
        };
        Ok(Self {
            scheme,
            authority,
            prefix,
        })
    }

    /// Whether requests under this base URL go over TLS.
    pub fn is_https(&self) -> bool {
        self.scheme == http::uri::Scheme::HTTPS
    }

    /// The absolute URI of `path_and_query` (which starts with `/`) under this base. Given a
    /// `String`, its buffer becomes the URI's path without a copy when the base has no prefix.
    pub fn join(&self, path_and_query: impl Into<String>) -> Result<Uri, http::Error> {
        let mut path_and_query = path_and_query.into();
        if !self.prefix.is_empty() {
            path_and_query.insert_str(0, &self.prefix);
        }
        let mut parts = http::uri::Parts::default();
        parts.scheme = Some(self.scheme.clone());
        parts.authority = Some(self.authority.clone());
        parts.path_and_query = Some(http::uri::PathAndQuery::try_from(path_and_query)?);
        Ok(Uri::from_parts(parts)?)
    }
}

/// `url` as an error may print it: any user info (`user:password@`) replaced by `***`, whatever
/// else is wrong with the URL.
///
/// Where user info ends cannot be known in a URL that does not parse, so everything from the
/// start of the authority (after `scheme://`, or `//`, or the start when there is neither) to
/// the last `@` is hidden: a password holding `/`, `?` or `#` is hidden whole, and an `@` in a
/// path or query hides more than needed, never less.
fn without_user_info(url: &str) -> String {
    let is_scheme = |s: &str| {
        s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    };
    let start = match url.find("://") {
        Some(at) if is_scheme(&url[..at]) => at + 3,
        _ if url.starts_with("//") => 2,
        _ => 0,
    };
    match url[start..].rfind('@') {
        Some(at) => format!("{}***{}", &url[..start], &url[start + at..]),
        None => url.to_owned(),
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}{}", self.scheme, self.authority, self.prefix)
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_joins_paths_and_keeps_prefix() {
        let base = BaseUrl::parse("https://example.com:8443/prefix/").unwrap();
        assert_eq!(base.to_string(), "https://example.com:8443/prefix");
        assert_eq!(
            base.join("/api/v1/x?a=b").unwrap().to_string(),
            "https://example.com:8443/prefix/api/v1/x?a=b"
        );
        assert!(base.is_https());
        let bare = BaseUrl::parse("https://example.com").unwrap();
        assert_eq!(
            bare.join(String::from("/api/v1/x")).unwrap().to_string(),
            "https://example.com/api/v1/x"
        );
        // The joined path is still validated: a space is not a URI character.
        assert!(bare.join("/api/v1/a b").is_err());
        assert!(base.join(String::from("/a\nb")).is_err());
    }

    #[test]
    fn base_url_refuses_credentials_without_repeating_them() {
        let error = BaseUrl::parse("https://admin:hunter2@region.example.com/").unwrap_err();
        assert!(
            matches!(&error, BuildError::CredentialsInUrl { host } if host == "region.example.com")
        );
        assert!(!format!("{error} {error:?}").contains("hunter2"));
    }

    /// Whatever else is wrong with a URL, its user info (a password) is never printed.
    #[test]
    fn an_invalid_base_url_never_repeats_its_user_info() {
        for bad in [
            "ftp://user:secret@example.com/",
            "https://user:secret@exa mple.com/",
            "user:secret@example.com",
            "https://user:se/cret@example.com/",
            "//user:secret@example.com/?q=1",
            "https://user:secret@example.com/?q=1",
        ] {
            let error = BaseUrl::parse(bad).unwrap_err();
            let printed = format!("{error} {error:?}");
            assert!(!printed.contains("secret"), "{bad}: {printed}");
            assert!(!printed.contains("user:"), "{bad}: {printed}");
        }
        // What else the URL says is kept, to find it by.
        let error = BaseUrl::parse("ftp://user:secret@example.com/x").unwrap_err();
        assert!(
            matches!(&error, BuildError::InvalidBaseUrl { url, .. } if url == "ftp://***@example.com/x"),
            "{error:?}"
        );
    }

    #[test]
    fn base_url_rejects_relative_and_odd_schemes() {
        for bad in [
            "/relative",
            "ftp://example.com",
            "https://example.com/?q=1",
            "::",
        ] {
            assert!(
                matches!(BaseUrl::parse(bad), Err(BuildError::InvalidBaseUrl { .. })),
                "{bad} should be rejected"
            );
        }
    }

    struct Header(&'static str);
    impl RequestEditor for Header {
        fn edit<'a>(
            &'a self,
            request: &'a mut http::Request<Bytes>,
        ) -> BoxFuture<'a, Result<(), EditorError>> {
            Box::pin(async move {
                if self.0 == "fail" {
                    return Err(EditorError::new("header", std::io::Error::other("boom")));
                }
                request
                    .headers_mut()
                    .append("x-order", http::HeaderValue::from_static(self.0));
                Ok(())
            })
        }
    }

    #[tokio::test]
    async fn editors_run_in_order_and_stop_at_first_failure() {
        let mut request = http::Request::new(Bytes::new());
        let editors: Vec<Arc<dyn RequestEditor>> =
            vec![Arc::new(Header("a")), Arc::new(Header("b"))];
        apply_editors(&editors, &mut request).await.unwrap();
        let seen: Vec<_> = request.headers().get_all("x-order").iter().collect();
        assert_eq!(seen, ["a", "b"]);

        let editors: Vec<Arc<dyn RequestEditor>> = vec![
            Arc::new(Header("c")),
            Arc::new(Header("fail")),
            Arc::new(Header("d")),
        ];
        let mut request = http::Request::new(Bytes::new());
        let err = apply_editors(&editors, &mut request).await.unwrap_err();
        assert_eq!(err.editor(), "header");
        assert!(err.downcast_ref::<std::io::Error>().is_some());
        let seen: Vec<_> = request.headers().get_all("x-order").iter().collect();
        assert_eq!(seen, ["c"]);
    }
}
