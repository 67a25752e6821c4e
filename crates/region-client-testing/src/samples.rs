//! Values of the generated types as the platform answers them, for stubs: a test changes what
//! it cares about and leaves the rest valid.
//!
//! ```
//! use region_client_testing::{harness::{ORGANIZATION_ID, PROJECT_ID}, samples};
//!
//! let mut network = samples::network(ORGANIZATION_ID, PROJECT_ID);
//! network.status.prefix = "10.1.0.0/16".to_owned();
//! assert_eq!(samples::region().metadata.id.to_string(), region_client_testing::region::REGION_ID);
//! ```

use region_openapi::types;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::region::{REGION_ID, network_json, region as region_json};

/// The region every fake serves ([`REGION_ID`], an OpenStack region named `uk-west-1`), as
/// `listRegions` lists it.
pub fn region() -> types::RegionRead {
    typed(region_json(REGION_ID, "openstack"))
}

/// A network of the region in `organization_id` and `project_id`, provisioned and healthy,
/// with a new random ID, prefix `192.168.0.0/24` and DNS server `8.8.8.8`, as `getNetworkV2`
/// reads it back.
pub fn network(organization_id: Uuid, project_id: Uuid) -> types::NetworkV2Read {
    typed(network_json(
        uuid::Builder::from_random_bytes(rand::random()).into_uuid(),
        organization_id,
        project_id,
        false,
    ))
}

fn typed<T: DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).unwrap_or_else(|error| {
        unreachable!("the kit's samples are valid answers of the spec: {error}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_valid_and_networks_distinct() {
        let (a, b) = (
            network(Uuid::nil(), Uuid::nil()),
            network(Uuid::nil(), Uuid::nil()),
        );
        assert_ne!(a.metadata.id, b.metadata.id);
        let id: Uuid = a.metadata.id.parse().unwrap();
        assert_eq!(id.get_version_num(), 4);
        assert_eq!(region().metadata.name.as_str(), "uk-west-1");
    }
}
