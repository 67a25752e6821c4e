//! Command-line flags (feature `clap`, on by default) for [`HttpOptions`] and
//! [`HttpClientOptions`], with environment-variable fallbacks, named as the platform's Go
//! services name them.
//!
//! Both types glue to clap the same way: `options.augment_args(command)` adds the flags, with
//! the options' current values as defaults (so that options built in code can be overridden
//! from the command line), and `options.update_from_arg_matches(&matches)` reads them back.
//! Argument ids are the flag names, so several services' options coexist in one command.
//! [`HttpClientOptions`] also implements [`clap::Args`] and [`clap::FromArgMatches`] for
//! `#[command(flatten)]` (its flags do not depend on a service name); that is the same glue.
//!
//! ```
//! use core_client::{HttpClientOptions, HttpOptions};
//!
//! let mut region = HttpOptions::new("region");
//! let mut identity = HttpOptions::new("identity");
//! let mut client = HttpClientOptions::new();
//! let command = clap::Command::new("svc");
//! let command = region.augment_args(command);
//! let command = identity.augment_args(command);
//! let command = client.augment_args(command);
//!
//! let matches = command.get_matches_from([
//!     "svc",
//!     "--region-host", "https://region.example.com",
//!     "--region-ca-secret-namespace", "unikorn",
//!     "--region-ca-secret-name", "region-ca",
//!     "--identity-host", "https://identity.example.com",
//!     "--client-certificate-namespace", "unikorn",
//!     "--client-certificate-name", "compute-client",
//! ]);
//! region.update_from_arg_matches(&matches).unwrap();
//! identity.update_from_arg_matches(&matches).unwrap();
//! client.update_from_arg_matches(&matches).unwrap();
//!
//! assert_eq!(region.host(), "https://region.example.com");
//! assert_eq!(region.ca_secret().unwrap().to_string(), "unikorn/region-ca");
//! assert_eq!(identity.ca_secret(), None);
//! assert_eq!(client.certificate().unwrap().name, "compute-client");
//! ```

use crate::{
    HttpClientOptions, HttpOptions, OptionsError, SecretRef,
    duration::{format_duration, parse_duration},
    options::clamp_reload_interval,
};

const CLIENT_CERTIFICATE: &str = "client-certificate";
const CLIENT_NAMESPACE_FLAG: &str = "client-certificate-namespace";
const CLIENT_NAME_FLAG: &str = "client-certificate-name";
const CLIENT_RELOAD_FLAG: &str = "client-certificate-reload-interval";

/// A flag: `--{id}`, falling back to the environment variable `env`, defaulting to `current`
/// when that is set.
fn flag(
    id: String,
    env: String,
    value_name: &'static str,
    help: String,
    current: Option<String>,
) -> clap::Arg {
    let arg = clap::Arg::new(id.clone())
        .long(id)
        .env(env)
        .value_name(value_name)
        .help(help);
    match current {
        Some(value) if !value.is_empty() => arg.default_value(value),
        _ => arg,
    }
}

/// The value of the flag `id` in `matches`, when given and not empty.
fn value(matches: &clap::ArgMatches, id: &str) -> Option<String> {
    matches
        .try_get_one::<String>(id)
        .ok()
        .flatten()
        .filter(|v| !v.is_empty())
        .cloned()
}

/// The Secret named by the flags `--{prefix}-namespace` and `--{prefix}-name`: both or none.
fn secret(matches: &clap::ArgMatches, prefix: &str) -> Result<Option<SecretRef>, OptionsError> {
    let namespace = value(matches, &format!("{prefix}-namespace"));
    let name = value(matches, &format!("{prefix}-name"));
    match (namespace, name) {
        (Some(namespace), Some(name)) => Ok(Some(SecretRef { namespace, name })),
        (None, None) => Ok(None),
        _ => Err(OptionsError::IncompleteSecret {
            flag_prefix: prefix.to_owned(),
        }),
    }
}

impl HttpOptions {
    /// Adds this service's flags to `command`: `--{service}-host`,
    /// `--{service}-ca-secret-namespace` and `--{service}-ca-secret-name`, falling back to
    /// `{SERVICE}_HOST`, `{SERVICE}_CA_SECRET_NAMESPACE` and `{SERVICE}_CA_SECRET_NAME`.
    ///
    /// The current values act as defaults, so options built in code can be overridden from the
    /// command line. Argument ids are the flag names, so several services coexist.
    pub fn augment_args(&self, command: clap::Command) -> clap::Command {
        let service = &self.service;
        let env = service.to_uppercase().replace('-', "_");
        let ca = self.ca_secret.as_ref();
        command
            .arg(flag(
                format!("{service}-host"),
                format!("{env}_HOST"),
                "HOST",
                format!("Base URL of the {service} service"),
                Some(self.host.clone()),
            ))
            .arg(flag(
                format!("{service}-ca-secret-namespace"),
                format!("{env}_CA_SECRET_NAMESPACE"),
                "CA_SECRET_NAMESPACE",
                format!("Namespace of the Secret holding the {service} CA"),
                ca.map(|s| s.namespace.clone()),
            ))
            .arg(flag(
                format!("{service}-ca-secret-name"),
                format!("{env}_CA_SECRET_NAME"),
                "CA_SECRET_NAME",
                format!("Name of the Secret holding the {service} CA"),
                ca.map(|s| s.name.clone()),
            ))
    }

    /// Reads this service's flags from `matches` (of a command built with
    /// [`HttpOptions::augment_args`]). Only one of the CA Secret's namespace and name is
    /// [`OptionsError::IncompleteSecret`].
    pub fn update_from_arg_matches(
        &mut self,
        matches: &clap::ArgMatches,
    ) -> Result<(), OptionsError> {
        if let Some(host) = value(matches, &format!("{}-host", self.service)) {
            self.host = host;
        }
        self.ca_secret = secret(matches, &format!("{}-ca-secret", self.service))?;
        Ok(())
    }
}

impl HttpClientOptions {
    /// Adds the client-certificate flags to `command` (see [`HttpClientOptions`]), the current
    /// values acting as defaults.
    pub fn augment_args(&self, command: clap::Command) -> clap::Command {
        let certificate = self.certificate.as_ref();
        command
            .arg(flag(
                CLIENT_NAMESPACE_FLAG.to_owned(),
                "CLIENT_CERTIFICATE_NAMESPACE".to_owned(),
                "NAMESPACE",
                "Namespace of the Secret holding this service's client certificate".to_owned(),
                certificate.map(|s| s.namespace.clone()),
            ))
            .arg(flag(
                CLIENT_NAME_FLAG.to_owned(),
                "CLIENT_CERTIFICATE_NAME".to_owned(),
                "NAME",
                "Name of the Secret holding this service's client certificate".to_owned(),
                certificate.map(|s| s.name.clone()),
            ))
            .arg(
                flag(
                    CLIENT_RELOAD_FLAG.to_owned(),
                    "CLIENT_CERTIFICATE_RELOAD_INTERVAL".to_owned(),
                    "DURATION",
                    "How often TLS Secrets are re-read to pick up rotations (e.g. 1m, 24h); 0 \
                     disables reloading"
                        .to_owned(),
                    Some(format_duration(self.reload_interval)),
                )
                .value_parser(|value: &str| parse_duration(value).map(|_| value.to_owned())),
            )
    }

    /// Reads the client-certificate flags from `matches` (of a command built with
    /// [`HttpClientOptions::augment_args`]). Only one of the Secret's namespace and name is
    /// [`OptionsError::IncompleteSecret`]; a reload interval that is not a duration is
    /// [`OptionsError::InvalidDuration`].
    pub fn update_from_arg_matches(
        &mut self,
        matches: &clap::ArgMatches,
    ) -> Result<(), OptionsError> {
        self.certificate = secret(matches, CLIENT_CERTIFICATE)?;
        if let Some(interval) = value(matches, CLIENT_RELOAD_FLAG) {
            let interval =
                parse_duration(&interval).map_err(|source| OptionsError::InvalidDuration {
                    flag: CLIENT_RELOAD_FLAG,
                    source,
                })?;
            self.reload_interval = clamp_reload_interval(interval);
        }
        Ok(())
    }
}

/// For `#[command(flatten)]`: [`HttpClientOptions::augment_args`] from the defaults.
impl clap::Args for HttpClientOptions {
    fn augment_args(command: clap::Command) -> clap::Command {
        Self::default().augment_args(command)
    }

    fn augment_args_for_update(command: clap::Command) -> clap::Command {
        Self::default().augment_args(command)
    }
}

/// For `#[command(flatten)]`: [`HttpClientOptions::update_from_arg_matches`].
impl clap::FromArgMatches for HttpClientOptions {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let mut options = Self::default();
        clap::FromArgMatches::update_from_arg_matches(&mut options, matches)?;
        Ok(options)
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        HttpClientOptions::update_from_arg_matches(self, matches).map_err(|error| {
            let kind = match error {
                OptionsError::IncompleteSecret { .. } => clap::error::ErrorKind::ArgumentConflict,
                OptionsError::InvalidDuration { .. } => clap::error::ErrorKind::ValueValidation,
            };
            // clap prints a message, not a chain of causes: the causes go into it.
            let mut message = error.to_string();
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            clap::Error::raw(kind, message + "\n")
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::{DEFAULT_RELOAD_INTERVAL, MIN_RELOAD_INTERVAL};

    /// The command of `options` and a client certificate's flags, the current values as
    /// defaults, parsing `args`.
    fn parse(
        options: &[&HttpOptions],
        client: &HttpClientOptions,
        args: &[&str],
    ) -> Result<clap::ArgMatches, clap::Error> {
        let mut command = clap::Command::new("test").no_binary_name(true);
        for o in options {
            command = o.augment_args(command);
        }
        client.augment_args(command).try_get_matches_from(args)
    }

    /// Checks that clap's traits (for `#[command(flatten)]`) refuse `matches` too, with an
    /// error of `kind` whose text (causes included) contains `text`.
    fn refused_through_clap_traits(
        matches: &clap::ArgMatches,
        kind: clap::error::ErrorKind,
        text: &str,
    ) {
        match <HttpClientOptions as clap::FromArgMatches>::from_arg_matches(matches) {
            Ok(options) => panic!("accepted: {options:?}"),
            Err(error) => {
                assert_eq!(error.kind(), kind);
                assert!(error.to_string().contains(text), "{error}");
            }
        }
    }

    #[test]
    fn incomplete_secret_is_an_error_naming_the_flags() {
        let mut region = HttpOptions::new("region");
        let matches = parse(
            &[&region],
            &HttpClientOptions::new(),
            &["--region-ca-secret-name", "ca"],
        )
        .unwrap();
        let err = region.update_from_arg_matches(&matches).unwrap_err();
        assert!(
            err.to_string().contains("--region-ca-secret-namespace"),
            "{err}"
        );

        let mut client = HttpClientOptions::new();
        let matches = parse(&[], &client, &["--client-certificate-namespace", "ns"]).unwrap();
        let err = client.update_from_arg_matches(&matches).unwrap_err();
        assert!(
            matches!(&err, OptionsError::IncompleteSecret { flag_prefix } if flag_prefix == "client-certificate"),
            "{err}"
        );
        let conflict = clap::error::ErrorKind::ArgumentConflict;
        refused_through_clap_traits(&matches, conflict, "client-certificate");
    }

    #[test]
    fn reload_interval_takes_go_durations_and_zero_disables() {
        let reload = |args: &[&str]| {
            let mut client = HttpClientOptions::new();
            let matches = parse(&[], &client, args)?;
            client.update_from_arg_matches(&matches).unwrap();
            Ok::<_, clap::Error>(client.reload_interval())
        };
        assert_eq!(reload(&[]).unwrap(), DEFAULT_RELOAD_INTERVAL);
        let flag = "--client-certificate-reload-interval";
        assert_eq!(reload(&[flag, "24h"]).unwrap(), Duration::from_secs(86_400));
        assert_eq!(reload(&[flag, "0"]).unwrap(), Duration::ZERO);
        // Never a tight loop: tiny values are raised to the minimum.
        assert_eq!(reload(&[flag, "1ns"]).unwrap(), MIN_RELOAD_INTERVAL);
        let error = reload(&[flag, "ten"]).unwrap_err();
        assert!(error.to_string().contains("ten"), "{error}");

        // Matches of a command that did not check the value: the typed error, its cause kept.
        let matches = clap::Command::new("test")
            .no_binary_name(true)
            .arg(clap::Arg::new(CLIENT_RELOAD_FLAG).long(CLIENT_RELOAD_FLAG))
            .try_get_matches_from([flag, "ten"])
            .unwrap();
        let error = HttpClientOptions::new()
            .update_from_arg_matches(&matches)
            .unwrap_err();
        assert!(
            matches!(&error, OptionsError::InvalidDuration { source, .. } if source.value == "ten"),
            "{error:?}"
        );
        let invalid = clap::error::ErrorKind::ValueValidation;
        refused_through_clap_traits(&matches, invalid, "\"ten\"");
    }

    #[test]
    fn code_values_are_defaults_and_flags_override_them() {
        let mut region = HttpOptions::new("region")
            .with_host("https://default")
            .with_ca_secret("ns", "ca");
        let mut client = HttpClientOptions::new()
            .with_certificate("ns", "client")
            .with_reload_interval(Duration::from_secs(300));
        let matches = parse(&[&region], &client, &["--region-host", "https://flag"]).unwrap();
        region.update_from_arg_matches(&matches).unwrap();
        client.update_from_arg_matches(&matches).unwrap();
        assert_eq!(region.host(), "https://flag");
        assert_eq!(region.ca_secret(), Some(&SecretRef::new("ns", "ca")));
        assert_eq!(client.certificate(), Some(&SecretRef::new("ns", "client")));
        assert_eq!(client.reload_interval(), Duration::from_secs(300));
    }
}
