//! Making AWS match a spec, from whatever exists (nothing, a half-made
//! schedule, other settings, drift), and taking the schedule down.
//!
//! The order is what AWS needs: the vaults before the plan whose rules
//! name them, the role before the selection that names it, the plan
//! before its selection; and down again in reverse. Recovery points are
//! never deleted by accident: destroy is refused, before anything is
//! deleted, while a vault holds any, unless `force_destroy` was applied.

use tfplugin::diag::Diagnostic;

use super::cloud;
use super::state::Spec;
use crate::config::SwarmClient;
use crate::ownership::{self, Identity};
use crate::waiter::Wait;

/// Before a create: the vault and role names (unique in AWS) must be free.
pub async fn check_free(
    client: &SwarmClient,
    spec: &Spec,
    replaced: &[ownership::Marker],
) -> Result<(), Diagnostic> {
    let taken = cloud::taken(client, &spec.name, spec.copy_to_region.as_deref()).await?;
    ownership::refuse_taken("swarm_backup_schedule", &spec.name, taken, replaced)
}

/// Makes AWS match `spec`, starting from what `id` finds.
pub async fn converge(
    client: &SwarmClient,
    spec: &Spec,
    prior_copy_region: Option<&str>,
    id: &Identity,
    wait: &Wait<'_>,
) -> Result<(), Diagnostic> {
    let seen = cloud::observe(client, id, spec.copy_to_region.as_deref()).await?;
    let name = cloud::object_name(&spec.name);

    // The vaults.
    let vault_tags = spec.object_tags(client, "vault", &name);
    let vault_arn = match &seen.vault {
        Some(vault) => {
            crate::tags::backup::sync(client, &vault.arn, &vault.tags, &vault_tags).await?;
            vault.arn.clone()
        }
        None => cloud::create_vault(client, &name, spec.kms_key_id.as_deref(), &vault_tags).await?,
    };
    let copy_vault_arn = match &spec.copy_to_region {
        Some(region) => {
            let copy = client.in_region(region);
            let tags = spec.object_tags(&copy, "copy-vault", &name);
            match &seen.copy_vault {
                Some(vault) => {
                    crate::tags::backup::sync(&copy, &vault.arn, &vault.tags, &tags).await?;
                    Some(vault.arn.clone())
                }
                // The copy vault uses the AWS-managed key of its region: a
                // key ARN names one region (a multi-Region key's replica
                // has the same id under another region's ARN, which the
                // user would have to give; not offered yet).
                None => Some(cloud::create_vault(&copy, &name, None, &tags).await?),
            }
        }
        None => None,
    };
    if spec.copy_to_region.is_some() && copy_vault_arn.is_none() {
        return Err(Diagnostic::error(
            "Copy vault not found",
            format!("Backup vault {name:?} was created but cannot be read back; apply again."),
        ));
    }

    // The locks, on both vaults alike.
    let locks = [
        (
            client.clone(),
            seen.vault.as_ref().and_then(cloud::Vault::lock),
        ),
        match &spec.copy_to_region {
            Some(region) => (
                client.in_region(region),
                seen.copy_vault.as_ref().and_then(cloud::Vault::lock),
            ),
            None => (client.clone(), None),
        },
    ];
    for (i, (vault_client, found)) in locks.iter().enumerate() {
        if i == 1 && spec.copy_to_region.is_none() {
            continue;
        }
        match (spec.vault_lock, found) {
            (Some(wanted), Some(found)) if wanted == *found => {}
            (Some((mode, days)), _) => cloud::put_lock(vault_client, &name, mode, days).await?,
            (None, Some(_)) => cloud::delete_lock(vault_client, &name).await?,
            (None, None) => {}
        }
    }

    // The role. Its tags say where the plan, the selection and restore
    // testing are (`cloud::Pointers`): here what was found, and restore
    // testing said before it is made; once they are made, what is.
    let role_name = cloud::role_name(&spec.name, &client.region);
    let role_tags = |pointers: &cloud::Pointers| {
        let mut tags = spec.object_tags(client, "role", &role_name);
        tags.insert(cloud::POINTERS_TAG.to_owned(), pointers.tag());
        tags
    };
    let found_pointers = cloud::Pointers {
        plan_arn: seen.plan.as_ref().map(|p| p.arn.clone()),
        selection_id: seen.selection.as_ref().map(|s| s.id.clone()),
        restore_testing: spec.restore_testing.is_some() || seen.restore_testing.is_some(),
    };
    let tagged_role = role_tags(&found_pointers);
    let wanted = spec.policies();
    let (role_arn, attached) = match &seen.role {
        Some(role) => {
            crate::tags::iam::sync_role(client, &role_name, &role.tags, &tagged_role).await?;
            (role.arn.clone(), role.policies.clone())
        }
        None => (
            cloud::create_role(client, &role_name, &tagged_role).await?,
            Vec::new(),
        ),
    };
    for policy in wanted.iter().filter(|p| !attached.contains(p)) {
        cloud::attach(client, &role_name, policy, true).await?;
    }
    // Only the provider's own policies: another one is someone's on purpose.
    for policy in attached
        .iter()
        .filter(|p| cloud::provider_policy(p) && !wanted.contains(p))
    {
        cloud::attach(client, &role_name, policy, false).await?;
    }

    // The plan.
    let input = cloud::plan_input(spec, copy_vault_arn.as_deref())?;
    let plan_tags = spec.plan_tags(client);
    let (plan_id, plan_arn) = match &seen.plan {
        Some(plan) => {
            if !cloud::rules_match(&plan.rules, &input) {
                cloud::update_plan(client, &plan.id, input).await?;
            }
            crate::tags::backup::sync(client, &plan.arn, &plan.tags, &plan_tags).await?;
            (plan.id.clone(), plan.arn.clone())
        }
        None => cloud::create_plan(client, input, &plan_tags).await?,
    };

    // The selection: AWS Backup cannot update one, so a change is a new one.
    let mut resources = spec.resources.clone();
    resources.sort();
    let current = seen.selection.as_ref();
    let same = current.is_some_and(|s| {
        let mut found = s.resources.clone();
        found.sort();
        found == resources && s.tagged == spec.resources_tagged && s.role_arn == role_arn
    });
    let selection_id = match current {
        Some(selection) if same => selection.id.clone(),
        _ => {
            if let Some(old) = current {
                cloud::delete_selection(client, &plan_id, &old.id).await?;
            }
            cloud::create_selection(
                client,
                &plan_id,
                &name,
                &role_arn,
                &spec.resources,
                &spec.resources_tagged,
                wait,
            )
            .await?
        }
    };

    // Restore testing.
    let rt_name = super::restore_testing::plan_name(&spec.name);
    let rt_tags = spec.object_tags(client, "restore-testing", &rt_name);
    super::restore_testing::converge(
        client,
        &spec.name,
        spec.restore_testing.as_ref(),
        seen.restore_testing.as_ref(),
        &vault_arn,
        &role_arn,
        &rt_tags,
    )
    .await?;
    crate::tags::iam::sync_role(
        client,
        &role_name,
        &tagged_role,
        &role_tags(&cloud::Pointers {
            plan_arn: Some(plan_arn),
            selection_id: Some(selection_id),
            restore_testing: spec.restore_testing.is_some(),
        }),
    )
    .await?;

    // The copy vault of a region no longer copied to: deleted when empty,
    // kept with its recovery points otherwise (the plan said so).
    if let Some(old) = prior_copy_region
        && spec.copy_to_region.as_deref() != Some(old)
    {
        let old_client = client.in_region(old);
        if let Some(vault) = cloud::vault(&old_client, &name).await?
            && id.owns(&vault.tags)
        {
            if vault.points == 0 {
                cloud::delete_vault(&old_client, &name).await?;
            } else {
                tracing::info!(
                    vault = name,
                    region = old,
                    points = vault.points,
                    "old copy vault kept with its recovery points"
                );
            }
        }
    }
    Ok(())
}

/// The error of a destroy while vaults hold recovery points, or `None`.
pub fn holds_points<'a>(
    name: &str,
    vaults: impl IntoIterator<Item = &'a cloud::Vault>,
) -> Option<Diagnostic> {
    let held: Vec<String> = vaults
        .into_iter()
        .filter(|v| v.points > 0)
        .map(|v| {
            format!(
                "  - backup vault {:?} in {}: {} recovery points",
                cloud::object_name(name),
                v.region,
                v.points
            )
        })
        .collect();
    if held.is_empty() {
        return None;
    }
    Some(Diagnostic::error(
        "The schedule's vaults hold recovery points",
        format!(
            "Destroying swarm_backup_schedule {name:?} would delete its vaults, which hold \
             backups:\n{}\nNothing was deleted. To delete the backups with it, set \
             force_destroy = true, apply, then destroy; or delete the recovery points \
             yourself (AWS Backup console, or `aws backup delete-recovery-point`) first.",
            held.join("\n")
        ),
    ))
}

/// Takes the schedule down: refused while a vault holds recovery points
/// and `force_destroy` is off (nothing is deleted then); otherwise the
/// points (waiting until they are gone), the selection, the plan, the
/// role, and the vaults.
pub async fn destroy(
    client: &SwarmClient,
    id: &Identity,
    copy_region: Option<&str>,
    force_destroy: bool,
    wait: &Wait<'_>,
) -> Result<(), Diagnostic> {
    let seen = cloud::observe(client, id, copy_region).await?;
    if !force_destroy
        && let Some(d) = holds_points(
            &id.id,
            [&seen.vault, &seen.copy_vault].into_iter().flatten(),
        )
    {
        return Err(d);
    }
    let name = cloud::object_name(&id.id);
    // A lock keeps young points whatever force_destroy says: refuse
    // before anything is deleted.
    for vault in [&seen.vault, &seen.copy_vault].into_iter().flatten() {
        if let (Some((_, days)), true) = (vault.lock(), vault.points > 0) {
            let vault_client = client.in_region(&vault.region);
            let points = cloud::recovery_points(&vault_client, &name, None).await?;
            if let Some(d) = locked_points(&name, vault, days, &points) {
                return Err(d);
            }
        }
    }
    if let Some(found) = &seen.restore_testing {
        let rt_name = super::restore_testing::plan_name(&id.id);
        super::restore_testing::delete(client, &rt_name, found).await?;
    }
    if let (Some(plan), Some(selection)) = (&seen.plan, &seen.selection) {
        cloud::delete_selection(client, &plan.id, &selection.id).await?;
    }
    if let Some(plan) = &seen.plan {
        cloud::delete_plan(client, &plan.id).await?;
    }
    if let Some(role) = &seen.role {
        cloud::delete_role(
            client,
            &cloud::role_name(&id.id, &client.region),
            &role.policies,
        )
        .await?;
    }
    for vault in [&seen.vault, &seen.copy_vault].into_iter().flatten() {
        let vault_client = client.in_region(&vault.region);
        if vault.points > 0 {
            cloud::empty_vault(&vault_client, &name, wait).await?;
        }
        cloud::delete_vault(&vault_client, &name).await?;
    }
    Ok(())
}

/// The error of a destroy whose vault lock keeps some of `points` (younger
/// than `days`), saying until when; `None` when the lock keeps none.
pub fn locked_points(
    name: &str,
    vault: &cloud::Vault,
    days: i64,
    points: &[aws_sdk_backup::types::RecoveryPointByBackupVault],
) -> Option<Diagnostic> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let held = days.saturating_mul(86_400);
    let young: Vec<i64> = points
        .iter()
        .filter_map(|p| p.creation_date().map(|d| d.secs()))
        .filter(|created| created.saturating_add(held) > now)
        .collect();
    let newest = young.iter().max()?;
    Some(Diagnostic::error(
        "Recovery points held by the vault lock",
        format!(
            "Backup vault {name:?} in {} has a vault lock of {days} days, and {} of its \
             recovery points are younger than that: AWS Backup refuses to delete them, \
             force_destroy included. Nothing was deleted. The newest can be deleted from {}; \
             destroy again then (a governance lock can also be removed first: take out the \
             vault_lock block and apply).",
            vault.region,
            young.len(),
            crate::schedule::rfc3339(newest.saturating_add(held)),
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_backup::primitives::DateTime;
    use aws_sdk_backup::types::RecoveryPointByBackupVault;

    fn vault(points: i64) -> cloud::Vault {
        cloud::Vault {
            region: "us-east-1".to_owned(),
            arn: "arn".to_owned(),
            points,
            tags: std::collections::BTreeMap::new(),
            min_retention_days: Some(7),
            lock_date: None,
        }
    }

    fn point(age_days: i64) -> RecoveryPointByBackupVault {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        RecoveryPointByBackupVault::builder()
            .recovery_point_arn(format!("p{age_days}"))
            .creation_date(DateTime::from_secs(now - age_days * 86_400))
            .build()
    }

    #[test]
    fn a_lock_holds_young_points_and_says_until_when() {
        let held = locked_points("swarm-n", &vault(2), 7, &[point(10), point(2)])
            .expect("a point younger than the lock");
        assert!(
            held.detail.contains("1 of its recovery points"),
            "{}",
            held.detail
        );
        // The newest point (2 days old) is free in 5 days.
        let free = crate::schedule::rfc3339(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
                + 5 * 86_400,
        );
        assert!(
            held.detail.contains(&free[..13]),
            "{} / {free}",
            held.detail
        );
        assert!(locked_points("swarm-n", &vault(1), 7, &[point(10)]).is_none());
    }

    #[test]
    fn points_in_vaults_refuse_a_destroy_with_the_counts() {
        let refused = holds_points("n", [&vault(3)]).expect("refused");
        assert!(refused.detail.contains("in us-east-1: 3 recovery points"));
        assert!(refused.detail.contains("force_destroy = true"));
        assert!(holds_points("n", [&vault(0)]).is_none());
        assert!(holds_points("n", []).is_none());
    }
}
