//! The operation table: [`OperationSpec`], what the spec says of one operation (method, path
//! template, path parameters, request body, documented statuses), and the matching of a
//! request path against the templates the way the platform's router does it.
//!
//! The generated code invokes [`operations!`] once, with a line per operation; it declares
//! [`OperationId`](crate::OperationId) and the table behind
//! [`OperationId::spec`](crate::OperationId::spec) and
//! [`OperationId::resolve`](crate::OperationId::resolve).

use http::{Method, StatusCode};

/// One operation of the region API as the spec describes it; see
/// [`OperationId::spec`](crate::OperationId::spec).
///
/// ```
/// use region_openapi::OperationId;
///
/// let spec = OperationId::AddNetworkReference.spec();
/// assert_eq!(spec.id, "addNetworkReference");
/// assert_eq!(spec.method, http::Method::PUT);
/// assert_eq!(spec.path, "/api/v2/networks/{networkID}/references/{reference}");
/// let params: Vec<_> = spec.path_params.iter().map(|p| (p.name, p.uuid)).collect();
/// assert_eq!(params, [("networkID", true), ("reference", false)]);
/// assert_eq!(spec.body, None);
/// assert_eq!(spec.success(), Some(http::StatusCode::CREATED));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct OperationSpec {
    /// The `operationId`, e.g. `getNetworkV2`.
    pub id: &'static str,
    /// The HTTP method.
    pub method: Method,
    /// The path template as the spec writes it, e.g. `/api/v2/networks/{networkID}`.
    pub path: &'static str,
    /// The path parameters, in the order the template names them.
    pub path_params: &'static [PathParam],
    /// The name of the JSON request body's type in [`types`](crate::types) (e.g.
    /// `NetworkV2Create`), or `None` when the operation sends no body.
    pub body: Option<&'static str>,
    /// The documented statuses, ascending; exactly one of them is a success (2xx).
    pub statuses: &'static [StatusCode],
}

impl OperationSpec {
    /// The documented success status (the one 2xx of [`statuses`](Self::statuses)).
    pub fn success(&self) -> Option<StatusCode> {
        self.statuses.iter().copied().find(StatusCode::is_success)
    }
}

/// A path parameter of an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PathParam {
    /// Its name in the template, e.g. `networkID`.
    pub name: &'static str,
    /// Whether it is a UUID (`format: uuid`): the platform refuses any other value with
    /// `400 invalid_request` before authentication. Otherwise it is any non-empty text.
    pub uuid: bool,
}

impl PathParam {
    /// A parameter holding a UUID.
    pub(crate) const fn uuid(name: &'static str) -> Self {
        Self { name, uuid: true }
    }

    /// A parameter holding any text.
    pub(crate) const fn text(name: &'static str) -> Self {
        Self { name, uuid: false }
    }
}

/// The path parameters of a request, as [`OperationId::resolve`](crate::OperationId::resolve)
/// found them: in template order, each as it is in the path given to `resolve` (decoded once,
/// as the platform's router sees it; its parameter binding decodes each value once more).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathParams<'p> {
    params: Vec<(&'static PathParam, &'p str)>,
}

impl<'p> PathParams<'p> {
    /// The value of the parameter `name`, e.g. `params.get("networkID")`.
    pub fn get(&self, name: &str) -> Option<&'p str> {
        self.params
            .iter()
            .find(|(param, _)| param.name == name)
            .map(|(_, value)| *value)
    }

    /// Every parameter with its value, in template order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static PathParam, &'p str)> + '_ {
        self.params.iter().copied()
    }

    /// How many parameters the operation's path has.
    pub fn len(&self) -> usize {
        self.params.len()
    }

    /// Whether the operation's path has no parameters.
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }
}

/// The operation of `table` that `method` and `path` ask for, with its path parameters, as
/// the platform's router (chi v5, on the once-decoded path) finds it:
///
/// - the method must be the operation's, exactly; a path that exists only for other methods
///   matches nothing (the platform answers 404 there);
/// - every `/`-separated segment of the template must be in the path: a literal segment as it
///   is, a `{parameter}` as any text without `/` (so a reference with an escaped `/` is one
///   segment only while the escape survives the first decoding: `%252F`, not `%2F`); a
///   parameter may be empty, except the last segment of the path, which chi never matches
///   empty;
/// - when several templates match, the one with a literal segment where another has a
///   parameter, earliest in the path, wins (chi tries literal edges first).
pub(crate) fn resolve<'p, I>(
    table: impl IntoIterator<Item = (I, &'static OperationSpec)>,
    method: &Method,
    path: &'p str,
) -> Option<(I, PathParams<'p>)> {
    let segments: Vec<&str> = path.split('/').collect();
    let mut best: Option<(Vec<bool>, I, PathParams<'p>)> = None;
    for (id, spec) in table {
        if spec.method != *method {
            continue;
        }
        let Some((shape, params)) = match_template(spec, &segments) else {
            continue;
        };
        if best.as_ref().is_none_or(|(best, ..)| shape < *best) {
            best = Some((shape, id, params));
        }
    }
    best.map(|(_, id, params)| (id, params))
}

/// `segments` matched against the template of `spec`: for each segment whether a parameter
/// took it (`false` sorts first: literal segments win), and the parameters.
fn match_template<'p>(
    spec: &'static OperationSpec,
    segments: &[&'p str],
) -> Option<(Vec<bool>, PathParams<'p>)> {
    let pattern: Vec<&str> = spec.path.split('/').collect();
    if pattern.len() != segments.len() {
        return None;
    }
    let mut shape = Vec::with_capacity(pattern.len());
    let mut params = Vec::with_capacity(spec.path_params.len());
    let mut declared = spec.path_params.iter();
    for (index, (want, have)) in pattern.iter().zip(segments).enumerate() {
        let is_param = want.starts_with('{') && want.ends_with('}');
        if is_param {
            let last = index + 1 == segments.len();
            if have.is_empty() && last {
                return None;
            }
            params.push((declared.next()?, *have));
        } else if want != have {
            return None;
        }
        shape.push(is_param);
    }
    Some((shape, PathParams { params }))
}

/// Declares [`OperationId`](crate::OperationId) and its table, from one line per operation:
///
/// ```text
/// /// `PUT /api/v2/networks/{networkID}/references/{reference}`: ...
/// AddNetworkReference = "addNetworkReference", PUT "/api/v2/networks/{networkID}/references/{reference}",
///     ["networkID": uuid, "reference": text], body: -, [CREATED, BAD_REQUEST, ...];
/// ```
///
/// (written on one line): the variant, the `operationId`, the method, the path template, the
/// path parameters (each `uuid` or `text`), the request body's type name in `types` (or `-`)
/// and the documented statuses (`http::StatusCode` constants). Operations come sorted by
/// `operationId`, so a variant's discriminant is its index in the table.
macro_rules! operations {
    ($(
        $(#[$doc:meta])*
        $variant:ident = $id:literal, $method:ident $path:literal,
        [$($param:literal: $kind:ident),*], body: $body:tt, [$($status:ident),*];
    )*) => {
        /// Every operation of the region API, named after its `operationId`
        /// (`getNetworkV2` is [`OperationId::GetNetworkV2`]): what
        /// [`spec`](Self::spec) says of it, and which one a request is
        /// ([`resolve`](Self::resolve)).
        ///
        /// ```
        /// use region_openapi::OperationId;
        ///
        /// let (operation, params) = OperationId::resolve(
        ///     &http::Method::PUT,
        ///     "/api/v2/networks/4a7cf4e1-6b7f-4bcb-b8b5-ab2c1ba70f4e/references/clusters.example.com%2Fa",
        /// )
        /// .expect("a route");
        /// assert_eq!(operation, OperationId::AddNetworkReference);
        /// assert_eq!(operation.name(), "addNetworkReference");
        /// assert_eq!(params.get("reference"), Some("clusters.example.com%2Fa"));
        /// ```
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum OperationId {
            $($(#[$doc])* $variant,)*
        }

        impl OperationId {
            /// Every operation, sorted by `operationId`.
            pub const ALL: &'static [Self] = &[$(Self::$variant),*];

            /// The `operationId`, e.g. `getNetworkV2`.
            pub const fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $id,)*
                }
            }

            /// The operation whose `operationId` is `name`.
            pub fn from_name(name: &str) -> ::std::option::Option<Self> {
                Self::ALL.iter().copied().find(|operation| operation.name() == name)
            }

            /// What the spec says of the operation: method, path template, path parameters,
            /// request body, documented statuses.
            pub fn spec(self) -> &'static $crate::OperationSpec {
                static TABLE: &[$crate::OperationSpec] = &[$(
                    $crate::OperationSpec {
                        id: $id,
                        method: ::http::Method::$method,
                        path: $path,
                        path_params: &[$($crate::PathParam::$kind($param)),*],
                        body: $crate::operations::operations!(@body $body),
                        statuses: &[$(::http::StatusCode::$status),*],
                    },
                )*];
                &TABLE[self as usize]
            }

            /// The operation a request with `method` on `path` is, and its path parameters,
            /// matched as the platform's router matches them; `None` where the platform
            /// answers 404. `path` is the request's path without the query, percent-decoded
            /// once, as Go's `URL.Path` holds it; see [`PathParams`](crate::PathParams) for
            /// the parameters.
            pub fn resolve<'p>(
                method: &::http::Method,
                path: &'p str,
            ) -> ::std::option::Option<(Self, $crate::PathParams<'p>)> {
                $crate::operations::resolve(
                    Self::ALL.iter().map(|operation| (*operation, operation.spec())),
                    method,
                    path,
                )
            }
        }

        impl ::std::fmt::Display for OperationId {
            /// The `operationId`.
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };

    (@body -) => { ::std::option::Option::None };
    (@body $body:ident) => { ::std::option::Option::Some(stringify!($body)) };
}

pub(crate) use operations;

#[cfg(test)]
mod tests {
    use super::*;

    /// An operation without a body and with a single documented status.
    const fn spec(
        id: &'static str,
        method: Method,
        path: &'static str,
        path_params: &'static [PathParam],
        statuses: &'static [StatusCode],
    ) -> OperationSpec {
        OperationSpec {
            id,
            method,
            path,
            path_params,
            body: None,
            statuses,
        }
    }

    static NETWORK: OperationSpec = spec(
        "getNetwork",
        Method::GET,
        "/networks/{networkID}",
        &[PathParam::uuid("networkID")],
        &[StatusCode::OK],
    );
    static DEFAULT: OperationSpec = spec(
        "getDefault",
        Method::GET,
        "/networks/default",
        &[],
        &[StatusCode::OK],
    );
    static REFERENCE: OperationSpec = spec(
        "putReference",
        Method::PUT,
        "/networks/{networkID}/references/{reference}",
        &[PathParam::uuid("networkID"), PathParam::text("reference")],
        &[StatusCode::CREATED],
    );
    const TABLE: [(&str, &OperationSpec); 3] = [
        ("network", &NETWORK),
        ("default", &DEFAULT),
        ("reference", &REFERENCE),
    ];

    fn resolved(method: Method, path: &str) -> Option<(&'static str, Vec<(&str, &str)>)> {
        resolve(TABLE, &method, path).map(|(id, params)| {
            (
                id,
                params
                    .iter()
                    .map(|(param, value)| (param.name, value))
                    .collect(),
            )
        })
    }

    #[test]
    fn literal_segments_win_over_parameters_in_either_order() {
        assert_eq!(
            resolved(Method::GET, "/networks/default"),
            Some(("default", vec![]))
        );
        let reversed = [TABLE[1], TABLE[0], TABLE[2]];
        assert_eq!(
            resolve(reversed, &Method::GET, "/networks/default").map(|(id, _)| id),
            Some("default")
        );
        assert_eq!(
            resolved(Method::GET, "/networks/other"),
            Some(("network", vec![("networkID", "other")]))
        );
    }

    #[test]
    fn a_parameter_is_one_segment_and_never_an_empty_last_one() {
        assert_eq!(
            resolved(Method::PUT, "/networks/n/references/a.b%2Fc"),
            Some((
                "reference",
                vec![("networkID", "n"), ("reference", "a.b%2Fc")]
            ))
        );
        // A `/` decoded from `%2F` is an extra segment: no route.
        assert_eq!(resolved(Method::PUT, "/networks/n/references/a.b/c"), None);
        // chi matches an empty parameter inside the path, never at its end.
        assert_eq!(
            resolved(Method::PUT, "/networks//references/r"),
            Some(("reference", vec![("networkID", ""), ("reference", "r")]))
        );
        assert_eq!(resolved(Method::PUT, "/networks/n/references/"), None);
        assert_eq!(resolved(Method::GET, "/networks/"), None);
        assert_eq!(resolved(Method::GET, "/networks/n/"), None);
        assert_eq!(resolved(Method::GET, "networks/n"), None);
    }

    #[test]
    fn the_method_must_be_the_operations() {
        assert_eq!(resolved(Method::POST, "/networks/n"), None);
        assert_eq!(resolved(Method::HEAD, "/networks/n"), None);
        assert_eq!(resolved(Method::GET, "/networks/n/references/r"), None);
    }

    #[test]
    fn params_are_looked_up_by_name() {
        let (_, params) = resolve(TABLE, &Method::PUT, "/networks/n/references/r").unwrap();
        assert_eq!(params.get("reference"), Some("r"));
        assert_eq!(params.get("networkID"), Some("n"));
        assert_eq!(params.get("other"), None);
        assert_eq!(params.len(), 2);
        assert!(!params.is_empty());
        assert_eq!(REFERENCE.success(), Some(StatusCode::CREATED));
    }
}
