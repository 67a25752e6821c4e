//! The environment-variable fallbacks of the flags, read for real.
//!
//! This file holds a single test so that its binary runs no other thread while the
//! environment is changed.
#![cfg(feature = "clap")]

use std::time::Duration;

use core_client::{HttpClientOptions, HttpOptions, SecretRef};

#[test]
fn flags_fall_back_to_the_environment_and_flags_win() {
    #[allow(unsafe_code)]
    // SAFETY: this test binary has one test and starts no threads, so nothing reads the
    // environment while it is written.
    unsafe {
        std::env::set_var("REGION_HOST", "https://from-env");
        std::env::set_var("REGION_CA_SECRET_NAMESPACE", "env-ns");
        std::env::set_var("REGION_CA_SECRET_NAME", "env-ca");
        std::env::set_var("CLIENT_CERTIFICATE_NAMESPACE", "env-ns");
        std::env::set_var("CLIENT_CERTIFICATE_NAME", "env-client");
        std::env::set_var("CLIENT_CERTIFICATE_RELOAD_INTERVAL", "24h");
    }
    let command = |region: &HttpOptions, identity: &HttpOptions| {
        let command = clap::Command::new("svc").no_binary_name(true);
        let command = identity.augment_args(region.augment_args(command));
        HttpClientOptions::new().augment_args(command)
    };

    let mut region = HttpOptions::new("region");
    let mut identity = HttpOptions::new("identity");
    let matches = command(&region, &identity)
        .try_get_matches_from(Vec::<&str>::new())
        .unwrap();
    region.update_from_arg_matches(&matches).unwrap();
    identity.update_from_arg_matches(&matches).unwrap();
    let mut client = HttpClientOptions::new();
    client.update_from_arg_matches(&matches).unwrap();
    assert_eq!(region.host(), "https://from-env");
    assert_eq!(
        region.ca_secret(),
        Some(&SecretRef::new("env-ns", "env-ca"))
    );
    assert_eq!(
        identity.host(),
        "",
        "another service's variables are its own"
    );
    assert_eq!(
        client.certificate(),
        Some(&SecretRef::new("env-ns", "env-client"))
    );
    assert_eq!(client.reload_interval(), Duration::from_secs(24 * 3600));

    let mut region = HttpOptions::new("region");
    let matches = command(&region, &identity)
        .try_get_matches_from(["--region-host", "https://from-flag"])
        .unwrap();
    region.update_from_arg_matches(&matches).unwrap();
    assert_eq!(region.host(), "https://from-flag");
}
