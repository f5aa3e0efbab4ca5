//! Checks of `swarm_node` values that need no AWS call: they run at
//! `terraform validate`, so bad input never reaches AWS.

use crate::tags::{Reserved, Service, Tagging};

/// How the node tags its objects: it names them, and its security group
/// carries thirteen tags of the provider's (`Name`, `swarm:managed-by`,
/// `swarm:node`, `swarm:owner`, `swarm:role` and the eight settings import
/// reads back), its instances fewer.
pub const TAGGING: Tagging = Tagging {
    reserved: Reserved::NAMED,
    service: Service::Ec2,
    own_tags: 13,
};

pub use crate::instances::checks::name;

#[cfg(test)]
mod tests {

    /// `TAGGING.own_tags` is what the provider puts on the node's most
    /// tagged object, its security group (the settings import reads).
    #[tokio::test]
    async fn own_tags_are_those_of_the_group() {
        let client = crate::tags::test_client().await;
        let spec = super::super::state::Spec {
            name: "agents".to_owned(),
            ami: "ami-1".to_owned(),
            instance_type: "t3.large".to_owned(),
            instance_count: 2,
            subnet_ids: vec!["subnet-a".to_owned(), "subnet-b".to_owned()],
            agents_per_instance: 1,
            mcp_port: 3000,
            allowed_cidrs: Vec::new(),
            root_volume_size: 20,
            user_data: None,
            associate_public_ip: false,
            tags: None,
            marker: Some(crate::ownership::Marker::from_stored("m")),
        };
        let group = spec.group_tags(&client);
        let instance = spec.launch_tags(&client, 0, "fingerprint").instance;
        assert!(instance.len() <= group.len(), "{instance:?}");
        assert_eq!(group.len(), TAGGING.own_tags, "{group:?}");
    }

    use super::*;

    #[test]
    fn names() {
        for ok in ["a", "agents", "Agents-2", &"x".repeat(64)] {
            assert!(name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a_b", "a b", "agents!", &"x".repeat(65), "é"] {
            assert!(name(bad).is_err(), "{bad}");
        }
    }
}
