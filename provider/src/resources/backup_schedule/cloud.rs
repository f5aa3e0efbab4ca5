//! The schedule's AWS objects: the vault (and the copy vault in
//! `copy_to_region`), the backup plan, its selection, and the IAM role AWS
//! Backup assumes. `observe` reads what exists; the other functions make
//! one change each. Nothing here decides what to do (`converge.rs` does).

use std::collections::BTreeMap;

use aws_sdk_backup::error::ProvideErrorMetadata;
use aws_sdk_backup::types::{
    BackupPlanInput, BackupRule, BackupRuleInput, BackupSelection, Condition, ConditionType,
    CopyAction, Lifecycle,
};
use tfplugin::diag::Diagnostic;

use super::state::Spec;
use crate::aws;
use crate::config::SwarmClient;
use crate::ownership::{self, Identity, Sets, Taken};
use crate::waiter::{self, Poll, Wait};

/// The kind in the objects' `swarm:<kind>` tag.
pub const KIND: &str = "backup-schedule";

/// The key of the plan's tag that keeps the schedule as it was written
/// (five fields or `cron(...)`), so that a read and an import give it back
/// in the user's form; the rules hold AWS's form only.
pub const SCHEDULE_TAG: &str = "swarm:schedule";

/// What a cron holds that AWS tag values may not (they take letters,
/// digits, spaces and `_ . : / = + - @`), each written as `@` and a
/// letter; `@` itself first, so that the encoding reverses.
const TAG_ESCAPES: [(char, char); 7] = [
    ('@', 'a'),
    ('*', 's'),
    ('?', 'q'),
    (',', 'c'),
    ('#', 'h'),
    ('(', 'o'),
    (')', 'e'),
];

/// A schedule as the value of [`SCHEDULE_TAG`].
pub fn schedule_tag(schedule: &str) -> String {
    let mut out = String::with_capacity(schedule.len() * 2);
    for c in schedule.chars() {
        match TAG_ESCAPES.iter().find(|(raw, _)| *raw == c) {
            Some((_, letter)) => {
                out.push('@');
                out.push(*letter);
            }
            None => out.push(c),
        }
    }
    out
}

/// The schedule a [`SCHEDULE_TAG`] value holds (`None`: not one of ours).
pub fn schedule_of_tag(value: &str) -> Option<String> {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '@' {
            let letter = chars.next()?;
            out.push(TAG_ESCAPES.iter().find(|(_, l)| *l == letter)?.0);
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// Each rule's start window: AWS's least (an hour), so that the rules of
/// two different days never overlap (see `schedule::tiers`).
pub const START_WINDOW_MINUTES: i64 = 60;
/// Each rule's completion window: 23 hours, so that a backup is done, or
/// stopped, before the next day's run.
pub const COMPLETION_WINDOW_MINUTES: i64 = 23 * 60;

/// The AWS-managed policies every schedule's role has.
pub const BACKUP_POLICIES: [&str; 2] = [
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
];
/// The ones a role that backs up S3 buckets needs too (at the root path,
/// as on AWS).
pub const S3_POLICIES: [&str; 2] = [
    "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
    "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore",
];

/// The trust policy that lets AWS Backup assume the role.
pub const TRUST_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"backup.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// How long a new role may take to be usable by AWS Backup (IAM is
/// eventually consistent; seconds in practice).
const ROLE_PROPAGATION: std::time::Duration = std::time::Duration::from_secs(2 * 60);

/// The vault's, plan's and selection's name.
pub fn object_name(name: &str) -> String {
    format!("swarm-{name}")
}

/// The role's name: IAM names are global to the account, so the region
/// is part of it (a schedule of the same name in another region has its
/// own role).
pub fn role_name(name: &str, region: &str) -> String {
    format!("swarm-backup-{name}-{region}")
}

/// A vault, as `DescribeBackupVault` and `ListTags` show it.
#[derive(Debug, Clone)]
pub struct Vault {
    pub region: String,
    pub arn: String,
    pub points: i64,
    pub tags: BTreeMap<String, String>,
    /// The vault lock's least retention, when the vault has a lock.
    pub min_retention_days: Option<i64>,
    /// When a compliance lock becomes irreversible (a governance lock has
    /// none).
    pub lock_date: Option<aws_sdk_backup::primitives::DateTime>,
}

/// How a vault lock may be removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// Removable by anyone with the IAM permission.
    Governance,
    /// Removable only during its grace period, then never.
    Compliance,
}

impl LockMode {
    pub const NAMES: [&'static str; 2] = ["governance", "compliance"];

    pub fn name(self) -> &'static str {
        match self {
            LockMode::Governance => "governance",
            LockMode::Compliance => "compliance",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "governance" => Some(LockMode::Governance),
            "compliance" => Some(LockMode::Compliance),
            _ => None,
        }
    }
}

/// AWS's shortest grace period of a compliance lock: the days it can still
/// be changed or removed before it becomes irreversible.
pub const COMPLIANCE_GRACE_DAYS: i64 = 3;

impl Vault {
    /// The vault's lock: its mode and least retention.
    pub fn lock(&self) -> Option<(LockMode, i64)> {
        let days = self.min_retention_days?;
        let mode = if self.lock_date.is_some() {
            LockMode::Compliance
        } else {
            LockMode::Governance
        };
        Some((mode, days))
    }
}

/// The backup plan's newest version.
#[derive(Debug, Clone)]
pub struct Plan {
    pub id: String,
    pub arn: String,
    pub rules: Vec<BackupRule>,
    pub tags: BTreeMap<String, String>,
}

impl Plan {
    /// The region of the copy actions' vault (one for every rule).
    pub fn copy_region(&self) -> Option<String> {
        self.rules
            .iter()
            .flat_map(BackupRule::copy_actions)
            .find_map(|c| arn_region(c.destination_backup_vault_arn()))
    }
}

/// The selection of the plan.
#[derive(Debug, Clone)]
pub struct Selection {
    pub id: String,
    pub role_arn: String,
    pub resources: Vec<String>,
    pub tagged: BTreeMap<String, String>,
}

/// The role, its tags and the managed policies attached to it.
#[derive(Debug, Clone)]
pub struct Role {
    pub arn: String,
    pub tags: BTreeMap<String, String>,
    pub policies: Vec<String>,
}

/// Whether `arn` is one of the managed policies the provider attaches to
/// a schedule's role ([`BACKUP_POLICIES`], [`S3_POLICIES`]). Only these
/// are the schedule's: another policy attached to the role (a platform
/// team's, on purpose) is left alone, neither shown as drift nor detached.
pub fn provider_policy(arn: &str) -> bool {
    BACKUP_POLICIES.contains(&arn) || S3_POLICIES.contains(&arn)
}

/// On the role: where the schedule's objects that AWS Backup cannot look
/// up by name are ([`Pointers`]).
pub const POINTERS_TAG: &str = "swarm:backup-objects";

/// What the role's [`POINTERS_TAG`] says, so that a refresh reads each
/// object by id. AWS Backup finds a plan by id only (by name it takes a
/// listing of every plan of the region and the tags of each plan of the
/// name), a selection by id only (or a listing of the plan's selections),
/// and a restore testing plan by name, answering "not found" for a
/// schedule without one; the role, found by name with its tags in one
/// call, keeps the plan's ARN and the selection's id as last applied, and
/// whether there may be a restore testing plan.
///
/// The ids are hints, checked by the reads they save (the object must be
/// there, of the schedule's name and marker); when one is missing or
/// wrong, the objects are listed as without them. `restore_testing` is
/// set before a restore testing plan is made and cleared only after it is
/// deleted, so `false` is trusted: the refresh makes no restore testing
/// call then. A role without the tag (or someone else's) says nothing, and
/// everything is read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pointers {
    pub plan_arn: Option<String>,
    pub selection_id: Option<String>,
    pub restore_testing: bool,
}

impl Pointers {
    /// The tag's value: `plan=<ARN> selection=<id> restore-testing=yes`
    /// (`no`), the ids only when there are some. IAM tag values take
    /// letters, digits, spaces and `_ . : / = + - @`, all an ARN needs.
    pub fn tag(&self) -> String {
        let mut parts = Vec::new();
        let given = |id: &Option<String>| id.clone().filter(|id| !id.is_empty());
        if let Some(arn) = given(&self.plan_arn) {
            parts.push(format!("plan={arn}"));
        }
        if let Some(id) = given(&self.selection_id) {
            parts.push(format!("selection={id}"));
        }
        parts.push(format!(
            "restore-testing={}",
            if self.restore_testing { "yes" } else { "no" }
        ));
        parts.join(" ")
    }

    /// What a tag says; `None` when it does not say whether there is
    /// restore testing (not written by this provider, or changed by hand).
    pub fn from_tag(value: &str) -> Option<Self> {
        let mut pointers = Self::default();
        let mut restore_testing = None;
        for part in value.split_whitespace() {
            match part.split_once('=') {
                Some(("plan", arn)) if !arn.is_empty() => pointers.plan_arn = Some(arn.to_owned()),
                Some(("selection", id)) if !id.is_empty() => {
                    pointers.selection_id = Some(id.to_owned());
                }
                Some(("restore-testing", "yes")) => restore_testing = Some(true),
                Some(("restore-testing", "no")) => restore_testing = Some(false),
                _ => return None,
            }
        }
        pointers.restore_testing = restore_testing?;
        Some(pointers)
    }
}

/// What exists of one schedule (only the objects its identity takes).
#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub vault: Option<Vault>,
    pub copy_vault: Option<Vault>,
    pub plan: Option<Plan>,
    pub selection: Option<Selection>,
    pub role: Option<Role>,
    pub restore_testing: Option<super::restore_testing::Found>,
}

impl Observed {
    pub fn is_empty(&self) -> bool {
        self.vault.is_none()
            && self.copy_vault.is_none()
            && self.plan.is_none()
            && self.selection.is_none()
            && self.role.is_none()
            && self.restore_testing.is_none()
    }

    /// The objects found, by marker (for an import by name).
    pub fn sets(&self) -> Sets {
        let mut sets = Sets::default();
        let marker = |tags: &BTreeMap<String, String>| tags.get(ownership::KEY).cloned();
        for (what, tags) in [
            ("vault", self.vault.as_ref().map(|v| &v.tags)),
            ("copy vault", self.copy_vault.as_ref().map(|v| &v.tags)),
            ("backup plan", self.plan.as_ref().map(|p| &p.tags)),
            ("role", self.role.as_ref().map(|r| &r.tags)),
        ] {
            if let Some(tags) = tags {
                sets.add(marker(tags).as_deref(), what);
            }
        }
        sets
    }
}

/// The region an ARN names.
pub fn arn_region(arn: &str) -> Option<String> {
    let region = arn.split(':').nth(3)?;
    (!region.is_empty()).then(|| region.to_owned())
}

fn not_found(code: Option<&str>) -> bool {
    matches!(code, Some("ResourceNotFoundException" | "NoSuchEntity"))
}

/// A read's answer: `None` when the object is not there (gone, or never
/// made); any other error is a diagnostic saying `what` failed.
pub fn found<T, E>(
    answer: Result<T, E>,
    what: impl FnOnce() -> String,
) -> Result<Option<T>, Diagnostic>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match answer {
        Ok(out) => Ok(Some(out)),
        Err(e) if not_found(e.code()) => Ok(None),
        Err(e) => Err(aws::error(what(), &e)),
    }
}

/// A delete's answer: gone already is done; any other error is a
/// diagnostic saying `what` failed.
pub fn deleted<T, E>(answer: Result<T, E>, what: impl FnOnce() -> String) -> Result<(), Diagnostic>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match answer {
        Ok(_) => Ok(()),
        Err(e) if not_found(e.code()) => Ok(()),
        Err(e) => Err(aws::error(what(), &e)),
    }
}

fn built<T>(what: &str, built: Result<T, impl std::fmt::Display>) -> Result<T, Diagnostic> {
    built.map_err(|e| {
        Diagnostic::error(
            format!("Cannot build the {what}"),
            format!("{e}. This is a bug in the provider."),
        )
    })
}

/// DescribeBackupVault and its tags: the vault `name` in `client`'s
/// region, whoever's it is.
pub async fn vault(client: &SwarmClient, name: &str) -> Result<Option<Vault>, Diagnostic> {
    let Some(out) = found(
        aws::call(
            "backup",
            "DescribeBackupVault",
            client
                .backup
                .describe_backup_vault()
                .backup_vault_name(name)
                .send(),
        )
        .await,
        || format!("Cannot read backup vault {name:?} in {}", client.region),
    )?
    else {
        return Ok(None);
    };
    let arn = out.backup_vault_arn().unwrap_or_default().to_owned();
    let tags = crate::tags::backup::list(client, &arn).await?;
    Ok(Some(Vault {
        region: client.region.clone(),
        arn,
        points: out.number_of_recovery_points(),
        tags,
        min_retention_days: out.min_retention_days(),
        lock_date: out.lock_date().copied(),
    }))
}

/// GetBackupPlan: the rules of the plan `plan_id`, or `None` when it is
/// gone (AWS Backup may answer a deleted plan with its deletion date) or
/// is not named `name`.
async fn plan_rules(
    client: &SwarmClient,
    plan_id: &str,
    name: &str,
) -> Result<Option<Vec<BackupRule>>, Diagnostic> {
    let Some(out) = found(
        aws::call(
            "backup",
            "GetBackupPlan",
            client
                .backup
                .get_backup_plan()
                .backup_plan_id(plan_id)
                .send(),
        )
        .await,
        || format!("Cannot read backup plan {plan_id}"),
    )?
    else {
        return Ok(None);
    };
    if out.deletion_date().is_some() {
        return Ok(None);
    }
    Ok(out
        .backup_plan()
        .filter(|p| p.backup_plan_name() == name)
        .map(|p| p.rules().to_vec()))
}

/// The plan `arn` (GetBackupPlan and its ListTags at once), if it is the
/// schedule's: there, named `name`, with tags `id` takes.
async fn plan_at(
    client: &SwarmClient,
    arn: &str,
    name: &str,
    id: &Identity,
) -> Result<Option<Plan>, Diagnostic> {
    let plan_id = plan_id_of(arn);
    let (rules, tags) = tokio::join!(
        plan_rules(client, plan_id, name),
        crate::tags::backup::list(client, arn)
    );
    let Some(rules) = rules? else {
        return Ok(None);
    };
    let tags = tags?;
    Ok(id.owns(&tags).then(|| Plan {
        id: plan_id.to_owned(),
        arn: arn.to_owned(),
        rules,
        tags,
    }))
}

/// A backup plan's id: the last part of its ARN.
fn plan_id_of(arn: &str) -> &str {
    arn.rsplit_once(':').map_or(arn, |(_, id)| id)
}

/// The plan named `name` whose tags `id` takes, from a listing of every
/// plan of the region (plan names are not unique in AWS Backup: other
/// plans of the name are someone else's, and each one's tags take a call).
async fn plan_named(
    client: &SwarmClient,
    name: &str,
    id: &Identity,
) -> Result<Option<Plan>, Diagnostic> {
    let listed = aws::all_pages(|token| async move {
        let out = aws::call(
            "backup",
            "ListBackupPlans",
            client
                .backup
                .list_backup_plans()
                .set_next_token(token)
                .send(),
        )
        .await
        .map_err(|e| aws::error("Cannot list the backup plans", &e))?;
        let named = out
            .backup_plans_list()
            .iter()
            .filter(|p| p.backup_plan_name() == Some(name))
            .filter_map(|p| {
                Some((
                    p.backup_plan_id()?.to_owned(),
                    p.backup_plan_arn()?.to_owned(),
                ))
            })
            .collect();
        Ok((named, out.next_token().map(str::to_owned)))
    })
    .await?;
    for (plan_id, arn) in listed {
        let tags = crate::tags::backup::list(client, &arn).await?;
        if !id.owns(&tags) {
            continue;
        }
        // `None`: deleted since the listing.
        if let Some(rules) = plan_rules(client, &plan_id, name).await? {
            return Ok(Some(Plan {
                id: plan_id,
                arn,
                rules,
                tags,
            }));
        }
    }
    Ok(None)
}

/// GetBackupSelection: the selection `selection_id` of the plan, if it is
/// named `name`.
async fn selection_at(
    client: &SwarmClient,
    plan_id: &str,
    selection_id: &str,
    name: &str,
) -> Result<Option<Selection>, Diagnostic> {
    let Some(out) = found(
        aws::call(
            "backup",
            "GetBackupSelection",
            client
                .backup
                .get_backup_selection()
                .backup_plan_id(plan_id)
                .selection_id(selection_id)
                .send(),
        )
        .await,
        || format!("Cannot read backup selection {selection_id}"),
    )?
    else {
        return Ok(None);
    };
    let Some(found) = out
        .backup_selection()
        .filter(|s| s.selection_name() == name)
    else {
        return Ok(None);
    };
    Ok(Some(Selection {
        id: selection_id.to_owned(),
        role_arn: found.iam_role_arn().to_owned(),
        resources: found.resources().to_vec(),
        tagged: found
            .list_of_tags()
            .iter()
            .map(|c| (c.condition_key().to_owned(), c.condition_value().to_owned()))
            .collect(),
    }))
}

/// The plan's selection named `name`, from a listing of the plan's
/// selections (a plan holds at most the one the resource makes; another
/// name is not the resource's).
async fn selection_named(
    client: &SwarmClient,
    plan_id: &str,
    name: &str,
) -> Result<Option<Selection>, Diagnostic> {
    let ids = aws::all_pages(|token| async move {
        let out = aws::call(
            "backup",
            "ListBackupSelections",
            client
                .backup
                .list_backup_selections()
                .backup_plan_id(plan_id)
                .set_next_token(token)
                .send(),
        )
        .await
        .map_err(|e| aws::error(format!("Cannot list the selections of plan {plan_id}"), &e))?;
        let ids = out
            .backup_selections_list()
            .iter()
            .filter(|s| s.selection_name() == Some(name))
            .filter_map(|s| s.selection_id().map(str::to_owned))
            .collect();
        Ok((ids, out.next_token().map(str::to_owned)))
    })
    .await?;
    match ids.first() {
        Some(selection_id) => selection_at(client, plan_id, selection_id, name).await,
        None => Ok(None),
    }
}

/// The plan and its selection: read by the ids the role's
/// [`POINTERS_TAG`] keeps, both at once, while they hold; listed when
/// there are none or they are wrong (the plan or selection was deleted,
/// made again, or made by an apply that failed before it kept its id).
async fn plan_and_selection(
    client: &SwarmClient,
    name: &str,
    id: &Identity,
    pointers: Option<&Pointers>,
) -> Result<(Option<Plan>, Option<Selection>), Diagnostic> {
    if let Some(arn) = pointers.and_then(|p| p.plan_arn.as_deref()) {
        let selection_id = pointers.and_then(|p| p.selection_id.as_deref());
        let (plan, selection) = tokio::join!(plan_at(client, arn, name, id), async {
            match selection_id {
                Some(selection_id) => {
                    selection_at(client, plan_id_of(arn), selection_id, name).await
                }
                None => Ok(None),
            }
        });
        if let Some(plan) = plan? {
            let selection = match selection? {
                Some(selection) => Some(selection),
                None => selection_named(client, &plan.id, name).await?,
            };
            return Ok((Some(plan), selection));
        }
    }
    let plan = plan_named(client, name, id).await?;
    let selection = match &plan {
        Some(plan) => selection_named(client, &plan.id, name).await?,
        None => None,
    };
    Ok((plan, selection))
}

/// GetRole: the role `name`'s ARN and tags, whoever's it is.
async fn get_role(
    client: &SwarmClient,
    name: &str,
) -> Result<Option<(String, BTreeMap<String, String>)>, Diagnostic> {
    let found = found(
        aws::call(
            "iam",
            "GetRole",
            client.iam.get_role().role_name(name).send(),
        )
        .await,
        || format!("Cannot read IAM role {name:?}"),
    )?;
    Ok(found.and_then(|out| {
        out.role()
            .map(|r| (r.arn().to_owned(), crate::tags::iam::from_sdk(r.tags())))
    }))
}

/// ListAttachedRolePolicies: the managed policies attached to the role
/// `name`.
async fn attached_policies(client: &SwarmClient, name: &str) -> Result<Vec<String>, Diagnostic> {
    aws::all_pages(|marker| async move {
        let out = aws::call(
            "iam",
            "ListAttachedRolePolicies",
            client
                .iam
                .list_attached_role_policies()
                .role_name(name)
                .set_marker(marker)
                .send(),
        )
        .await
        .map_err(|e| aws::error(format!("Cannot list the policies of IAM role {name:?}"), &e))?;
        let arns = out
            .attached_policies()
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_owned))
            .collect();
        let next = out
            .is_truncated()
            .then(|| out.marker().map(str::to_owned))
            .flatten();
        Ok((arns, next))
    })
    .await
}

/// What exists of the schedule `id`, in as few rounds as the reads allow:
/// the vault and the role at once; once the role is read, its policies,
/// the plan and its selection (by the ids its [`POINTERS_TAG`] keeps,
/// else listed) and the restore testing plan (unless that tag says there
/// is none); after the plan, the copy vault, in the region the plan's
/// copy actions name (or `copy_region` when given). Objects of the names
/// that `id` does not take are left out.
///
/// One read per object where AWS has one; two where it has not: a vault's
/// and a plan's tags come only from ListTags (DescribeBackupVault and
/// GetBackupPlan answer none), a role's managed policies only from
/// ListAttachedRolePolicies (GetRole answers its tags, not its policies).
pub async fn observe(
    client: &SwarmClient,
    id: &Identity,
    copy_region: Option<&str>,
) -> Result<Observed, Diagnostic> {
    let name = object_name(&id.id);
    let role_name = role_name(&id.id, &client.region);
    let role_and_the_rest = async {
        let found_role = get_role(client, &role_name)
            .await?
            .filter(|(_, tags)| id.owns(tags));
        let pointers = found_role
            .as_ref()
            .and_then(|(_, tags)| tags.get(POINTERS_TAG))
            .and_then(|tag| Pointers::from_tag(tag));
        let (policies, plan_and_copy, restore_testing) = tokio::join!(
            async {
                match &found_role {
                    Some(_) => attached_policies(client, &role_name).await.map(Some),
                    None => Ok(None),
                }
            },
            async {
                let (plan, selection) =
                    plan_and_selection(client, &name, id, pointers.as_ref()).await?;
                let copy_region = copy_region
                    .map(str::to_owned)
                    .or_else(|| plan.as_ref().and_then(Plan::copy_region));
                let copy_vault = match copy_region {
                    Some(region) => vault(&client.in_region(&region), &name)
                        .await?
                        .filter(|v| id.owns(&v.tags)),
                    None => None,
                };
                Ok::<_, Diagnostic>((plan, selection, copy_vault))
            },
            async {
                if pointers.as_ref().is_some_and(|p| !p.restore_testing) {
                    Ok(None)
                } else {
                    super::restore_testing::observe(client, id).await
                }
            }
        );
        let role = match (found_role, policies?) {
            (Some((arn, tags)), Some(policies)) => Some(Role {
                arn,
                tags,
                policies,
            }),
            _ => None,
        };
        let (plan, selection, copy_vault) = plan_and_copy?;
        Ok::<_, Diagnostic>((role, plan, selection, copy_vault, restore_testing?))
    };
    let (main_vault, the_rest) = tokio::join!(vault(client, &name), role_and_the_rest);
    let (role, plan, selection, copy_vault, restore_testing) = the_rest?;
    Ok(Observed {
        vault: main_vault?.filter(|v| id.owns(&v.tags)),
        copy_vault,
        plan,
        selection,
        role,
        restore_testing,
    })
}

/// The schedule's vaults alone, in its region and in `copy_region`, at
/// once (only those `id` takes): what the plan of a destroy needs to
/// count recovery points, without the rest of `observe`.
pub async fn vaults(
    client: &SwarmClient,
    id: &Identity,
    copy_region: Option<&str>,
) -> Result<[Option<Vault>; 2], Diagnostic> {
    let found = vaults_named(client, &object_name(&id.id), copy_region).await?;
    Ok(found.map(|v| v.filter(|v| id.owns(&v.tags))))
}

/// The vaults `name` in `client`'s region and in `copy_region`, at once,
/// whoever's they are.
async fn vaults_named(
    client: &SwarmClient,
    name: &str,
    copy_region: Option<&str>,
) -> Result<[Option<Vault>; 2], Diagnostic> {
    let copy_client = copy_region.map(|r| client.in_region(r));
    let (main_vault, copy_vault) = tokio::join!(vault(client, name), async {
        match &copy_client {
            Some(copy) => vault(copy, name).await,
            None => Ok(None),
        }
    });
    Ok([main_vault?, copy_vault?])
}

/// The objects of a new schedule's names that exist already (vaults and
/// role: AWS keeps their names unique), whoever's they are.
pub async fn taken(
    client: &SwarmClient,
    name: &str,
    copy_region: Option<&str>,
) -> Result<Vec<Taken>, Diagnostic> {
    let vault_name = object_name(name);
    let role_name = role_name(name, &client.region);
    let (vaults, found_role) = tokio::join!(
        vaults_named(client, &vault_name, copy_region),
        get_role(client, &role_name)
    );
    let [main_vault, copy_vault] = vaults?;
    let marker = |tags: &BTreeMap<String, String>| tags.get(ownership::KEY).cloned();
    let mut taken = Vec::new();
    if let Some(v) = main_vault {
        taken.push(Taken::new(
            "backup vault",
            &vault_name,
            marker(&v.tags).as_deref(),
        ));
    }
    if let Some(v) = copy_vault {
        taken.push(Taken::new(
            "backup vault",
            format!("{vault_name} in {}", v.region),
            marker(&v.tags).as_deref(),
        ));
    }
    if let Some((_, tags)) = found_role? {
        taken.push(Taken::new("IAM role", &role_name, marker(&tags).as_deref()));
    }
    Ok(taken)
}

/// CreateBackupVault: the new vault's ARN.
pub async fn create_vault(
    client: &SwarmClient,
    name: &str,
    key_arn: Option<&str>,
    tags: &BTreeMap<String, String>,
) -> Result<String, Diagnostic> {
    let request_id = aws::fingerprint(&[
        name,
        &client.region,
        tags.get(ownership::KEY).map_or("", String::as_str),
    ]);
    match aws::call(
        "backup",
        "CreateBackupVault",
        client
            .backup
            .create_backup_vault()
            .backup_vault_name(name)
            .set_encryption_key_arn(key_arn.map(str::to_owned))
            .set_backup_vault_tags(Some(crate::tags::backup::to_sdk(tags)))
            .creator_request_id(request_id)
            .send(),
    )
    .await
    {
        Ok(out) => Ok(out.backup_vault_arn().unwrap_or_default().to_owned()),
        Err(e) => Err(aws::error(
            format!("Cannot create backup vault {name:?} in {}", client.region),
            &e,
        )),
    }
}

/// The plan document of a spec: one rule per tier, each copied to the
/// copy vault (when there is one) with the same lifecycle.
pub fn plan_input(
    spec: &Spec,
    copy_vault_arn: Option<&str>,
) -> Result<BackupPlanInput, Diagnostic> {
    let vault_name = object_name(&spec.name);
    let mut rules = Vec::new();
    for rule in &spec.rules {
        let days = i64::try_from(rule.delete_after_days).unwrap_or(i64::MAX);
        let lifecycle = Lifecycle::builder().delete_after_days(days).build();
        let copies = copy_vault_arn
            .map(|arn| {
                CopyAction::builder()
                    .destination_backup_vault_arn(arn)
                    .lifecycle(lifecycle.clone())
                    .build()
            })
            .transpose();
        let input = BackupRuleInput::builder()
            .rule_name(rule.tier.name())
            .target_backup_vault_name(&vault_name)
            .schedule_expression(&rule.schedule_expression)
            .schedule_expression_timezone("Etc/UTC")
            .start_window_minutes(START_WINDOW_MINUTES)
            .completion_window_minutes(COMPLETION_WINDOW_MINUTES)
            .lifecycle(lifecycle)
            .set_copy_actions(built("copy action", copies)?.map(|c| vec![c]))
            .build();
        rules.push(built("backup rule", input)?);
    }
    built(
        "backup plan",
        BackupPlanInput::builder()
            .backup_plan_name(vault_name)
            .set_rules(Some(rules))
            .build(),
    )
}

/// Whether the plan's rules are the ones `input` describes (names,
/// expressions, windows, lifecycles, copy actions).
pub fn rules_match(found: &[BackupRule], input: &BackupPlanInput) -> bool {
    let key = |name: &str,
               vault: &str,
               expression: Option<&str>,
               start: Option<i64>,
               completion: Option<i64>,
               lifecycle: Option<&Lifecycle>,
               copies: &[CopyAction]| {
        let days = |l: Option<&Lifecycle>| l.and_then(Lifecycle::delete_after_days);
        let mut copies: Vec<(String, Option<i64>)> = copies
            .iter()
            .map(|c| {
                (
                    c.destination_backup_vault_arn().to_owned(),
                    days(c.lifecycle()),
                )
            })
            .collect();
        copies.sort();
        (
            name.to_owned(),
            vault.to_owned(),
            expression.map(str::to_owned),
            start,
            completion,
            days(lifecycle),
            copies,
        )
    };
    let mut found: Vec<_> = found
        .iter()
        .map(|r| {
            key(
                r.rule_name(),
                r.target_backup_vault_name(),
                r.schedule_expression(),
                r.start_window_minutes(),
                r.completion_window_minutes(),
                r.lifecycle(),
                r.copy_actions(),
            )
        })
        .collect();
    let mut wanted: Vec<_> = input
        .rules()
        .iter()
        .map(|r| {
            key(
                r.rule_name(),
                r.target_backup_vault_name(),
                r.schedule_expression(),
                r.start_window_minutes(),
                r.completion_window_minutes(),
                r.lifecycle(),
                r.copy_actions(),
            )
        })
        .collect();
    found.sort();
    wanted.sort();
    found == wanted
}

/// CreateBackupPlan: the new plan's id and ARN.
pub async fn create_plan(
    client: &SwarmClient,
    input: BackupPlanInput,
    tags: &BTreeMap<String, String>,
) -> Result<(String, String), Diagnostic> {
    let name = input.backup_plan_name().to_owned();
    let out = aws::call(
        "backup",
        "CreateBackupPlan",
        client
            .backup
            .create_backup_plan()
            .backup_plan(input)
            .set_backup_plan_tags(Some(crate::tags::backup::to_sdk(tags)))
            .send(),
    )
    .await
    .map_err(|e| aws::error(format!("Cannot create backup plan {name:?}"), &e))?;
    Ok((
        out.backup_plan_id().unwrap_or_default().to_owned(),
        out.backup_plan_arn().unwrap_or_default().to_owned(),
    ))
}

/// UpdateBackupPlan: a new version of the plan with `input`'s rules.
pub async fn update_plan(
    client: &SwarmClient,
    plan_id: &str,
    input: BackupPlanInput,
) -> Result<(), Diagnostic> {
    aws::call(
        "backup",
        "UpdateBackupPlan",
        client
            .backup
            .update_backup_plan()
            .backup_plan_id(plan_id)
            .backup_plan(input)
            .send(),
    )
    .await
    .map(drop)
    .map_err(|e| aws::error(format!("Cannot update backup plan {plan_id}"), &e))
}

/// DeleteBackupPlan (gone already is done).
pub async fn delete_plan(client: &SwarmClient, plan_id: &str) -> Result<(), Diagnostic> {
    deleted(
        aws::call(
            "backup",
            "DeleteBackupPlan",
            client
                .backup
                .delete_backup_plan()
                .backup_plan_id(plan_id)
                .send(),
        )
        .await,
        || format!("Cannot delete backup plan {plan_id}"),
    )
}

/// CreateBackupSelection, retried while IAM has not yet made a new role
/// known to AWS Backup (it refuses a role it cannot assume yet with
/// `InvalidParameterValueException`), for at most [`ROLE_PROPAGATION`].
pub async fn create_selection(
    client: &SwarmClient,
    plan_id: &str,
    name: &str,
    role_arn: &str,
    resources: &[String],
    tagged: &BTreeMap<String, String>,
    wait: &Wait<'_>,
) -> Result<String, Diagnostic> {
    let conditions = tagged
        .iter()
        .map(|(k, v)| {
            Condition::builder()
                .condition_type(ConditionType::Stringequals)
                .condition_key(k)
                .condition_value(v)
                .build()
        })
        .collect::<Result<Vec<_>, _>>();
    let selection = BackupSelection::builder()
        .selection_name(name)
        .iam_role_arn(role_arn)
        .set_resources((!resources.is_empty()).then(|| resources.to_vec()))
        .set_list_of_tags(Some(built("selection condition", conditions)?).filter(|c| !c.is_empty()))
        .build();
    let selection = built("backup selection", selection)?;
    let request_id = aws::fingerprint(&[plan_id, name, role_arn, &resources.join(",")]);
    let budget = Wait::new(wait.remaining().min(ROLE_PROPAGATION), wait.cancel);
    let out = waiter::retry_while(
        &budget,
        "the new IAM role to be usable by AWS Backup",
        &["InvalidParameterValueException"],
        || {
            aws::call(
                "backup",
                "CreateBackupSelection",
                client
                    .backup
                    .create_backup_selection()
                    .backup_plan_id(plan_id)
                    .backup_selection(selection.clone())
                    .creator_request_id(&request_id)
                    .send(),
            )
        },
    )
    .await
    .map_err(|e| {
        e.diagnostic(|e| aws::error(format!("Cannot create backup selection {name:?}"), &e))
    })?;
    Ok(out.selection_id().unwrap_or_default().to_owned())
}

/// DeleteBackupSelection (gone already is done).
pub async fn delete_selection(
    client: &SwarmClient,
    plan_id: &str,
    selection_id: &str,
) -> Result<(), Diagnostic> {
    deleted(
        aws::call(
            "backup",
            "DeleteBackupSelection",
            client
                .backup
                .delete_backup_selection()
                .backup_plan_id(plan_id)
                .selection_id(selection_id)
                .send(),
        )
        .await,
        || format!("Cannot delete backup selection {selection_id}"),
    )
}

/// CreateRole with AWS Backup's trust policy; the role's ARN.
pub async fn create_role(
    client: &SwarmClient,
    name: &str,
    tags: &BTreeMap<String, String>,
) -> Result<String, Diagnostic> {
    let out = aws::call(
        "iam",
        "CreateRole",
        client
            .iam
            .create_role()
            .role_name(name)
            .description("The role AWS Backup assumes for a swarm_backup_schedule.")
            .assume_role_policy_document(TRUST_POLICY)
            .set_tags(Some(crate::tags::iam::to_sdk(tags)?))
            .send(),
    )
    .await
    .map_err(|e| aws::error(format!("Cannot create IAM role {name:?}"), &e))?;
    Ok(out.role().map(|r| r.arn().to_owned()).unwrap_or_default())
}

/// AttachRolePolicy or DetachRolePolicy of one managed policy (one
/// already detached is done).
pub async fn attach(
    client: &SwarmClient,
    role: &str,
    policy: &str,
    attached: bool,
) -> Result<(), Diagnostic> {
    if attached {
        aws::call(
            "iam",
            "AttachRolePolicy",
            client
                .iam
                .attach_role_policy()
                .role_name(role)
                .policy_arn(policy)
                .send(),
        )
        .await
        .map(drop)
        .map_err(|e| aws::error(format!("Cannot attach {policy} to IAM role {role:?}"), &e))
    } else {
        deleted(
            aws::call(
                "iam",
                "DetachRolePolicy",
                client
                    .iam
                    .detach_role_policy()
                    .role_name(role)
                    .policy_arn(policy)
                    .send(),
            )
            .await,
            || format!("Cannot detach {policy} from IAM role {role:?}"),
        )
    }
}

/// DeleteRole (gone already is done); its policies are detached first.
pub async fn delete_role(
    client: &SwarmClient,
    name: &str,
    policies: &[String],
) -> Result<(), Diagnostic> {
    for policy in policies {
        attach(client, name, policy, false).await?;
    }
    deleted(
        aws::call(
            "iam",
            "DeleteRole",
            client.iam.delete_role().role_name(name).send(),
        )
        .await,
        || format!("Cannot delete IAM role {name:?}"),
    )
}

/// The recovery points in a vault (of one resource, when given).
pub async fn recovery_points(
    client: &SwarmClient,
    vault: &str,
    resource_arn: Option<&str>,
) -> Result<Vec<aws_sdk_backup::types::RecoveryPointByBackupVault>, Diagnostic> {
    aws::all_pages(|token| async move {
        let out = aws::call(
            "backup",
            "ListRecoveryPointsByBackupVault",
            client
                .backup
                .list_recovery_points_by_backup_vault()
                .backup_vault_name(vault)
                .set_by_resource_arn(resource_arn.map(str::to_owned))
                .set_next_token(token)
                .send(),
        )
        .await
        .map_err(|e| {
            aws::error(
                format!(
                    "Cannot list the recovery points of vault {vault:?} in {}",
                    client.region
                ),
                &e,
            )
        })?;
        Ok((
            out.recovery_points().to_vec(),
            out.next_token().map(str::to_owned),
        ))
    })
    .await
}

/// Deletes every recovery point of a vault (`force_destroy`), then waits
/// until the vault reports none (AWS deletes them over a while, and
/// refuses to delete a vault until they are gone).
pub async fn empty_vault(
    client: &SwarmClient,
    vault: &str,
    wait: &Wait<'_>,
) -> Result<(), Diagnostic> {
    for point in recovery_points(client, vault, None).await? {
        let Some(arn) = point.recovery_point_arn() else {
            continue;
        };
        if point.status().is_some_and(|s| s.as_str() == "DELETING") {
            continue;
        }
        match aws::call(
            "backup",
            "DeleteRecoveryPoint",
            client
                .backup
                .delete_recovery_point()
                .backup_vault_name(vault)
                .recovery_point_arn(arn)
                .send(),
        )
        .await
        {
            Ok(_) => {}
            Err(e) if not_found(e.code()) => {}
            Err(e) => {
                return Err(aws::error(
                    format!("Cannot delete recovery point {arn} of vault {vault:?}"),
                    &e,
                ));
            }
        }
    }
    wait.until(
        &format!("the recovery points of vault {vault:?} to be deleted"),
        || async {
            let left = recovery_points(client, vault, None).await?.len();
            Ok(if left == 0 {
                Poll::Ready(())
            } else {
                Poll::Pending(format!("{left} recovery points left"))
            })
        },
    )
    .await
}

/// PutBackupVaultLockConfiguration: a lock of `days` least retention; a
/// compliance lock with AWS's shortest grace period.
pub async fn put_lock(
    client: &SwarmClient,
    vault: &str,
    mode: LockMode,
    days: i64,
) -> Result<(), Diagnostic> {
    aws::call(
        "backup",
        "PutBackupVaultLockConfiguration",
        client
            .backup
            .put_backup_vault_lock_configuration()
            .backup_vault_name(vault)
            .min_retention_days(days)
            .set_changeable_for_days(
                (mode == LockMode::Compliance).then_some(COMPLIANCE_GRACE_DAYS),
            )
            .send(),
    )
    .await
    .map(drop)
    .map_err(|e| {
        aws::error(
            format!("Cannot lock backup vault {vault:?} in {}", client.region),
            &e,
        )
    })
}

/// DeleteBackupVaultLockConfiguration: AWS refuses it for a compliance
/// lock past its grace period, which the error says.
pub async fn delete_lock(client: &SwarmClient, vault: &str) -> Result<(), Diagnostic> {
    aws::call(
        "backup",
        "DeleteBackupVaultLockConfiguration",
        client
            .backup
            .delete_backup_vault_lock_configuration()
            .backup_vault_name(vault)
            .send(),
    )
    .await
    .map(drop)
    .map_err(|e| {
        let mut d = aws::error(
            format!(
                "Cannot remove the lock of backup vault {vault:?} in {}",
                client.region
            ),
            &e,
        );
        d.detail.push_str(
            " A compliance lock cannot be removed once its grace period has ended: keep \
             vault_lock as it is.",
        );
        d
    })
}

/// DeleteBackupVault (gone already is done).
pub async fn delete_vault(client: &SwarmClient, name: &str) -> Result<(), Diagnostic> {
    deleted(
        aws::call(
            "backup",
            "DeleteBackupVault",
            client
                .backup
                .delete_backup_vault()
                .backup_vault_name(name)
                .send(),
        )
        .await,
        || format!("Cannot delete backup vault {name:?} in {}", client.region),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_come_back_from_their_tag() {
        let all = Pointers {
            plan_arn: Some("arn:aws:backup:us-east-1:123456789012:backup-plan:a-1".to_owned()),
            selection_id: Some("s-1".to_owned()),
            restore_testing: true,
        };
        assert_eq!(
            all.tag(),
            "plan=arn:aws:backup:us-east-1:123456789012:backup-plan:a-1 selection=s-1 \
             restore-testing=yes"
        );
        // AWS's tag value characters (IAM's and AWS Backup's alike).
        assert!(
            all.tag()
                .chars()
                .all(|c| c.is_alphanumeric() || " _.:/=+-@".contains(c))
        );
        assert_eq!(Pointers::from_tag(&all.tag()), Some(all));
        let none = Pointers::default();
        assert_eq!(none.tag(), "restore-testing=no");
        assert_eq!(Pointers::from_tag(&none.tag()), Some(none));
        // An empty id (an answer without one) is no pointer.
        let empty = Pointers {
            selection_id: Some(String::new()),
            ..Pointers::default()
        };
        assert_eq!(empty.tag(), "restore-testing=no");
        assert_eq!(
            plan_id_of("arn:aws:backup:us-east-1:1:backup-plan:a-1"),
            "a-1"
        );
    }

    #[test]
    fn a_tag_that_does_not_say_whether_there_is_restore_testing_says_nothing() {
        // Then a refresh reads everything.
        for value in [
            "",
            "plan=arn:x",
            "restore-testing=maybe",
            "restore-testing=no junk",
        ] {
            assert_eq!(Pointers::from_tag(value), None, "{value:?}");
        }
    }

    #[test]
    fn only_the_providers_policies_are_the_schedules() {
        for arn in BACKUP_POLICIES.iter().chain(&S3_POLICIES) {
            assert!(provider_policy(arn), "{arn}");
        }
        assert!(!provider_policy(
            "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForItemRestores"
        ));
    }
}
