//! Making AWS match the plan, and taking the database down.
//!
//! `converge` serves create, update, the repair of drift and the retry of
//! a failed apply alike: it looks at what exists and makes, changes or
//! removes only what differs, so running it twice changes nothing.

use aws_sdk_rds::types::DbInstance;
use futures_util::future::try_join_all;
use tfplugin::diag::Diagnostic;

use super::checks;
use super::cloud::{self, Observed};
use super::state::{Password, Spec};
use crate::aws;
use crate::config::SwarmClient;
use crate::ec2::{self, Subnet};
use crate::ownership::{self, Identity, Marker, Taken};
use crate::security_group::{self, NewGroup};
use crate::tags;
use crate::waiter::Wait;

const STORAGE_TYPE: &str = "gp3";

/// Makes AWS match `spec`. `found` finds what exists (by the spec's
/// marker, or, for a state without one, the unmarked objects of the name,
/// which the tag sync at the end marks).
pub async fn converge(
    client: &SwarmClient,
    spec: &Spec,
    found: &Identity,
    wait: &Wait<'_>,
) -> Result<(), Diagnostic> {
    let password = &spec.password;
    let (everything, subnets) = tokio::join!(
        cloud::observe_all(client, &spec.name, true),
        cloud::subnets(client, &spec.subnet_ids)
    );
    let (everything, subnets) = (everything?, subnets?);
    // What answers to the names but is not this database's (someone made
    // it since this database's went): the create of those names would
    // fail, and nothing of theirs is to be touched.
    let mine = everything.clone().only(found);
    let theirs: Vec<Taken> = everything
        .taken(&spec.name, spec.read_replicas)
        .into_iter()
        .filter(|t| !mine.taken(&spec.name, spec.read_replicas).contains(t))
        .collect();
    if !theirs.is_empty() {
        return Err(ownership::name_taken("swarm_database", &spec.name, &theirs));
    }
    let seen = mine;
    let vpc_id = subnets
        .first()
        .map(|s| s.vpc_id.clone())
        .unwrap_or_default();

    // Replicas no longer wanted go first: the subnet group cannot drop a
    // subnet while an instance is in it.
    remove_extra_replicas(client, spec, &seen, wait).await?;
    // Independent of each other; the primary needs both.
    let (subnet_group, group) = tokio::join!(
        ensure_subnet_group(client, spec, &seen),
        ensure_group(client, spec, &seen, &vpc_id, wait)
    );
    subnet_group?;
    let group = group?;
    // Its own group, and an imported database's groups of its own beside
    // it: an import cuts no access.
    let groups = security_group::attached(&group.id, &spec.additional_security_group_ids);
    let primary = ensure_primary(client, spec, password, &seen, &groups, wait).await?;
    // The primary's zone (as it is now) decides where the replicas go.
    let replicas = ensure_replicas(client, spec, &seen, &primary, &subnets, &groups, wait).await?;

    // What exists now, from the waits' answers: no read again.
    let now = Observed {
        primary: Some(primary),
        replicas,
        subnet_group: seen.subnet_group,
        foreign_subnet_group: seen.foreign_subnet_group,
        group: Some(group),
        ..Observed::default()
    };
    sync_tags(client, spec, &now).await
}

/// Before a create (at plan, and again at apply): a create has no marker
/// yet, so any object with one of the names it would make (the DB
/// identifier, the replicas' `read_replicas` identifiers, all five when
/// unknown, the DB subnet group) is not its own, and the create is
/// refused before anything is made; but, at plan, those of the database it
/// replaces (`replaced`, see `ownership::replaced`). One describe per
/// object kind.
pub async fn check_free(
    client: &SwarmClient,
    name: &str,
    read_replicas: Option<usize>,
    replaced: &[Marker],
) -> Result<(), Diagnostic> {
    let seen = cloud::observe_all(client, name, false).await?;
    let taken = seen.taken(name, read_replicas.unwrap_or(cloud::MAX_REPLICAS));
    ownership::refuse_taken("swarm_database", name, taken, replaced)
}

async fn ensure_subnet_group(
    client: &SwarmClient,
    spec: &Spec,
    seen: &Observed,
) -> Result<(), Diagnostic> {
    let group_name = cloud::subnet_group_name(&spec.name);
    match &seen.subnet_group {
        // An imported database's own subnet group (others may share it):
        // never changed; the plan refused other subnets already.
        Some(group) if seen.foreign_subnet_group => {
            let mut current: Vec<String> = group
                .subnets()
                .iter()
                .filter_map(|s| s.subnet_identifier().map(str::to_owned))
                .collect();
            current.sort();
            if current != spec.subnet_ids {
                return Err(foreign_subnets(group));
            }
        }
        None => {
            let tags = spec.object_tags(client, "subnet-group", &group_name);
            aws::call(
                "rds",
                "CreateDBSubnetGroup",
                client
                    .rds
                    .create_db_subnet_group()
                    .db_subnet_group_name(&group_name)
                    .db_subnet_group_description(format!(
                        "swarm_database {}: the subnets of its instances",
                        spec.name
                    ))
                    .set_subnet_ids(Some(spec.subnet_ids.clone()))
                    .set_tags(Some(tags::rds::to_sdk(&tags)))
                    .send(),
            )
            .await
            .map_err(|e| aws::error("Cannot create the DB subnet group", &e))?;
        }
        Some(group) => {
            let mut current: Vec<String> = group
                .subnets()
                .iter()
                .filter_map(|s| s.subnet_identifier().map(str::to_owned))
                .collect();
            current.sort();
            if current != spec.subnet_ids {
                aws::call(
                    "rds",
                    "ModifyDBSubnetGroup",
                    client
                        .rds
                        .modify_db_subnet_group()
                        .db_subnet_group_name(&group_name)
                        .set_subnet_ids(Some(spec.subnet_ids.clone()))
                        .send(),
                )
                .await
                .map_err(|e| aws::error("Cannot change the DB subnet group's subnets", &e))?;
            }
        }
    }
    Ok(())
}

/// The error of other subnets for a database in a subnet group the
/// provider did not make.
pub fn foreign_subnets(group: &aws_sdk_rds::types::DbSubnetGroup) -> Diagnostic {
    Diagnostic::error(
        "The database's subnet group is not the provider's",
        format!(
            "The database is in DB subnet group {:?}, which it was imported with: the provider \
             does not change a subnet group it did not make (other instances may use it), so \
             subnet_ids must stay its subnets. Change the group itself, or move the database \
             into a subnet group of another VPC (which replaces it).",
            group.db_subnet_group_name().unwrap_or_default()
        ),
    )
    .at(tfplugin::path::AttributePath::attr("subnet_ids"))
}

/// The security group, with PostgreSQL's port open to the allowed groups
/// and nothing else (rules added out of band are removed). Its default
/// egress rule stays: it only matters for extensions that call out
/// (aws_s3, postgres_fdw).
async fn ensure_group(
    client: &SwarmClient,
    spec: &Spec,
    seen: &Observed,
    vpc_id: &str,
    wait: &Wait<'_>,
) -> Result<security_group::Group, Diagnostic> {
    let mut group = match seen.group.as_ref().filter(|g| g.vpc_id == vpc_id) {
        Some(group) => group.clone(),
        None => {
            let group_name = cloud::group_name(&spec.name);
            let tags = spec.object_tags(client, security_group::ROLE, &group_name);
            let new = NewGroup {
                group_name: &group_name,
                description: &format!(
                    "swarm_database {}: PostgreSQL from allowed security groups only",
                    spec.name
                ),
                vpc_id,
                tags: &tags,
            };
            security_group::create(client, &new, wait).await?
        }
    };
    let wanted = cloud::wanted_rules(&spec.allowed_security_group_ids);
    security_group::set_ingress(client, &mut group, &wanted, "PostgreSQL").await?;
    Ok(group)
}

async fn ensure_primary(
    client: &SwarmClient,
    spec: &Spec,
    password: &Password,
    seen: &Observed,
    groups: &[String],
    wait: &Wait<'_>,
) -> Result<DbInstance, Diagnostic> {
    match &seen.primary {
        None => create_primary(client, spec, password, groups).await?,
        Some(primary) => modify_primary(client, spec, password, primary, groups).await?,
    }
    cloud::wait_available(client, std::slice::from_ref(&spec.name), wait)
        .await?
        .pop()
        .ok_or_else(|| {
            Diagnostic::error(
                format!("DB instance {:?} not found", spec.name),
                "RDS reported the primary available, then did not list it. Apply again.",
            )
        })
}

async fn create_primary(
    client: &SwarmClient,
    spec: &Spec,
    password: &Password,
    groups: &[String],
) -> Result<(), Diagnostic> {
    let tags = spec.object_tags(client, "primary", &spec.name);
    let mut request = client
        .rds
        .create_db_instance()
        .db_instance_identifier(&spec.name)
        .engine("postgres")
        .engine_version(&spec.engine_version)
        .db_instance_class(&spec.instance_class)
        .allocated_storage(spec.allocated_storage)
        .storage_type(STORAGE_TYPE)
        // Always encrypted, with the account's RDS key unless KMS says
        // otherwise: there is no setting to turn it off.
        .storage_encrypted(true)
        .multi_az(spec.multi_az)
        .backup_retention_period(spec.backup_retention_days)
        .set_preferred_backup_window(spec.backup_window.clone())
        .set_preferred_maintenance_window(spec.maintenance_window.clone())
        .deletion_protection(spec.deletion_protection)
        .publicly_accessible(false)
        .auto_minor_version_upgrade(true)
        .copy_tags_to_snapshot(true)
        .master_username(&spec.master_username)
        .db_subnet_group_name(cloud::subnet_group_name(&spec.name))
        .set_vpc_security_group_ids(Some(groups.to_vec()))
        .set_tags(Some(tags::rds::to_sdk(&tags)));
    // Autoscaling is off when the ceiling is the storage itself; RDS takes
    // that as "no MaxAllocatedStorage".
    if spec.max_allocated_storage > spec.allocated_storage {
        request = request.max_allocated_storage(spec.max_allocated_storage);
    }
    request = match password {
        Password::Managed => request.manage_master_user_password(true),
        Password::Given { password, .. } => request.master_user_password(password),
        // The plan refuses a create without a password of either kind.
        Password::Kept => {
            return Err(Diagnostic::error(
                "No master password",
                "A new database needs master_password_wo, or manage_master_password = true.",
            )
            .at(tfplugin::path::AttributePath::attr(
                "manage_master_password",
            )));
        }
    };
    aws::call("rds", "CreateDBInstance", request.send())
        .await
        .map_err(|e| aws::error("Cannot create the DB instance", &e))?;
    Ok(())
}

/// One ModifyDBInstance with what differs, applied immediately.
async fn modify_primary(
    client: &SwarmClient,
    spec: &Spec,
    password: &Password,
    primary: &DbInstance,
    groups: &[String],
) -> Result<(), Diagnostic> {
    let mut request = client
        .rds
        .modify_db_instance()
        .db_instance_identifier(&spec.name)
        .apply_immediately(true);
    let mut changes: Vec<&str> = Vec::new();

    if primary.db_instance_class() != Some(spec.instance_class.as_str()) {
        request = request.db_instance_class(&spec.instance_class);
        changes.push("instance class");
    }
    let allocated = primary.allocated_storage().unwrap_or_default();
    // Autoscaling may have grown it past the configured size already.
    if spec.allocated_storage > allocated {
        request = request.allocated_storage(spec.allocated_storage);
        changes.push("storage");
    }
    let max = primary.max_allocated_storage().unwrap_or(allocated);
    let wanted_max = spec.max_allocated_storage.max(spec.allocated_storage);
    if max != wanted_max {
        request = request.max_allocated_storage(wanted_max);
        changes.push("storage ceiling");
    }
    if primary.multi_az() != Some(spec.multi_az) {
        request = request.multi_az(spec.multi_az);
        changes.push("Multi-AZ");
    }
    let running = primary.engine_version().unwrap_or_default();
    if !checks::version_matches(&spec.engine_version, running) {
        let major = |v: &str| checks::parse_version(v).map(|(major, _)| major).ok();
        let major_upgrade = major(&spec.engine_version) != major(running);
        request = request
            .engine_version(&spec.engine_version)
            .allow_major_version_upgrade(major_upgrade);
        changes.push("engine version");
    }
    if primary.backup_retention_period() != Some(spec.backup_retention_days) {
        request = request.backup_retention_period(spec.backup_retention_days);
        changes.push("backup retention");
    }
    if let Some(window) = &spec.backup_window
        && primary.preferred_backup_window() != Some(window.as_str())
    {
        request = request.preferred_backup_window(window);
        changes.push("backup window");
    }
    if let Some(window) = &spec.maintenance_window
        && !primary
            .preferred_maintenance_window()
            .is_some_and(|w| w.eq_ignore_ascii_case(window))
    {
        request = request.preferred_maintenance_window(window);
        changes.push("maintenance window");
    }
    if primary.deletion_protection() != Some(spec.deletion_protection) {
        request = request.deletion_protection(spec.deletion_protection);
        changes.push("deletion protection");
    }
    // Settings that are not configurable, put back if changed out of band.
    if primary.publicly_accessible() != Some(false) {
        request = request.publicly_accessible(false);
        changes.push("public access");
    }
    if primary.copy_tags_to_snapshot() != Some(true) {
        request = request.copy_tags_to_snapshot(true);
        changes.push("tags on snapshots");
    }
    let current: Vec<&str> = primary
        .vpc_security_groups()
        .iter()
        .filter_map(|g| g.vpc_security_group_id())
        .collect();
    if security_group::must_attach(&current, groups) {
        request = request.set_vpc_security_group_ids(Some(groups.to_vec()));
        changes.push("security groups");
    }
    let managed = primary.master_user_secret().is_some();
    match password {
        Password::Managed if !managed => {
            request = request.manage_master_user_password(true);
            changes.push("password management");
        }
        Password::Given { password, .. } if managed => {
            request = request
                .manage_master_user_password(false)
                .master_user_password(password);
            changes.push("password");
        }
        // An imported database's own password, which it keeps: the
        // plan refused turning management off without one.
        Password::Kept => {}
        Password::Given {
            password,
            rotate: true,
        } => {
            request = request.master_user_password(password);
            changes.push("password");
        }
        _ => {}
    }
    if changes.is_empty() {
        return Ok(());
    }
    tracing::info!(database = %spec.name, changes = ?changes, "modifying the primary");
    aws::call("rds", "ModifyDBInstance", request.send())
        .await
        .map_err(|e| {
            aws::error(
                format!("Cannot change the DB instance ({})", changes.join(", ")),
                &e,
            )
        })?;
    Ok(())
}

/// Where replica `index` (from 1) goes: round robin over the subnets'
/// zones other than the primary's.
pub fn replica_zone(zones: &[String], primary_zone: Option<&str>, index: usize) -> Option<String> {
    let others: Vec<&String> = zones
        .iter()
        .filter(|z| Some(z.as_str()) != primary_zone)
        .collect();
    let pool: Vec<&String> = if others.is_empty() {
        zones.iter().collect()
    } else {
        others
    };
    pool.get((index.max(1) - 1) % pool.len().max(1))
        .map(|z| (*z).clone())
}

async fn ensure_replicas(
    client: &SwarmClient,
    spec: &Spec,
    seen: &Observed,
    primary: &DbInstance,
    subnets: &[Subnet],
    groups: &[String],
    wait: &Wait<'_>,
) -> Result<Vec<(usize, DbInstance)>, Diagnostic> {
    let subnet_group = seen.subnet_group_name(&spec.name);
    let zones = ec2::zones(subnets);
    let primary_zone = primary.availability_zone();

    let mut creates = Vec::new();
    let mut modifies = Vec::new();
    for index in 1..=spec.read_replicas {
        let id = cloud::replica_id(&spec.name, index);
        match seen.replica(index) {
            None => {
                let zone = replica_zone(&zones, primary_zone, index);
                let tags = spec.object_tags(client, "replica", &id);
                let mut request = client
                    .rds
                    .create_db_instance_read_replica()
                    .db_instance_identifier(&id)
                    .source_db_instance_identifier(&spec.name)
                    .db_instance_class(&spec.instance_class)
                    .set_availability_zone(zone)
                    .db_subnet_group_name(&subnet_group)
                    .set_vpc_security_group_ids(Some(groups.to_vec()))
                    .storage_type(STORAGE_TYPE)
                    // A replica is in one zone (spread over the others) and
                    // is rebuilt from the primary: no standby, no protection.
                    .multi_az(false)
                    .deletion_protection(false)
                    .publicly_accessible(false)
                    .auto_minor_version_upgrade(true)
                    .copy_tags_to_snapshot(true)
                    .set_tags(Some(tags::rds::to_sdk(&tags)));
                if spec.max_allocated_storage > spec.allocated_storage {
                    request = request.max_allocated_storage(spec.max_allocated_storage);
                }
                creates.push(async move {
                    aws::call("rds", "CreateDBInstanceReadReplica", request.send())
                        .await
                        .map(|_| ())
                        .map_err(|e| aws::error(format!("Cannot create read replica {id}"), &e))
                });
            }
            Some(replica) => {
                // Replicas serve the same load as the primary: same class,
                // no less storage.
                let class_differs =
                    replica.db_instance_class() != Some(spec.instance_class.as_str());
                let allocated = replica.allocated_storage().unwrap_or_default();
                if class_differs || allocated < spec.allocated_storage {
                    let mut request = client
                        .rds
                        .modify_db_instance()
                        .db_instance_identifier(&id)
                        .apply_immediately(true);
                    if class_differs {
                        request = request.db_instance_class(&spec.instance_class);
                    }
                    if allocated < spec.allocated_storage {
                        request = request.allocated_storage(spec.allocated_storage);
                    }
                    modifies.push(async move {
                        aws::call("rds", "ModifyDBInstance", request.send())
                            .await
                            .map(|_| ())
                            .map_err(|e| aws::error(format!("Cannot change read replica {id}"), &e))
                    });
                }
            }
        }
    }
    let (created, modified) = tokio::join!(try_join_all(creates), try_join_all(modifies));
    created?;
    modified?;
    let ids: Vec<String> = (1..=spec.read_replicas)
        .map(|i| cloud::replica_id(&spec.name, i))
        .collect();
    // In the order of `ids`: replica 1, 2, ...
    let replicas = cloud::wait_available(client, &ids, wait).await?;
    Ok((1..=spec.read_replicas).zip(replicas).collect())
}

/// Removes the highest-numbered replicas beyond `read_replicas`.
async fn remove_extra_replicas(
    client: &SwarmClient,
    spec: &Spec,
    seen: &Observed,
    wait: &Wait<'_>,
) -> Result<(), Diagnostic> {
    let extra: Vec<String> = seen
        .replicas
        .iter()
        .filter(|(i, _)| *i > spec.read_replicas)
        .map(|(i, _)| cloud::replica_id(&spec.name, *i))
        .collect();
    cloud::delete_instances(client, &extra).await?;
    cloud::wait_deleted(client, &extra, wait).await
}

/// Every object's tags as they should be.
async fn sync_tags(client: &SwarmClient, spec: &Spec, seen: &Observed) -> Result<(), Diagnostic> {
    let mut instances: Vec<(&DbInstance, &str, String)> = Vec::new();
    if let Some(primary) = &seen.primary {
        instances.push((primary, "primary", spec.name.clone()));
    }
    for (index, replica) in &seen.replicas {
        instances.push((replica, "replica", cloud::replica_id(&spec.name, *index)));
    }
    let instance_tags = try_join_all(instances.into_iter().filter_map(
        |(instance, role, object)| {
            let arn = instance.db_instance_arn()?.to_owned();
            let current = tags::rds::from_sdk(instance.tag_list());
            let desired = spec.object_tags(client, role, &object);
            Some(async move { tags::rds::sync(client, &arn, &current, &desired).await })
        },
    ));
    let subnet_group_tags = async {
        // An imported database's own subnet group is not tagged.
        let Some(arn) = seen
            .subnet_group
            .as_ref()
            .filter(|_| !seen.foreign_subnet_group)
            .and_then(|g| g.db_subnet_group_arn())
        else {
            return Ok(());
        };
        let current = tags::rds::list(client, arn).await?;
        let desired = spec.object_tags(
            client,
            "subnet-group",
            &cloud::subnet_group_name(&spec.name),
        );
        tags::rds::sync(client, arn, &current, &desired).await
    };
    let group_tags = async {
        match seen.group.clone() {
            Some(mut group) => {
                let desired =
                    spec.object_tags(client, security_group::ROLE, &cloud::group_name(&spec.name));
                security_group::sync_tags(client, &mut group, &desired).await
            }
            None => Ok(()),
        }
    };
    let (a, b, c) = tokio::join!(instance_tags, subnet_group_tags, group_tags);
    a?;
    b?;
    c
}

/// Takes the database down: replicas, then the primary (with a final
/// snapshot unless told otherwise), then its security group and subnet
/// group once RDS has let go of them.
pub async fn destroy(
    client: &SwarmClient,
    id: &Identity,
    final_snapshot: bool,
    wait: &Wait<'_>,
) -> Result<(), Diagnostic> {
    let name = id.id.as_str();
    // Only what carries the database's marker: another stack's objects of
    // the name stay.
    let seen = cloud::observe(client, id).await?;
    if let Some(primary) = &seen.primary
        && primary.deletion_protection() == Some(true)
    {
        return Err(Diagnostic::error(
            "Deletion protection is on",
            format!(
                "DB instance {name:?} has deletion protection. Set deletion_protection = false \
                 and apply before destroying it."
            ),
        ));
    }
    let replicas: Vec<String> = seen
        .replicas
        .iter()
        .map(|(i, _)| cloud::replica_id(name, *i))
        .collect();
    cloud::delete_instances(client, &replicas).await?;
    cloud::wait_deleted(client, &replicas, wait).await?;

    if seen.primary.is_some() {
        let snapshot_names: Vec<String> = if final_snapshot {
            aws::final_snapshot_ids(name, std::time::SystemTime::now()).collect()
        } else {
            Vec::new()
        };
        cloud::delete_instance(client, name, &snapshot_names).await?;
        cloud::wait_deleted(client, &[name.to_owned()], wait).await?;
    }
    if let Some(group) = &seen.group {
        security_group::delete(client, &group.id, wait).await?;
    }
    // An imported database's own subnet group stays (others may use it).
    if seen.subnet_group.is_some() && !seen.foreign_subnet_group {
        cloud::delete_subnet_group(client, name, wait).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicas_avoid_the_primary_zone() {
        let zones: Vec<String> = ["us-east-1a", "us-east-1b", "us-east-1c"]
            .map(str::to_owned)
            .to_vec();
        let placed: Vec<Option<String>> = (1..=4)
            .map(|i| replica_zone(&zones, Some("us-east-1b"), i))
            .collect();
        assert_eq!(
            placed,
            ["us-east-1a", "us-east-1c", "us-east-1a", "us-east-1c"].map(|z| Some(z.to_owned()))
        );
        let two = &zones[..2];
        assert_eq!(
            replica_zone(two, Some("us-east-1a"), 3),
            Some("us-east-1b".to_owned())
        );
    }
}
