//! [`path_escape`]: Go's `url.PathEscape`, the escaping the platform's clients apply to a path
//! segment.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// What Go's `url.PathEscape` leaves alone: RFC 3986 unreserved characters and the sub-delims
/// `$ & + : = @`. Everything else, `/ ; , ?` and `%` included, is escaped.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b':')
    .remove(b'=')
    .remove(b'@');

/// `segment` escaped as Go's `url.PathEscape` does, so that it stays one path segment.
///
/// The platform's generated clients escape every path parameter this way, and its References
/// helper escapes a reference once more before that: `/` travels as `%252F`.
///
/// ```
/// use core_client::path_escape;
///
/// assert_eq!(path_escape("a.b/c"), "a.b%2Fc");
/// assert_eq!(path_escape(&path_escape("a.b/c")), "a.b%252Fc");
/// assert_eq!(path_escape("k=v:x@y+z$&"), "k=v:x@y+z$&");
/// assert_eq!(path_escape("a b?;,"), "a%20b%3F%3B%2C");
/// ```
pub fn path_escape(segment: &str) -> String {
    utf8_percent_encode(segment, PATH_SEGMENT).to_string()
}
