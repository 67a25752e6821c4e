//! The region API's clock: the `Date` of every answer, which a test can put off the true time
//! ([`RegionApi::set_clock_offset`](super::RegionApi::set_clock_offset)), as a server whose
//! clock is wrong is seen by its callers.

use std::time::{Duration, SystemTime};

use crate::server::Reply;

/// `reply` with the `Date` of a server clock `offset` seconds ahead of the true time (behind
/// when negative). A reply without a head (a closed connection) is left as it is.
pub(super) fn stamp(reply: Reply, offset: i64) -> Reply {
    let Some(date) = date(SystemTime::now(), offset) else {
        return reply;
    };
    match reply {
        Reply::Respond(mut response) => {
            response.headers_mut().insert(http::header::DATE, date);
            Reply::Respond(response)
        }
        Reply::CutBody(mut response) => {
            response.headers_mut().insert(http::header::DATE, date);
            Reply::CutBody(response)
        }
        other => other,
    }
}

/// The first second HTTP dates cannot write (year 10000).
const END_OF_HTTP_DATES: Duration = Duration::from_secs(253_402_300_800);

/// The HTTP date `offset` seconds from `now`, when it can be written (between 1970 and the
/// year 9999).
fn date(now: SystemTime, offset: i64) -> Option<http::HeaderValue> {
    let shift = Duration::from_secs(offset.unsigned_abs());
    let at = if offset < 0 {
        now.checked_sub(shift)
    } else {
        now.checked_add(shift)
    }?;
    let since_epoch = at.duration_since(SystemTime::UNIX_EPOCH).ok()?;
    if since_epoch >= END_OF_HTTP_DATES {
        return None;
    }
    http::HeaderValue::from_str(&httpdate::fmt_http_date(at)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_date_is_the_clock_moved_by_the_offset() {
        // 2026-01-01T00:00:00Z.
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        let text = |offset| date(now, offset).unwrap().to_str().unwrap().to_owned();
        assert_eq!(text(0), "Thu, 01 Jan 2026 00:00:00 GMT");
        assert_eq!(text(300), "Thu, 01 Jan 2026 00:05:00 GMT");
        assert_eq!(text(-60), "Wed, 31 Dec 2025 23:59:00 GMT");
        // No date at all rather than a panic, whatever a test sets.
        assert!(date(SystemTime::UNIX_EPOCH, -1).is_none());
        assert!(date(now, i64::MAX).is_none());
        assert!(date(now, i64::MIN).is_none());
    }

    #[test]
    fn every_answer_with_a_head_is_dated() {
        let response = http::Response::new(bytes::Bytes::new());
        let Reply::Respond(dated) = stamp(Reply::Respond(response), 0) else {
            panic!("still an answer");
        };
        assert!(dated.headers().contains_key(http::header::DATE));
        assert!(matches!(stamp(Reply::Close, 0), Reply::Close));
    }
}
