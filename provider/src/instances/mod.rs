//! EC2 instances as the provider launches them, for every resource that
//! runs hosts (`swarm_node`, `swarm_failover_pair`): the newest Ubuntu LTS
//! image, the swarm bootstrap as user data (`bootstrap`), IMDSv2 only, an
//! encrypted gp3 root volume, idempotent launches by client token, and the
//! waits for instances' states. The value checks and tier defaults those
//! resources share are here too (`checks`, [`default_instance_type`]), the
//! plan-time settings they resolve alike (`plan`), their schema attributes
//! (`schema`), their data sources' look-up by name (`lookup`), and the
//! ingress rules of the group in front of them ([`wanted_rules`]).
//!
//! What is a resource's own (which instances it has, how it finds them,
//! the tags it reads back at import) stays in the resource: everything here
//! takes its tags and names from the caller.

pub mod bootstrap;
pub mod checks;
pub mod lookup;
pub mod plan;
pub mod schema;

use std::collections::BTreeMap;

use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types::{
    AttributeValue, BlockDeviceMapping, DeviceType, EbsBlockDevice, Filter, HttpTokensState,
    Instance, InstanceAttributeName, InstanceMetadataEndpointState, InstanceMetadataOptionsRequest,
    InstanceNetworkInterfaceSpecification, InstanceType, ResourceType, VolumeType,
};
use tfplugin::diag::Diagnostic;

use crate::aws;
use crate::config::{Environment, SwarmClient};
use crate::ec2::filter;
use crate::ownership;
use crate::security_group::Rule;
use crate::tags;
use crate::waiter::{self, Poll, Wait, WaitError};

/// On instances: the instance's place in its resource (0-based).
pub const INDEX_TAG: &str = "swarm:index";
/// On instances: the fingerprint of what the instance was launched with.
pub const LAUNCH_TAG: &str = "swarm:launch";

/// The tier's instance type.
pub fn default_instance_type(environment: Environment) -> &'static str {
    match environment {
        Environment::Development => "t3.small",
        Environment::Staging => "t3.medium",
        Environment::Production => "t3.large",
    }
}

/// Whose objects a spec tags: the resource's kind and name, the user's
/// tags and the resource's ownership marker.
pub struct Owner<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    pub tags: Option<&'a BTreeMap<String, String>>,
    pub marker: Option<&'a ownership::Marker>,
}

impl Owner<'_> {
    /// The tags of one object of the resource, with the marker.
    pub fn object_tags(
        &self,
        client: &SwarmClient,
        role: &str,
        object_name: &str,
    ) -> BTreeMap<String, String> {
        let mut tags = tags::object_tags(
            client,
            &self.tags.cloned().unwrap_or_default(),
            self.kind,
            self.name,
            role,
            object_name,
        );
        ownership::mark(&mut tags, self.marker);
        tags
    }
}

/// The fingerprint of what a resource's instances are launched with (the
/// type aside, which changes in place), kept in their `swarm:launch` tag:
/// an instance whose tag differs is replaced. `more` are the resource's own
/// launch settings. The parts and their order are those of the tags on
/// running instances: changing them would replace every instance.
pub fn launch_fingerprint(
    ami: &str,
    bootstrap: &str,
    root_volume_size: i64,
    more: &[&str],
) -> String {
    let size = root_volume_size.to_string();
    let mut parts = vec!["v1", ami, bootstrap, size.as_str()];
    parts.extend_from_slice(more);
    bootstrap::fingerprint(&parts)
}

/// Rules as the state shows them, sorted.
pub fn rule_texts(rules: &[Rule]) -> Vec<String> {
    let mut texts: Vec<String> = rules.iter().map(ToString::to_string).collect();
    texts.sort();
    texts
}

/// The rules the group in front of instances must have, and nothing else:
/// `mcp_port` from `allowed_cidrs`.
pub fn wanted_rules(mcp_port: i64, allowed_cidrs: &[String]) -> Vec<Rule> {
    let port = i32::try_from(mcp_port).unwrap_or(0);
    let mut rules: Vec<Rule> = allowed_cidrs
        .iter()
        .map(|c| Rule::tcp_from_cidr(port, c))
        .collect();
    rules.sort();
    rules.dedup();
    rules
}

/// Canonical's account, owner of the official Ubuntu images.
pub const CANONICAL: &str = "099720109477";

/// Instances in these states belong to their resource; terminated ones do not.
pub const LIVE_STATES: [&str; 4] = ["pending", "running", "stopping", "stopped"];

/// An instance, as DescribeInstances shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inst {
    pub id: String,
    /// From the `swarm:index` tag; `None` if someone removed it.
    pub index: Option<usize>,
    pub state: String,
    pub state_reason: Option<String>,
    pub instance_type: String,
    pub image_id: String,
    pub private_ip: String,
    pub public_ip: Option<String>,
    pub az: String,
    pub subnet_id: String,
    pub vpc_id: String,
    pub owner_id: String,
    pub tags: BTreeMap<String, String>,
    pub volume_ids: Vec<String>,
    pub interface_ids: Vec<String>,
    /// The launch time, in seconds since the epoch.
    pub launched: i64,
}

impl Inst {
    pub fn from_sdk(owner: &str, i: &Instance) -> Option<Self> {
        let id = i.instance_id()?.to_owned();
        let tags = tags::ec2::from_sdk(i.tags());
        let owned = |s: Option<&str>| s.unwrap_or_default().to_owned();
        Some(Self {
            index: tags.get(INDEX_TAG).and_then(|v| v.parse().ok()),
            state: owned(i.state().and_then(|s| s.name()).map(|n| n.as_str())),
            state_reason: i
                .state_reason()
                .and_then(|r| r.message())
                .map(str::to_owned),
            instance_type: owned(i.instance_type().map(InstanceType::as_str)),
            image_id: owned(i.image_id()),
            private_ip: owned(i.private_ip_address()),
            public_ip: i
                .public_ip_address()
                .filter(|ip| !ip.is_empty())
                .map(str::to_owned),
            az: owned(i.placement().and_then(|p| p.availability_zone())),
            subnet_id: owned(i.subnet_id()),
            vpc_id: owned(i.vpc_id()),
            owner_id: owner.to_owned(),
            volume_ids: i
                .block_device_mappings()
                .iter()
                .filter_map(|m| m.ebs()?.volume_id())
                .map(str::to_owned)
                .collect(),
            interface_ids: i
                .network_interfaces()
                .iter()
                .filter_map(|n| n.network_interface_id())
                .map(str::to_owned)
                .collect(),
            launched: i.launch_time().map_or(0, |t| t.secs()),
            tags,
            id,
        })
    }

    /// `arn:aws:ec2:<region>:<account>:instance/<id>`.
    pub fn arn(&self, region: &str) -> String {
        format!(
            "arn:{}:ec2:{region}:{}:instance/{}",
            partition(region),
            self.owner_id,
            self.id
        )
    }
}

/// The AWS partition of a region.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else {
        "aws"
    }
}

/// Instances in index order: by index, then the oldest first.
pub fn sort_instances(instances: &mut [Inst]) {
    instances.sort_by(|a, b| {
        (a.index.unwrap_or(usize::MAX), a.launched, &a.id).cmp(&(
            b.index.unwrap_or(usize::MAX),
            b.launched,
            &b.id,
        ))
    });
}

/// DescribeInstances, all pages, in index order.
pub async fn describe_instances(
    client: &SwarmClient,
    filters: Vec<Filter>,
) -> Result<Vec<Inst>, Diagnostic> {
    let mut out = aws::all_pages(|token| {
        let request = client
            .ec2
            .describe_instances()
            .set_filters(Some(filters.clone()))
            .set_next_token(token)
            .send();
        async move {
            let page = aws::call("ec2", "DescribeInstances", request)
                .await
                .map_err(|e| aws::error("Cannot describe instances", &e))?;
            let instances = page
                .reservations()
                .iter()
                .flat_map(|reservation| {
                    let owner = reservation.owner_id().unwrap_or_default();
                    reservation
                        .instances()
                        .iter()
                        .filter_map(move |i| Inst::from_sdk(owner, i))
                })
                .collect();
            Ok((instances, page.next_token().map(str::to_owned)))
        }
    })
    .await?;
    sort_instances(&mut out);
    Ok(out)
}

/// Whether an Ubuntu image name is an LTS release (`NN.04`, NN even).
fn is_lts(name: &str) -> bool {
    name.split('-').any(|part| {
        part.split_once('.').is_some_and(|(major, minor)| {
            minor == "04" && major.len() == 2 && major.parse::<u32>().is_ok_and(|m| m % 2 == 0)
        })
    })
}

/// The newest Canonical Ubuntu LTS amd64 server image (EBS-backed, HVM).
pub async fn newest_ubuntu_lts(client: &SwarmClient) -> Result<String, Diagnostic> {
    let request = client
        .ec2
        .describe_images()
        .owners(CANONICAL)
        .filters(filter(
            "name",
            &["ubuntu/images/*/ubuntu-*-??.04-amd64-server-*"],
        ))
        .filters(filter("architecture", &["x86_64"]))
        .filters(filter("state", &["available"]))
        .filters(filter("virtualization-type", &["hvm"]))
        .send();
    let out = aws::call("ec2", "DescribeImages", request)
        .await
        .map_err(|e| aws::error("Cannot look up the newest Ubuntu image", &e))?;
    out.images()
        .iter()
        .filter(|i| i.root_device_type().is_none_or(|t| *t == DeviceType::Ebs))
        .filter(|i| i.name().is_some_and(is_lts))
        .filter_map(|i| {
            Some((
                i.creation_date().unwrap_or_default(),
                i.name().unwrap_or_default(),
                i.image_id()?,
            ))
        })
        .max()
        .map(|(_, _, id)| id.to_owned())
        .ok_or_else(|| {
            Diagnostic::error(
                "No Ubuntu image",
                format!(
                    "No Canonical Ubuntu LTS amd64 server image is listed in {}; set ami.",
                    client.region
                ),
            )
        })
}

/// The root device name of an image (`/dev/sda1` for Ubuntu).
pub async fn root_device(client: &SwarmClient, ami: &str) -> Result<String, Diagnostic> {
    let request = client.ec2.describe_images().image_ids(ami).send();
    let not_found = || {
        Diagnostic::error(
            "AMI not found",
            format!(
                "ami: {ami} does not exist in {} or is not shared with this account.",
                client.region
            ),
        )
    };
    let out = match aws::call("ec2", "DescribeImages", request).await {
        Ok(out) => out,
        Err(e) if e.code().is_some_and(|c| c.starts_with("InvalidAMIID.")) => {
            return Err(not_found());
        }
        Err(e) => return Err(aws::error(format!("Cannot describe ami {ami}"), &e)),
    };
    let image = out.images().first().ok_or_else(not_found)?;
    Ok(image.root_device_name().unwrap_or("/dev/sda1").to_owned())
}

/// An instance's user data, decoded.
pub async fn user_data(
    client: &SwarmClient,
    instance_id: &str,
) -> Result<Option<String>, Diagnostic> {
    let request = client
        .ec2
        .describe_instance_attribute()
        .instance_id(instance_id)
        .attribute(InstanceAttributeName::UserData)
        .send();
    let out = aws::call("ec2", "DescribeInstanceAttribute", request)
        .await
        .map_err(|e| aws::error("Cannot read an instance's user data", &e))?;
    Ok(out
        .user_data()
        .and_then(|v| v.value())
        .and_then(bootstrap::base64_decode)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
}

/// What an instance is launched with.
pub struct Launch<'a> {
    pub name: &'a str,
    pub ami: &'a str,
    pub instance_type: &'a str,
    pub root_device: &'a str,
    pub root_volume_size: i32,
    pub associate_public_ip: bool,
    /// Base64.
    pub user_data: &'a str,
    pub fingerprint: &'a str,
    pub group_id: &'a str,
}

/// The tags of one instance's objects.
pub struct LaunchTags {
    pub instance: BTreeMap<String, String>,
    pub volume: BTreeMap<String, String>,
    pub interface: BTreeMap<String, String>,
}

/// How many client tokens one launch tries: each instance of the same index
/// terminated within the day EC2 remembers tokens adds one to the chain.
const LAUNCH_TOKEN_TRIES: usize = 16;

/// Launches the instance at `index` in `subnet_id`.
///
/// The client token is derived from everything that defines the launch,
/// so a retried call returns the same instance instead of a second one.
/// EC2 remembers tokens after termination too: if it answers with an
/// instance that is already terminated (an earlier launch of the same
/// index), the token is salted with that instance's id and the call made
/// again.
pub async fn run_instance(
    client: &SwarmClient,
    launch: &Launch<'_>,
    index: usize,
    subnet_id: &str,
    tags: &LaunchTags,
) -> Result<Inst, Diagnostic> {
    let mut salt = String::new();
    for _ in 0..LAUNCH_TOKEN_TRIES {
        let token = format!(
            "swarm-{index}-{}",
            bootstrap::fingerprint(&[
                launch.name,
                &index.to_string(),
                launch.fingerprint,
                launch.instance_type,
                subnet_id,
                launch.group_id,
                // Two nodes of one name launch nothing of each other's.
                tags.instance.get(ownership::KEY).map_or("", String::as_str),
                &salt,
            ])
        );
        let interface = InstanceNetworkInterfaceSpecification::builder()
            .device_index(0)
            .subnet_id(subnet_id)
            .groups(launch.group_id)
            .associate_public_ip_address(launch.associate_public_ip)
            .delete_on_termination(true)
            .build();
        let root = BlockDeviceMapping::builder()
            .device_name(launch.root_device)
            .ebs(
                EbsBlockDevice::builder()
                    .volume_size(launch.root_volume_size)
                    .volume_type(VolumeType::Gp3)
                    .encrypted(true)
                    .delete_on_termination(true)
                    .build(),
            )
            .build();
        let metadata = InstanceMetadataOptionsRequest::builder()
            .http_tokens(HttpTokensState::Required)
            .http_endpoint(InstanceMetadataEndpointState::Enabled)
            .http_put_response_hop_limit(1)
            .build();
        let request = client
            .ec2
            .run_instances()
            .image_id(launch.ami)
            .instance_type(InstanceType::from(launch.instance_type))
            .min_count(1)
            .max_count(1)
            .client_token(token)
            .network_interfaces(interface)
            .block_device_mappings(root)
            .metadata_options(metadata)
            .user_data(launch.user_data)
            .tag_specifications(tags::ec2::spec(ResourceType::Instance, &tags.instance))
            .tag_specifications(tags::ec2::spec(ResourceType::Volume, &tags.volume))
            .tag_specifications(tags::ec2::spec(
                ResourceType::NetworkInterface,
                &tags.interface,
            ))
            .send();
        let out = match aws::call("ec2", "RunInstances", request).await {
            Ok(out) => out,
            // The token was used before with other parameters (tags, say).
            Err(e) if e.code() == Some("IdempotentParameterMismatch") => {
                salt.push_str("/parameters");
                continue;
            }
            Err(e) => {
                return Err(aws::error(
                    format!("Cannot launch instance {} of {}", index + 1, launch.name),
                    &e,
                ));
            }
        };
        let owner = out.owner_id().unwrap_or_default();
        let inst = out
            .instances()
            .first()
            .and_then(|i| Inst::from_sdk(owner, i))
            .ok_or_else(|| {
                Diagnostic::error("No instance launched", "RunInstances returned no instance.")
            })?;
        if matches!(inst.state.as_str(), "shutting-down" | "terminated") {
            tracing::debug!(instance = %inst.id, "client token answered with a terminated instance; salting it");
            salt = inst.id;
            continue;
        }
        return Ok(inst);
    }
    Err(Diagnostic::error(
        "Cannot launch an instance",
        format!(
            "EC2 kept answering RunInstances for instance {} with terminated instances.",
            index + 1
        ),
    ))
}

/// Terminates instances (those already gone are fine).
pub async fn terminate(client: &SwarmClient, ids: &[String]) -> Result<(), Diagnostic> {
    if ids.is_empty() {
        return Ok(());
    }
    let request = client
        .ec2
        .terminate_instances()
        .set_instance_ids(Some(ids.to_vec()))
        .send();
    match aws::call("ec2", "TerminateInstances", request).await {
        Ok(_) => Ok(()),
        // One unknown id fails the whole call: go one by one.
        Err(e) if e.code() == Some("InvalidInstanceID.NotFound") && ids.len() > 1 => {
            for id in ids {
                Box::pin(terminate(client, std::slice::from_ref(id))).await?;
            }
            Ok(())
        }
        Err(e) if e.code() == Some("InvalidInstanceID.NotFound") => Ok(()),
        Err(e) => Err(aws::error("Cannot terminate instances", &e)),
    }
}

/// The state instances are waited into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Running,
    Stopped,
    /// Running or stopped: not in transition.
    Settled,
    Terminated,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Running => "running",
            Target::Stopped => "stopped",
            Target::Settled => "running or stopped",
            Target::Terminated => "terminated",
        }
    }
}

/// Waits until every instance in `ids` reaches `target`; returns them as
/// last seen. Instances not listed yet (EC2 is eventually consistent)
/// count as pending, except when waiting for termination.
pub async fn wait_instances(
    client: &SwarmClient,
    ids: &[String],
    target: Target,
    wait: &Wait<'_>,
) -> Result<Vec<Inst>, Diagnostic> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let what = format!("{} to be {}", ids.join(", "), target.name());
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let result = waiter::wait_for(&what, wait.remaining(), wait.cancel, || {
        let id_refs = id_refs.clone();
        async move {
            let seen = describe_instances(client, vec![filter("instance-id", &id_refs)]).await?;
            let mut pending = Vec::new();
            for id in &id_refs {
                let state = seen
                    .iter()
                    .find(|i| i.id == *id)
                    .map_or("not listed yet", |i| i.state.as_str());
                let done = match (target, state) {
                    (Target::Terminated, "terminated" | "not listed yet") => true,
                    (Target::Terminated, _) => false,
                    (_, "shutting-down" | "terminated") => {
                        let reason = seen
                            .iter()
                            .find(|i| i.id == *id)
                            .and_then(|i| i.state_reason.clone())
                            .unwrap_or_default();
                        return Err(Diagnostic::error(
                            "Instance terminated",
                            format!(
                                "{id} was terminated while waiting for it to be {}: {reason}",
                                target.name()
                            ),
                        ));
                    }
                    (Target::Running, s) => s == "running",
                    (Target::Stopped, s) => s == "stopped",
                    (Target::Settled, s) => s == "running" || s == "stopped",
                };
                if !done {
                    pending.push(format!("{id} {state}"));
                }
            }
            Ok(if pending.is_empty() {
                Poll::Ready(seen)
            } else {
                Poll::Pending(pending.join(", "))
            })
        }
    })
    .await;
    result.map_err(WaitError::into_diagnostic)
}

/// Changes an instance's type: stop, modify, start (the only way EC2 allows).
pub async fn set_instance_type(
    client: &SwarmClient,
    inst: &Inst,
    instance_type: &str,
    wait: &Wait<'_>,
) -> Result<(), Diagnostic> {
    let ids = std::slice::from_ref(&inst.id);
    let settled = wait_instances(client, ids, Target::Settled, wait).await?;
    if settled.iter().any(|i| i.state == "running") {
        let request = client.ec2.stop_instances().instance_ids(&inst.id).send();
        aws::call("ec2", "StopInstances", request)
            .await
            .map_err(|e| aws::error(format!("Cannot stop {} to resize it", inst.id), &e))?;
        wait_instances(client, ids, Target::Stopped, wait).await?;
    }
    let request = client
        .ec2
        .modify_instance_attribute()
        .instance_id(&inst.id)
        .instance_type(AttributeValue::builder().value(instance_type).build())
        .send();
    let modified = aws::call("ec2", "ModifyInstanceAttribute", request)
        .await
        .map_err(|e| aws::error(format!("Cannot change the type of {}", inst.id), &e));
    // Started again whether the change worked or not: a failed resize
    // must not leave the node short of an instance.
    let request = client.ec2.start_instances().instance_ids(&inst.id).send();
    aws::call("ec2", "StartInstances", request)
        .await
        .map_err(|e| aws::error(format!("Cannot start {} again", inst.id), &e))?;
    wait_instances(client, ids, Target::Running, wait).await?;
    modified.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Running instances carry fingerprints made of exactly these parts:
    /// a different one would replace them all at the next apply.
    #[test]
    fn launch_fingerprints_keep_their_parts() {
        assert_eq!(
            launch_fingerprint("ami-1", "#!/bin/bash", 20, &["true"]),
            bootstrap::fingerprint(&["v1", "ami-1", "#!/bin/bash", "20", "true"])
        );
        assert_eq!(
            launch_fingerprint("ami-1", "#!/bin/bash", 20, &[]),
            bootstrap::fingerprint(&["v1", "ami-1", "#!/bin/bash", "20"])
        );
    }

    #[test]
    fn lts_names() {
        assert!(is_lts(
            "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20240423"
        ));
        assert!(is_lts(
            "ubuntu/images/hvm-ssd/ubuntu-xenial-16.04-amd64-server-20170721"
        ));
        assert!(!is_lts(
            "ubuntu/images/hvm-ssd/ubuntu-oracular-24.10-amd64-server-20241009"
        ));
        assert!(!is_lts(
            "ubuntu/images/hvm-ssd/ubuntu-lunar-23.04-amd64-server-20230601"
        ));
    }

    #[test]
    fn partitions() {
        assert_eq!(partition("us-east-1"), "aws");
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
    }
}
