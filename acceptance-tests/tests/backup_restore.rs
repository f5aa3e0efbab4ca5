//! The restore of `docs/guides/backup-and-restore.md`, step by step, as a
//! user runs it: a network, a database and a schedule of it copied to
//! us-west-2 applied; the daily rule runs; the newest point found with
//! `swarm_recovery_points`; its restore metadata read; a restore job
//! started with the schedule's `role_arn` and the guide's metadata, and
//! waited for; the new instance read back through RDS (engine, subnet
//! group, security group, encrypted with the original's key), the
//! original unchanged, a second restore of the identifier refused. Then
//! the region is "lost": the copy restored in us-west-2 into the DB
//! subnet group and security group the guide has users make there,
//! encrypted with the copy vault's key (with the source region's subnet
//! group, as the metadata has it, the job fails). The restored instances
//! and what was made for them deleted as the guide says, destroy (with
//! `force_destroy`, the guide's way to delete the points) leaves nothing
//! in either region.

use std::sync::Arc;

use acceptance_tests::backup::{COPY_REGION, VAULT, ec2_in, rds_in, restore_job_ended, run_rule};
use acceptance_tests::checks::{Memo, attr_str, err, out_of_band, same, sdk_check};
use acceptance_tests::emulator::{Emulator, REGION};
use acceptance_tests::fixtures::{default_subnets, default_vpc, filter};
use acceptance_tests::{config, run, test_case};
use aws_sdk_backup::types::RestoreJobStatus;
use tfplugin::testing::{Check, CheckResult, State, Step};

const RESTORED: &str = "main-restored";
/// What the guide has users make in the copy's region for a restore.
const DR_SUBNET_GROUP: &str = "main-restore";
const DR_SECURITY_GROUP: &str = "main-restore";

/// The guide's set-up: a network, a database in it, and the schedule of
/// the database copied to us-west-2, with `force_destroy` (the guide's
/// way to delete the points with it) and the role as an output; with
/// `points`, the guide's `swarm_recovery_points` of the database.
fn hcl(e: &Emulator, points: bool) -> String {
    let points = if points {
        r#"
data "swarm_recovery_points" "main" {
  resource_arn = swarm_database.main.arn
}

output "restore_point" {
  value = try(data.swarm_recovery_points.main.recovery_points[0], null)
}
"#
    } else {
        ""
    };
    config(&format!(
        r#"{}
resource "swarm_network" "main" {{
  name = "main"
}}

resource "swarm_database" "main" {{
  name                = "main"
  subnet_ids          = swarm_network.main.database_subnet_ids
  deletion_protection = false
  final_snapshot      = false
}}

resource "swarm_backup_schedule" "nightly" {{
  name           = "nightly"
  schedule       = "0 2 * * *"
  resources      = [swarm_database.main.arn]
  copy_to_region = "{COPY_REGION}"
  force_destroy  = true
}}

output "backup_role_arn" {{
  value = swarm_backup_schedule.nightly.role_arn
}}
{points}"#,
        e.provider_block("  environment = \"development\"\n")
    ))
}

/// The newest point of the database, the guide's `restore_point` output
/// (`swarm_recovery_points`' first): (its ARN, its copy's ARN in the
/// other region).
fn newest_point(state: &State) -> Result<(String, String), String> {
    let points = state.attr("data.swarm_recovery_points.main", "recovery_points")?;
    same(
        "points of the database",
        points.as_array().map_or(0, Vec::len),
        1,
    )?;
    let newest = state.output("restore_point")?;
    same(
        "the newest point's status",
        newest["status"].as_str(),
        Some("COMPLETED"),
    )?;
    same(
        "its copy's status",
        newest["copy_status"].as_str(),
        Some("COMPLETED"),
    )?;
    let arn = newest["recovery_point_arn"]
        .as_str()
        .ok_or("the newest point has no ARN")?;
    let copy = newest["copy_recovery_point_arn"]
        .as_str()
        .ok_or("the newest point has no copy ARN")?;
    Ok((arn.to_owned(), copy.to_owned()))
}

/// `aws backup start-restore-job` of `point` in `region` with the
/// schedule's role and `metadata`; the job as it ended.
async fn restore(
    e: &Emulator,
    region: &str,
    point: &str,
    role: &str,
    metadata: &[(&str, String)],
) -> Result<aws_sdk_backup::operation::describe_restore_job::DescribeRestoreJobOutput, String> {
    let backup = e.backup_in(region).await;
    let mut start = backup
        .start_restore_job()
        .recovery_point_arn(point)
        .iam_role_arn(role)
        .resource_type("RDS");
    for (key, value) in metadata {
        start = start.metadata(*key, value.clone());
    }
    let started = start.send().await.map_err(err)?;
    let id = started.restore_job_id().ok_or("no restore job id")?;
    restore_job_ended(&backup, id).await
}

/// The DB instance `id` in `region`, read back: (engine, subnet group,
/// security groups, encrypted, ARN).
async fn instance(
    e: &Emulator,
    region: &str,
    id: &str,
) -> Result<(String, String, Vec<String>, bool, String), String> {
    let out = rds_in(e, region)
        .await
        .describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
        .map_err(err)?;
    let db = out.db_instances().first().ok_or("no such instance")?;
    Ok((
        db.engine().unwrap_or_default().to_owned(),
        db.db_subnet_group()
            .and_then(|g| g.db_subnet_group_name())
            .unwrap_or_default()
            .to_owned(),
        db.vpc_security_groups()
            .iter()
            .filter_map(|g| g.vpc_security_group_id().map(str::to_owned))
            .collect(),
        db.storage_encrypted().unwrap_or(false),
        db.db_instance_arn().unwrap_or_default().to_owned(),
    ))
}

/// The KMS key of the DB instance `id` in `region`.
async fn kms_key(e: &Emulator, region: &str, id: &str) -> Result<Option<String>, String> {
    let out = rds_in(e, region)
        .await
        .describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
        .map_err(err)?;
    Ok(out
        .db_instances()
        .first()
        .and_then(|d| d.kms_key_id())
        .map(str::to_owned))
}

/// The original instance as a user would compare it before and after a
/// restore: (class, status, endpoint, subnet group, security groups).
async fn original(e: &Emulator) -> Result<String, String> {
    let out = e
        .rds()
        .await
        .describe_db_instances()
        .db_instance_identifier("main")
        .send()
        .await
        .map_err(err)?;
    let db = out.db_instances().first().ok_or("the original is gone")?;
    Ok(format!(
        "{:?} {:?} {:?} {:?} {:?} {:?}",
        db.db_instance_class(),
        db.db_instance_status(),
        db.endpoint().and_then(|a| a.address()),
        db.db_subnet_group().and_then(|g| g.db_subnet_group_name()),
        db.vpc_security_groups(),
        db.dbi_resource_id(),
    ))
}

/// "Restore a database from a recovery point", in the provider's region.
async fn restore_here(e: Arc<Emulator>, state: State, before: String) -> CheckResult {
    let (point, _) = newest_point(&state)?;
    let role = state
        .output("backup_role_arn")?
        .as_str()
        .ok_or("backup_role_arn is not a string")?
        .to_owned();
    same(
        "the output is the schedule's role",
        role.clone(),
        attr_str(&state, "swarm_backup_schedule.nightly", "role_arn")?,
    )?;
    let subnet_group = attr_str(&state, "swarm_database.main", "subnet_group_name")?;
    let security_group = attr_str(&state, "swarm_database.main", "security_group_id")?;
    // What the point was taken with.
    let metadata = e
        .backup_in(REGION)
        .await
        .get_recovery_point_restore_metadata()
        .backup_vault_name(VAULT)
        .recovery_point_arn(&point)
        .send()
        .await
        .map_err(err)?;
    same(
        "the point's resource type",
        metadata.resource_type(),
        Some("RDS"),
    )?;
    let metadata = metadata.restore_metadata().cloned().unwrap_or_default();
    let key = |k: &str| metadata.get(k).map(String::as_str);
    same(
        "metadata DBInstanceIdentifier",
        key("DBInstanceIdentifier"),
        Some("main"),
    )?;
    same("metadata Engine", key("Engine"), Some("postgres"))?;
    same(
        "metadata DBSubnetGroupName",
        key("DBSubnetGroupName"),
        Some(subnet_group.as_str()),
    )?;
    let groups = serde_json::json!([security_group]).to_string();
    same(
        "metadata VpcSecurityGroupIds",
        key("VpcSecurityGroupIds"),
        Some(groups.as_str()),
    )?;
    // The guide's start-restore-job.
    let guide_metadata = [
        ("DBInstanceIdentifier", RESTORED.to_owned()),
        ("DBSubnetGroupName", subnet_group.clone()),
        ("VpcSecurityGroupIds", groups.clone()),
    ];
    let job = restore(&e, REGION, &point, &role, &guide_metadata).await?;
    same(
        "the restore job",
        (job.status(), job.status_message()),
        (Some(&RestoreJobStatus::Completed), None),
    )?;
    let (engine, group, sgs, encrypted, arn) = instance(&e, REGION, RESTORED).await?;
    same(
        "the restored instance",
        (engine.as_str(), group.as_str(), sgs, encrypted),
        (
            "postgres",
            subnet_group.as_str(),
            vec![security_group],
            true,
        ),
    )?;
    same(
        "the job's CreatedResourceArn",
        job.created_resource_arn(),
        Some(arn.as_str()),
    )?;
    same(
        "the restored instance's key is the original's",
        kms_key(&e, REGION, RESTORED).await?,
        kms_key(&e, REGION, "main").await?,
    )?;
    same("the original instance", original(&e).await?, before)?;
    // A restore never overwrites: the identifier is taken now.
    let again = restore(&e, REGION, &point, &role, &guide_metadata).await?;
    same(
        "a second restore of the identifier",
        (
            again.status(),
            again
                .status_message()
                .is_some_and(|m| m.contains("DBInstanceAlreadyExists")),
        ),
        (Some(&RestoreJobStatus::Failed), true),
    )
}

/// "To restore in the other region": the copy, into what the guide has
/// users make there.
async fn restore_in_copy_region(e: Arc<Emulator>, state: State) -> CheckResult {
    let (_, copy) = newest_point(&state)?;
    same(
        "the copy is in the other region",
        copy.split(':').nth(3),
        Some(COPY_REGION),
    )?;
    let role = attr_str(&state, "swarm_backup_schedule.nightly", "role_arn")?;
    let subnet_group = attr_str(&state, "swarm_database.main", "subnet_group_name")?;
    // The metadata names the source region's subnet group, which is not
    // in this region: the restore fails, as the guide warns.
    let metadata = e
        .backup_in(COPY_REGION)
        .await
        .get_recovery_point_restore_metadata()
        .backup_vault_name(VAULT)
        .recovery_point_arn(&copy)
        .send()
        .await
        .map_err(err)?;
    let metadata = metadata.restore_metadata().cloned().unwrap_or_default();
    same(
        "the copy's metadata names the source's subnet group",
        metadata.get("DBSubnetGroupName"),
        Some(&subnet_group),
    )?;
    let wrong = restore(
        &e,
        COPY_REGION,
        &copy,
        &role,
        &[
            ("DBInstanceIdentifier", "main".to_owned()),
            ("DBSubnetGroupName", subnet_group),
        ],
    )
    .await?;
    same(
        "a restore into the source region's subnet group",
        (
            wrong.status(),
            wrong
                .status_message()
                .is_some_and(|m| m.contains("DBSubnetGroupNotFoundFault")),
        ),
        (Some(&RestoreJobStatus::Failed), true),
    )?;
    // The guide's commands for the other region: a DB subnet group of
    // two zones' subnets and a security group of their VPC, then the
    // same restore with them.
    let ec2 = ec2_in(&e, COPY_REGION).await;
    let (vpc, _) = default_vpc(&ec2).await;
    let subnets: Vec<String> = default_subnets(&ec2)
        .await
        .into_iter()
        .take(2)
        .map(|(id, _)| id)
        .collect();
    let rds = rds_in(&e, COPY_REGION).await;
    rds.create_db_subnet_group()
        .db_subnet_group_name(DR_SUBNET_GROUP)
        .db_subnet_group_description("restores of main")
        .set_subnet_ids(Some(subnets))
        .send()
        .await
        .map_err(err)?;
    let sg = ec2
        .create_security_group()
        .group_name(DR_SECURITY_GROUP)
        .description("restores of main")
        .vpc_id(vpc)
        .send()
        .await
        .map_err(err)?
        .group_id()
        .ok_or("no security group id")?
        .to_owned();
    let job = restore(
        &e,
        COPY_REGION,
        &copy,
        &role,
        &[
            ("DBInstanceIdentifier", "main".to_owned()),
            ("DBSubnetGroupName", DR_SUBNET_GROUP.to_owned()),
            (
                "VpcSecurityGroupIds",
                serde_json::json!([sg.clone()]).to_string(),
            ),
        ],
    )
    .await?;
    same(
        "the restore job in the other region",
        (job.status(), job.status_message()),
        (Some(&RestoreJobStatus::Completed), None),
    )?;
    let (engine, group, sgs, encrypted, arn) = instance(&e, COPY_REGION, "main").await?;
    same(
        "the instance restored in the other region",
        (engine.as_str(), group.as_str(), sgs, encrypted),
        ("postgres", DR_SUBNET_GROUP, vec![sg], true),
    )?;
    same("its ARN's region", arn.split(':').nth(3), Some(COPY_REGION))?;
    let vault = e
        .backup_in(COPY_REGION)
        .await
        .describe_backup_vault()
        .backup_vault_name(VAULT)
        .send()
        .await
        .map_err(err)?;
    same(
        "its key is the copy vault's",
        kms_key(&e, COPY_REGION, "main").await?,
        vault.encryption_key_arn().map(str::to_owned),
    )
}

/// The guide's clean-up of what the restores made (Terraform does not
/// know them): `aws rds delete-db-instance --skip-final-snapshot` in
/// each region, then the subnet group and security group made for the
/// restore there.
async fn clean_up(e: Arc<Emulator>) -> CheckResult {
    for (region, id) in [(REGION, RESTORED), (COPY_REGION, "main")] {
        rds_in(&e, region)
            .await
            .delete_db_instance()
            .db_instance_identifier(id)
            .skip_final_snapshot(true)
            .send()
            .await
            .map_err(err)?;
    }
    rds_in(&e, COPY_REGION)
        .await
        .delete_db_subnet_group()
        .db_subnet_group_name(DR_SUBNET_GROUP)
        .send()
        .await
        .map_err(err)?;
    let ec2 = ec2_in(&e, COPY_REGION).await;
    let groups = ec2
        .describe_security_groups()
        .filters(filter("group-name", &[DR_SECURITY_GROUP]))
        .send()
        .await
        .map_err(err)?;
    for group in groups.security_groups() {
        ec2.delete_security_group()
            .set_group_id(group.group_id().map(str::to_owned))
            .send()
            .await
            .map_err(err)?;
    }
    Ok(())
}

/// No DB instance, no vault of the schedule, in either region; the
/// restore jobs stay listed (AWS keeps their history).
async fn nothing_left(e: &Emulator) -> CheckResult {
    for region in [REGION, COPY_REGION] {
        let dbs = rds_in(e, region)
            .await
            .describe_db_instances()
            .send()
            .await
            .map_err(err)?;
        let ids: Vec<&str> = dbs
            .db_instances()
            .iter()
            .filter_map(|d| d.db_instance_identifier())
            .collect();
        same(&format!("DB instances in {region}"), ids, vec![])?;
        let backup = e.backup_in(region).await;
        let vaults = backup.list_backup_vaults().send().await.map_err(err)?;
        same(
            &format!("the vault in {region}"),
            vaults
                .backup_vault_list()
                .iter()
                .any(|v| v.backup_vault_name() == Some(VAULT)),
            false,
        )?;
        let jobs = backup.list_restore_jobs().send().await.map_err(err)?;
        same(
            &format!("restore jobs listed in {region}"),
            jobs.restore_jobs().len(),
            2,
        )?;
    }
    Ok(())
}

#[tokio::test]
async fn guide() {
    let emulator = Arc::new(Emulator::start());
    let plan_id: Memo<String> = Memo::default();
    let before: Memo<String> = Memo::default();
    let (remember, ran, seen_before, compared) = (
        plan_id.clone(),
        plan_id.clone(),
        before.clone(),
        before.clone(),
    );
    let left = Arc::clone(&emulator);
    let case = test_case()
        .step(
            Step::apply(hcl(&emulator, false))
                .check(Check::new(move |state| {
                    let id = attr_str(state, "swarm_backup_schedule.nightly", "plan_id");
                    let memo = remember.clone();
                    Box::pin(async move { memo.set(id?) })
                }))
                .check(sdk_check(&emulator, move |e, _| {
                    let memo = seen_before.clone();
                    async move { memo.set(original(&e).await?) }
                })),
        )
        // The daily rule runs; the guide's data source lists its point.
        .step(
            Step::apply(hcl(&emulator, true))
                .before(out_of_band(&emulator, move |e| {
                    let ran = ran.clone();
                    async move {
                        let answer = run_rule(&e, &ran.get()?, "daily").await?;
                        let jobs = answer["BackupJobs"].as_array().map_or(0, Vec::len);
                        let copies = answer["CopyJobs"].as_array().map_or(0, Vec::len);
                        same("backup and copy jobs", (jobs, copies), (1, 1))
                    }
                }))
                .check(sdk_check(&emulator, move |e, state| {
                    let before = compared.clone();
                    async move { restore_here(e, state, before.get()?).await }
                }))
                .check(sdk_check(&emulator, restore_in_copy_region)),
        )
        .step(
            Step::apply(hcl(&emulator, true))
                .before(out_of_band(&emulator, clean_up))
                .check(sdk_check(&emulator, |e, _| async move {
                    same(
                        "the original, alone in its region",
                        instance(&e, REGION, RESTORED).await.is_err(),
                        true,
                    )
                })),
        )
        .check_destroy(Check::new(move |_| {
            let e = Arc::clone(&left);
            Box::pin(async move { nothing_left(&e).await })
        }));
    run("backup_restore::guide", case).await;
}
