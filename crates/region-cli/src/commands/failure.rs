//! What a failed command prints: the cause chain and, when the region API answered, its status
//! and the platform's error body (code, description, trace ID): as text on the error stream,
//! or as a JSON or YAML document on the output stream for automation.

use std::io::Write;

use http::StatusCode;
use region_client::ReferencesError;
use region_openapi::types;
use serde::Serialize;

use crate::{cli::Format, render};

/// A failure as printed for automation: `{"error": {...}}`.
#[derive(Serialize)]
struct Document<'a> {
    error: Failure<'a>,
}

#[derive(Serialize)]
struct Failure<'a> {
    /// The whole cause chain, one line.
    message: String,
    /// The status the region API answered with, when it answered.
    status: Option<u16>,
    /// The platform's error code (`forbidden`, `not_found`, ...).
    code: Option<&'a str>,
    /// The platform's description.
    description: Option<&'a str>,
    /// The trace ID of the request in the platform's logs.
    trace_id: Option<&'a str>,
}

/// The region API's answer in `error`'s chain, when it answered.
fn answer(error: &anyhow::Error) -> Option<(StatusCode, Option<&types::Error>)> {
    error.chain().find_map(|cause| {
        if let Some(error) = cause.downcast_ref::<region_openapi::Error>() {
            return error.status().map(|status| (status, error.error_body()));
        }
        if let Some(error) = cause.downcast_ref::<ReferencesError>() {
            return error.status().map(|status| (status, error.error_body()));
        }
        None
    })
}

/// Prints `error`: as text on `err`, or in `format` on `out`.
pub(crate) fn report(
    error: &anyhow::Error,
    format: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<()> {
    let answer = answer(error);
    let body = answer.and_then(|(_, body)| body);
    if format != Format::Text {
        let document = Document {
            error: Failure {
                message: format!("{error:#}"),
                status: answer.map(|(status, _)| status.as_u16()),
                code: body.map(|b| b.error.as_str()),
                description: body.map(|b| b.error_description.as_str()),
                trace_id: body.and_then(|b| b.trace_id.as_deref()),
            },
        };
        return render::structured(format, &document, out).map_err(std::io::Error::other);
    }
    writeln!(err, "error: {error:#}")?;
    if let Some((status, _)) = answer {
        writeln!(err, "  status:      {status}")?;
    }
    if let Some(body) = body {
        writeln!(err, "  error:       {}", body.error)?;
        writeln!(err, "  description: {}", body.error_description)?;
        if let Some(trace) = &body.trace_id {
            writeln!(err, "  trace id:    {trace}")?;
        }
    }
    Ok(())
}
