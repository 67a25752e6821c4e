//! What of an answer's body may be shown, decided in one place: the body of an operation whose
//! answers may hold credentials is withheld (only its length shows), any other is shown as an
//! excerpt of at most [`EXCERPT_LIMIT`] bytes. Error excerpts ([`Error::Decode`],
//! [`StatusError::excerpt`]), decoding errors and the `Debug` of `Unexpected` answers all take
//! what they show from here.
//!
//! The platform's error body (`{"error", "error_description", "trace_id"}`) is not a body of
//! this kind: its schema has no credential, and the platform writes it from its own messages,
//! so it is decoded and shown for every operation (see
//! [`ResponseValue::into_result`](crate::ResponseValue::into_result)).
//!
//! [`Error::Decode`]: crate::Error::Decode
//! [`StatusError::excerpt`]: crate::StatusError::excerpt

use std::fmt;

/// How many bytes of a body an excerpt ([`Error::Decode`](crate::Error::Decode),
/// [`StatusError::excerpt`](crate::StatusError::excerpt)) keeps.
pub const EXCERPT_LIMIT: usize = 512;

/// What an error shows of `body`, an answer to an operation whose answers may hold
/// credentials when `sensitive`: a note with its length, or its first [`EXCERPT_LIMIT`] bytes,
/// lossily decoded.
pub(crate) fn excerpt(sensitive: bool, body: &[u8]) -> String {
    if sensitive {
        withheld(body.len())
    } else {
        let end = body.len().min(EXCERPT_LIMIT);
        String::from_utf8_lossy(&body[..end]).into_owned()
    }
}

/// `body` as `Debug` shows it: withheld when `sensitive`, else as [`bytes::Bytes`] prints
/// itself.
pub(crate) fn debug_body(sensitive: bool, body: &bytes::Bytes) -> impl fmt::Debug + '_ {
    struct Shown<'a>(bool, &'a bytes::Bytes);

    impl fmt::Debug for Shown<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            if self.0 {
                f.write_str(&withheld(self.1.len()))
            } else {
                fmt::Debug::fmt(self.1, f)
            }
        }
    }

    Shown(sensitive, body)
}

/// The JSON error of decoding `body` as `error` shows it: unchanged, or, when `sensitive`,
/// without anything it quotes from the body.
///
/// serde's messages quote the offending value (`invalid type: string "..."`, `unknown variant
/// ...`), and in an answer that may hold credentials that value may be one. What is kept: the
/// kind of error, where it is, and the name of a missing field (which comes from the schema,
/// not from the body).
pub(crate) fn decode_error(sensitive: bool, error: serde_json::Error) -> serde_json::Error {
    use serde::de::Error as _;
    use serde_json::error::Category;

    if !sensitive {
        return error;
    }
    let message = error.to_string();
    let message = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(message, _)| message);
    let missing_field = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
        .filter(|name| {
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        });
    let what = match (error.classify(), missing_field) {
        (_, Some(name)) => format!("missing field `{name}`"),
        (Category::Syntax, None) => "invalid JSON".to_owned(),
        (Category::Eof, None) => "JSON that ends early".to_owned(),
        (Category::Data, None) => "a value that does not match the schema".to_owned(),
        (Category::Io, None) => "an unreadable body".to_owned(),
    };
    serde_json::Error::custom(format!(
        "{what} at line {} column {} (details withheld: this operation's answers may hold \
         credentials)",
        error.line(),
        error.column()
    ))
}

/// What stands in for a body of `len` bytes that may hold credentials, wherever it is shown.
fn withheld(len: usize) -> String {
    format!("<{len} bytes withheld: this operation's answers may hold credentials>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_bounded_and_lossy() {
        let body = vec![b'a'; 2 * EXCERPT_LIMIT];
        assert_eq!(excerpt(false, &body).len(), EXCERPT_LIMIT);
        assert_eq!(excerpt(false, &[0x66, 0xff, 0x6f]), "f\u{fffd}o");
    }

    #[test]
    fn withheld_bodies_only_say_their_length() {
        let withheld = "<12 bytes withheld: this operation's answers may hold credentials>";
        assert_eq!(excerpt(true, b"top-secret!!"), withheld);
        let body = bytes::Bytes::from_static(b"top-secret!!");
        assert_eq!(format!("{:?}", debug_body(true, &body)), withheld);
        assert_eq!(
            format!("{:?}", debug_body(false, &body)),
            format!("{body:?}")
        );
    }

    #[test]
    fn decoding_errors_of_sensitive_answers_quote_nothing() {
        let error = serde_json::from_str::<u8>(r#""top-secret""#).unwrap_err();
        let shown = decode_error(false, error).to_string();
        assert!(shown.contains("top-secret"), "{shown}");
        let error = serde_json::from_str::<u8>(r#""top-secret""#).unwrap_err();
        let shown = decode_error(true, error).to_string();
        assert_eq!(
            shown,
            "a value that does not match the schema at line 1 column 12 (details withheld: \
             this operation's answers may hold credentials)"
        );
    }
}
