//! What the tests of `swarm_backup_schedule` share: making an AWS Backup
//! rule run now (the emulator's control endpoint, `POST
//! /swarm-emulator/backup/run-rule`, see the README's "AWS Backup: making a
//! rule run now", an unsigned JSON request outside every AWS API; only the
//! tests call it, never the provider), a schedule that needs no other
//! resource, the role's policies read back, and what a restore runbook
//! needs: RDS and EC2 in the copy's region, and waiting for a restore job.

use std::time::Duration;

use aws_sdk_backup::operation::describe_restore_job::DescribeRestoreJobOutput;
use aws_sdk_backup::types::RestoreJobStatus;
use serde_json::{Value as Json, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::checks::err;
use crate::emulator::Emulator;

/// The address of [`database_schedule`]'s schedule.
pub const SCHEDULE: &str = "swarm_backup_schedule.nightly";
/// The IAM role of a schedule `nightly` in the tests' region (us-east-1).
pub const ROLE: &str = "swarm-backup-nightly-us-east-1";
/// The vaults of a schedule `nightly` (the same name in both regions).
pub const VAULT: &str = "swarm-nightly";
/// The region the tests' schedules copy to.
pub const COPY_REGION: &str = "us-west-2";
/// The database [`database_schedule`] selects: an ARN only (AWS Backup
/// takes a selection of a resource that does not exist yet, and so does
/// the emulator), so that a test reads the schedule's requests alone.
pub const DATABASE_ARN: &str = "arn:aws:rds:us-east-1:123456789012:db:main";
/// The AWS-managed policies of the role of a schedule that backs up no
/// bucket, sorted.
pub const BACKUP_POLICIES: [&str; 2] = [
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
];

/// A configuration of one schedule `nightly` of [`DATABASE_ARN`], daily at
/// 02:00, with `body` in its block.
pub fn database_schedule(emulator: &Emulator, body: &str) -> String {
    crate::config(&format!(
        r#"{}
resource "swarm_backup_schedule" "nightly" {{
  name      = "nightly"
  schedule  = "0 2 * * *"
  resources = ["{DATABASE_ARN}"]
{body}
}}
"#,
        emulator.provider_block("  environment = \"production\"\n")
    ))
}

/// The managed policies attached to the IAM role `role`, sorted.
pub async fn attached_policies(emulator: &Emulator, role: &str) -> Result<Vec<String>, String> {
    let out = emulator
        .iam()
        .await
        .list_attached_role_policies()
        .role_name(role)
        .send()
        .await
        .map_err(err)?;
    let mut arns: Vec<String> = out
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_owned))
        .collect();
    arns.sort();
    Ok(arns)
}

/// Runs the rule `rule` of the plan `plan_id` as AWS does when it fires;
/// the emulator's answer (`BackupJobs`, `CopyJobs`).
pub async fn run_rule(emulator: &Emulator, plan_id: &str, rule: &str) -> Result<Json, String> {
    let endpoint = emulator
        .endpoint()
        .ok_or("a rule can be made to run only on the emulator")?;
    let authority = endpoint
        .strip_prefix("http://")
        .ok_or_else(|| format!("the emulator's endpoint {endpoint} is not http://"))?
        .trim_end_matches('/');
    let body = json!({ "BackupPlanId": plan_id, "RuleName": rule }).to_string();
    let request = format!(
        "POST /swarm-emulator/backup/run-rule HTTP/1.1\r\nHost: {authority}\r\nContent-Type: \
         application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(authority)
        .await
        .map_err(|e| format!("cannot reach the emulator at {authority}: {e}"))?;
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("cannot send the run-rule request: {e}"))?;
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .await
        .map_err(|e| format!("cannot read the run-rule answer: {e}"))?;
    let answer = String::from_utf8_lossy(&answer);
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("not an HTTP answer: {answer}"))?;
    if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
        return Err(format!("run-rule answered {head}: {body}"));
    }
    // The body may come in chunks.
    let json_start = body.find('{').ok_or_else(|| format!("no JSON in {body}"))?;
    let json_end = body
        .rfind('}')
        .ok_or_else(|| format!("no JSON in {body}"))?;
    serde_json::from_str(&body[json_start..=json_end])
        .map_err(|e| format!("the run-rule answer is not JSON ({e}): {body}"))
}

/// RDS in `region`: where a recovery point's copy is restored.
pub async fn rds_in(emulator: &Emulator, region: &str) -> aws_sdk_rds::Client {
    let conf = aws_sdk_rds::config::Builder::from(&emulator.sdk_config().await)
        .region(aws_config::Region::new(region.to_owned()))
        .build();
    aws_sdk_rds::Client::from_conf(conf)
}

/// EC2 in `region`: the subnets and security group a restore there needs.
pub async fn ec2_in(emulator: &Emulator, region: &str) -> aws_sdk_ec2::Client {
    let conf = aws_sdk_ec2::config::Builder::from(&emulator.sdk_config().await)
        .region(aws_config::Region::new(region.to_owned()))
        .build();
    aws_sdk_ec2::Client::from_conf(conf)
}

/// Polls `aws backup describe-restore-job` until the job has ended
/// (COMPLETED, FAILED or ABORTED), with a backoff from 100 ms to 5 s
/// for at most ten minutes (an RDS restore takes many on AWS); its last
/// description.
pub async fn restore_job_ended(
    backup: &aws_sdk_backup::Client,
    restore_job_id: &str,
) -> Result<DescribeRestoreJobOutput, String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
    let mut delay = Duration::from_millis(100);
    loop {
        let job = backup
            .describe_restore_job()
            .restore_job_id(restore_job_id)
            .send()
            .await
            .map_err(err)?;
        let running = matches!(
            job.status(),
            None | Some(RestoreJobStatus::Pending | RestoreJobStatus::Running)
        );
        if !running {
            return Ok(job);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(format!(
                "restore job {restore_job_id} still {:?} after ten minutes",
                job.status()
            ));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}
