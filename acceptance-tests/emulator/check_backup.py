"""Checks ext_backup.py and ext_iam.py through boto3, as the provider will
use AWS Backup and IAM (not part of the test suite; run by hand).

    ../../.venv/bin/python check_backup.py                 # starts its own emulator
    ../../.venv/bin/python check_backup.py --endpoint http://127.0.0.1:PORT

With no `--endpoint` it starts `swarm_moto.py` on a free port (port 0,
`--port-file`), runs the checks and stops it. Each check prints one line
(`ok` or `FAIL`); the exit status is 1 if any failed. Dummy credentials,
regions us-east-1 (the plan, its vault and the resources) and us-west-2
(the copy vault).

What it goes through: the IAM role AWS Backup assumes with the four
AWS-managed policies; a vault in each region; a plan with two rules,
lifecycles and a copy action to the other region's vault; its update (a
new version; the old one still readable by VersionId); a selection by ARN
and by tag; a rule run through `POST /swarm-emulator/backup/run-rule`;
recovery points in both vaults, read back by vault, by resource and one
by one; backup and copy jobs; on-demand jobs that AWS would fail or
refuse; a vault lock that holds a point; restore testing plans and
selections; tags; deleting a plan with selections, a non-empty vault
(refused), then the points and the vaults.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import boto3
from botocore.exceptions import ClientError

HERE = pathlib.Path(__file__).resolve().parent
REGION, OTHER = "us-east-1", "us-west-2"
ACCOUNT = "123456789012"
failures = []


def check(description, condition, detail=""):
    print(f"{'ok  ' if condition else 'FAIL'} {description}{f'  [{detail}]' if detail and not condition else ''}")
    if not condition:
        failures.append(description)


def error_of(call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except ClientError as error:
        return error.response["Error"]["Code"], error.response["Error"].get("Message", "")
    return None, None


def start_emulator():
    port_file = tempfile.mktemp(prefix="check-backup-", suffix=".port")
    log = open(tempfile.mktemp(prefix="check-backup-", suffix=".log"), "w")
    process = subprocess.Popen(
        [sys.executable, str(HERE / "swarm_moto.py"), "-H", "127.0.0.1", "-p", "0", "--port-file", port_file],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    # The port file appears once the server listens; the wait is bounded.
    deadline = time.monotonic() + 60
    while not os.path.exists(port_file):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the emulator did not start; see {log.name}")
        time.sleep(0.05)
    port = open(port_file).read().strip()
    os.unlink(port_file)
    return process, f"http://127.0.0.1:{port}"


def run_rule(endpoint, plan_id, rule_name):
    request = urllib.request.Request(
        f"{endpoint}/swarm-emulator/backup/run-rule",
        data=json.dumps({"BackupPlanId": plan_id, "RuleName": rule_name}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as answer:
        return json.loads(answer.read())


def main(endpoint):
    def client(service, region=REGION):
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    backup, backup_west = client("backup"), client("backup", OTHER)
    iam, s3, rds, ec2, ecache = client("iam"), client("s3"), client("rds"), client("ec2"), client("elasticache")

    # -- IAM: the role AWS Backup assumes --------------------------------
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
    role = iam.create_role(RoleName="swarm-backup-nightly", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    policies = [
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
        "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
        "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore",
    ]
    for arn in policies:
        iam.attach_role_policy(RoleName="swarm-backup-nightly", PolicyArn=arn)
    attached = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName="swarm-backup-nightly")["AttachedPolicies"]]
    check("IAM: the four AWS-managed backup policies attach by ARN and list back", sorted(attached) == sorted(policies), attached)
    version = iam.get_policy(PolicyArn=policies[0])["Policy"]["DefaultVersionId"]
    check("IAM: GetPolicy of an AWS-managed policy", version.startswith("v"), version)
    code, _ = error_of(iam.attach_role_policy, RoleName="swarm-backup-nightly", PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicy")
    check("IAM: an unknown AWS-managed policy is NoSuchEntity", code == "NoSuchEntity", code)

    # -- resources to back up ---------------------------------------------
    s3.create_bucket(Bucket="swarm-config")
    s3.put_bucket_versioning(Bucket="swarm-config", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_tagging(Bucket="swarm-config", Tagging={"TagSet": [{"Key": "backup", "Value": "nightly"}]})
    s3.put_object(Bucket="swarm-config", Key="a.txt", Body=b"hello")
    s3.create_bucket(Bucket="swarm-logs")  # no versioning
    db = rds.create_db_instance(
        DBInstanceIdentifier="main", Engine="postgres", DBInstanceClass="db.t3.micro",
        MasterUsername="swarm", MasterUserPassword="password123", AllocatedStorage=20,
    )["DBInstance"]["DBInstanceArn"]
    rds.create_db_instance(
        DBInstanceIdentifier="other", Engine="postgres", DBInstanceClass="db.t3.micro",
        MasterUsername="swarm", MasterUserPassword="password123", AllocatedStorage=20,
        Tags=[{"Key": "backup", "Value": "nightly"}],
    )
    other_db = f"arn:aws:rds:{REGION}:{ACCOUNT}:db:other"
    instance = ec2.run_instances(
        ImageId="ami-785db401", MinCount=1, MaxCount=1, InstanceType="t3.micro",
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "backup", "Value": "nightly"}]}],
    )["Instances"][0]["InstanceId"]
    instance_arn = f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{instance}"
    bucket_arn = "arn:aws:s3:::swarm-config"

    # -- vaults ---------------------------------------------------------------
    vault = backup.create_backup_vault(BackupVaultName="swarm-nightly", BackupVaultTags={"swarm:name": "nightly"})
    copy_vault = backup_west.create_backup_vault(BackupVaultName="swarm-nightly-copy")
    copy_vault_arn = copy_vault["BackupVaultArn"]
    check("vaults: one per region, ARNs in their regions", f":{OTHER}:" in copy_vault_arn and f":{REGION}:" in vault["BackupVaultArn"])
    code, _ = error_of(backup.create_backup_vault, BackupVaultName="swarm-nightly")
    check("vaults: a second vault of the name is AlreadyExistsException", code == "AlreadyExistsException", code)
    described = backup.describe_backup_vault(BackupVaultName="swarm-nightly")
    check(
        "vaults: DescribeBackupVault has NumberOfRecoveryPoints 0 and the default key",
        described["NumberOfRecoveryPoints"] == 0 and described["EncryptionKeyArn"].startswith("arn:aws:kms:us-east-1:"),
        described,
    )

    # -- plan, update, versions -----------------------------------------
    def rule(name, cron, days, copy_days):
        return {
            "RuleName": name,
            "TargetBackupVaultName": "swarm-nightly",
            "ScheduleExpression": cron,
            "Lifecycle": {"DeleteAfterDays": days},
            "RecoveryPointTags": {"swarm:tier": name},
            "CopyActions": [{"DestinationBackupVaultArn": copy_vault_arn, "Lifecycle": {"DeleteAfterDays": copy_days}}],
        }

    plan = backup.create_backup_plan(
        BackupPlan={"BackupPlanName": "swarm-nightly", "Rules": [rule("daily", "cron(0 2 * * ? *)", 7, 7)]},
        BackupPlanTags={"swarm:name": "nightly"},
    )
    plan_id, first_version = plan["BackupPlanId"], plan["VersionId"]
    code, _ = error_of(
        backup.create_backup_plan,
        BackupPlan={"BackupPlanName": "swarm-nightly", "Rules": [rule("daily", "cron(0 2 * * ? *)", 7, 7)]},
    )
    check("CreateBackupPlan of the same plan document again is AlreadyExistsException", code == "AlreadyExistsException", code)
    twin = backup.create_backup_plan(
        BackupPlan={"BackupPlanName": "swarm-nightly", "Rules": [rule("daily", "cron(0 3 * * ? *)", 7, 7)]},
    )
    check("CreateBackupPlan of the same name with other rules: a second plan, as on AWS", twin["BackupPlanId"] != plan_id)
    backup.delete_backup_plan(BackupPlanId=twin["BackupPlanId"])
    daily_id = backup.get_backup_plan(BackupPlanId=plan_id)["BackupPlan"]["Rules"][0]["RuleId"]
    updated = backup.update_backup_plan(
        BackupPlanId=plan_id,
        BackupPlan={
            "BackupPlanName": "swarm-nightly",
            "Rules": [rule("daily", "cron(0 2 * * ? *)", 7, 7), rule("weekly", "cron(0 2 ? * SUN *)", 28, 28)],
        },
    )
    check("UpdateBackupPlan: a new VersionId", updated["VersionId"] != first_version)
    latest = backup.get_backup_plan(BackupPlanId=plan_id)
    rules = {r["RuleName"]: r for r in latest["BackupPlan"]["Rules"]}
    check(
        "GetBackupPlan: the newest version, rules with lifecycles and copy actions, the daily rule's id kept",
        latest["VersionId"] == updated["VersionId"] and set(rules) == {"daily", "weekly"}
        and rules["weekly"]["Lifecycle"] == {"DeleteAfterDays": 28}
        and rules["weekly"]["CopyActions"][0]["DestinationBackupVaultArn"] == copy_vault_arn
        and rules["daily"]["RuleId"] == daily_id,
        latest,
    )
    old = backup.get_backup_plan(BackupPlanId=plan_id, VersionId=first_version)
    check("GetBackupPlan by an older VersionId: that version", len(old["BackupPlan"]["Rules"]) == 1)
    listed = backup.list_backup_plan_versions(BackupPlanId=plan_id)["BackupPlanVersionsList"]
    check("ListBackupPlanVersions: both versions", {v["VersionId"] for v in listed} == {first_version, updated["VersionId"]})
    code, _ = error_of(backup.get_backup_plan, BackupPlanId=plan_id, VersionId="nope")
    check("GetBackupPlan of an unknown version is ResourceNotFoundException", code == "ResourceNotFoundException", code)
    code, _ = error_of(
        backup.update_backup_plan, BackupPlanId="no-such-plan",
        BackupPlan={"BackupPlanName": "x", "Rules": [rule("daily", "cron(0 2 * * ? *)", 7, 7)]},
    )
    check("UpdateBackupPlan of no plan is ResourceNotFoundException", code == "ResourceNotFoundException", code)

    # -- selection -------------------------------------------------------------
    selection = backup.create_backup_selection(
        BackupPlanId=plan_id,
        BackupSelection={
            "SelectionName": "swarm-nightly",
            "IamRoleArn": role,
            "Resources": [db],
            "ListOfTags": [{"ConditionType": "STRINGEQUALS", "ConditionKey": "backup", "ConditionValue": "nightly"}],
            "NotResources": [other_db],
        },
    )
    code, message = error_of(
        backup.create_backup_selection, BackupPlanId=plan_id,
        BackupSelection={
            "SelectionName": "conditions-only", "IamRoleArn": role,
            "Conditions": {"StringEquals": [{"ConditionKey": "aws:ResourceTag/backup", "ConditionValue": "nightly"}]},
        },
    )
    check("CreateBackupSelection with Conditions alone is InvalidParameterValueException", code == "InvalidParameterValueException", code)
    got = backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=selection["SelectionId"])
    check(
        "Get/ListBackupSelection(s): the selection as made",
        got["BackupSelection"]["Resources"] == [db] and got["BackupSelection"]["NotResources"] == [other_db]
        and [s["SelectionId"] for s in backup.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"]]
        == [selection["SelectionId"]],
        got,
    )
    code, _ = error_of(backup.delete_backup_plan, BackupPlanId=plan_id)
    check("DeleteBackupPlan with a selection is InvalidRequestException", code == "InvalidRequestException", code)

    # -- a rule fires -------------------------------------------------------
    ran = run_rule(endpoint, plan_id, "weekly")
    resources = sorted(j["ResourceArn"] for j in ran["BackupJobs"])
    check(
        "run-rule: a job per selected resource (by ARN and by tag, NotResources left out)",
        resources == sorted([db, bucket_arn, instance_arn]) and all(j["State"] == "COMPLETED" for j in ran["BackupJobs"]),
        ran,
    )
    check("run-rule: a completed copy job per recovery point", len(ran["CopyJobs"]) == 3 and all(c["State"] == "COMPLETED" for c in ran["CopyJobs"]), ran)
    points = backup.list_recovery_points_by_backup_vault(BackupVaultName="swarm-nightly")["RecoveryPoints"]
    copies = backup_west.list_recovery_points_by_backup_vault(BackupVaultName="swarm-nightly-copy")["RecoveryPoints"]
    print(f"     recovery points in swarm-nightly ({REGION}):")
    for p in points:
        print(f"       {p['RecoveryPointArn']}  {p['ResourceType']}  DeleteAt {p['CalculatedLifecycle']['DeleteAt']:%Y-%m-%d}")
    print(f"     recovery points in swarm-nightly-copy ({OTHER}):")
    for p in copies:
        print(f"       {p['RecoveryPointArn']}  {p['ResourceType']}  DeleteAt {p['CalculatedLifecycle']['DeleteAt']:%Y-%m-%d}")
    check(
        "recovery points: three in each region's vault, the rule's lifecycle and CreatedBy",
        len(points) == 3 and len(copies) == 3
        and all(p["Lifecycle"] == {"DeleteAfterDays": 28} for p in points + copies)
        and all(p["CreatedBy"]["BackupPlanId"] == plan_id and p["CreatedBy"]["BackupRuleId"] == rules["weekly"]["RuleId"]
                and p["CreatedBy"]["BackupPlanVersion"] == updated["VersionId"] for p in points + copies)
        and all(p["SourceBackupVaultArn"] == vault["BackupVaultArn"] for p in copies)
        and all(f":{OTHER}:" in p["RecoveryPointArn"] or p["RecoveryPointArn"].startswith(f"arn:aws:ec2:{OTHER}::") for p in copies),
        points + copies,
    )
    ami_point = [p for p in points if p["ResourceType"] == "EC2"][0]["RecoveryPointArn"]
    described = backup.describe_recovery_point(BackupVaultName="swarm-nightly", RecoveryPointArn=ami_point)
    check(
        "DescribeRecoveryPoint of an AMI recovery point (an ARN with '/')",
        described["ResourceArn"] == instance_arn and described["Status"] == "COMPLETED"
        and (described["CalculatedLifecycle"]["DeleteAt"] - described["CreationDate"]).days == 28,
        described,
    )
    by_resource = backup.list_recovery_points_by_resource(ResourceArn=instance_arn)["RecoveryPoints"]
    check("ListRecoveryPointsByResource of the instance ARN", [p["RecoveryPointArn"] for p in by_resource] == [ami_point], by_resource)
    by_resource_west = backup_west.list_recovery_points_by_resource(ResourceArn=db)["RecoveryPoints"]
    check("ListRecoveryPointsByResource in the copy region: the copy", len(by_resource_west) == 1 and by_resource_west[0]["BackupVaultName"] == "swarm-nightly-copy", by_resource_west)
    check(
        "recovery point tags: the rule's RecoveryPointTags",
        backup.list_tags(ResourceArn=ami_point)["Tags"] == {"swarm:tier": "weekly"},
    )
    check("NumberOfRecoveryPoints: 3 and 3", backup.describe_backup_vault(BackupVaultName="swarm-nightly")["NumberOfRecoveryPoints"] == 3
          and [v["NumberOfRecoveryPoints"] for v in backup_west.list_backup_vaults()["BackupVaultList"]] == [3])
    job = backup.describe_backup_job(BackupJobId=ran["BackupJobs"][0]["BackupJobId"])
    check("DescribeBackupJob: COMPLETED with its recovery point", job["State"] == "COMPLETED" and job["RecoveryPointArn"] == ran["BackupJobs"][0]["RecoveryPointArn"], job)
    check("ListBackupJobs by resource", len(backup.list_backup_jobs(ByResourceArn=db)["BackupJobs"]) == 1)
    copy_job = backup.describe_copy_job(CopyJobId=ran["CopyJobs"][0]["CopyJobId"])["CopyJob"]
    check("DescribeCopyJob: the destination vault in the other region", copy_job["DestinationBackupVaultArn"] == copy_vault_arn and copy_job["State"] == "COMPLETED", copy_job)
    check("ListCopyJobs (in the source region): 3", len(backup.list_copy_jobs()["CopyJobs"]) == 3)
    check("the plan's LastExecutionDate is set (GetBackupPlan, ListBackupPlans)",
          "LastExecutionDate" in backup.get_backup_plan(BackupPlanId=plan_id)
          and "LastExecutionDate" in backup.list_backup_plans()["BackupPlansList"][0])

    # A selection by pattern and Conditions (ANDed): only the tagged instance.
    tagged = backup.create_backup_plan(BackupPlan={"BackupPlanName": "swarm-tagged", "Rules": [
        {"RuleName": "daily", "TargetBackupVaultName": "swarm-nightly", "Lifecycle": {"DeleteAfterDays": 3}}]})
    tagged_selection = backup.create_backup_selection(BackupPlanId=tagged["BackupPlanId"], BackupSelection={
        "SelectionName": "instances", "IamRoleArn": role, "Resources": ["arn:aws:ec2:*:*:instance/*"],
        "Conditions": {"StringEquals": [{"ConditionKey": "aws:ResourceTag/backup", "ConditionValue": "nightly"}],
                       "StringNotLike": [{"ConditionKey": "aws:ResourceTag/skip", "ConditionValue": "*"}]},
    })
    ran_tagged = run_rule(endpoint, tagged["BackupPlanId"], "daily")
    check("run-rule: Resources pattern AND Conditions select the tagged instance only",
          [j["ResourceArn"] for j in ran_tagged["BackupJobs"]] == [instance_arn] and ran_tagged["CopyJobs"] == [], ran_tagged)
    for job in ran_tagged["BackupJobs"]:
        backup.delete_recovery_point(BackupVaultName="swarm-nightly", RecoveryPointArn=job["RecoveryPointArn"])
    backup.list_recovery_points_by_backup_vault(BackupVaultName="swarm-nightly")
    backup.delete_backup_selection(BackupPlanId=tagged["BackupPlanId"], SelectionId=tagged_selection["SelectionId"])
    backup.delete_backup_plan(BackupPlanId=tagged["BackupPlanId"])
    request = urllib.request.Request(f"{endpoint}/swarm-emulator/backup/run-rule", method="POST",
                                     data=json.dumps({"BackupPlanId": plan_id, "RuleName": "monthly"}).encode())
    try:
        urllib.request.urlopen(request)
        status = 200
    except urllib.error.HTTPError as error:
        status = error.code
    check("run-rule of a rule the plan does not have: 404", status == 404, status)

    # -- on-demand jobs ------------------------------------------------------
    started = backup.start_backup_job(BackupVaultName="swarm-nightly", ResourceArn=bucket_arn, IamRoleArn=role, Lifecycle={"DeleteAfterDays": 1})
    check("StartBackupJob of a versioned bucket: a Backup recovery point ARN at once", started["RecoveryPointArn"].startswith("arn:aws:backup:us-east-1:"), started)
    logs = backup.start_backup_job(BackupVaultName="swarm-nightly", ResourceArn="arn:aws:s3:::swarm-logs", IamRoleArn=role)
    failed = backup.describe_backup_job(BackupJobId=logs["BackupJobId"])
    check("StartBackupJob of a bucket without versioning: the job FAILED, no recovery point", failed["State"] == "FAILED" and "RecoveryPointArn" not in failed, failed.get("StatusMessage"))
    code, _ = error_of(backup.start_backup_job, BackupVaultName="swarm-nightly", ResourceArn=f"arn:aws:elasticache:{REGION}:{ACCOUNT}:replicationgroup:cache", IamRoleArn=role)
    check("StartBackupJob of an ElastiCache ARN is InvalidParameterValueException", code == "InvalidParameterValueException", code)
    code, _ = error_of(backup.start_backup_job, BackupVaultName="no-such-vault", ResourceArn=db, IamRoleArn=role)
    check("StartBackupJob into no vault is ResourceNotFoundException", code == "ResourceNotFoundException", code)
    copied = backup.start_copy_job(
        RecoveryPointArn=started["RecoveryPointArn"], SourceBackupVaultName="swarm-nightly",
        DestinationBackupVaultArn=copy_vault_arn, IamRoleArn=role, Lifecycle={"DeleteAfterDays": 2},
    )
    destination = backup.describe_copy_job(CopyJobId=copied["CopyJobId"])["CopyJob"]["DestinationRecoveryPointArn"]
    lifecycle = backup_west.describe_recovery_point(BackupVaultName="swarm-nightly-copy", RecoveryPointArn=destination)["Lifecycle"]
    check("StartCopyJob: the copy in the other region with the copy's lifecycle", lifecycle == {"DeleteAfterDays": 2}, lifecycle)
    changed = backup.update_recovery_point_lifecycle(BackupVaultName="swarm-nightly", RecoveryPointArn=started["RecoveryPointArn"], Lifecycle={"DeleteAfterDays": 30})
    check("UpdateRecoveryPointLifecycle: the new lifecycle and DeleteAt", changed["Lifecycle"] == {"DeleteAfterDays": 30} and "DeleteAt" in changed["CalculatedLifecycle"], changed)

    # -- vault lock --------------------------------------------------------
    backup.create_backup_vault(BackupVaultName="swarm-locked")
    backup.put_backup_vault_lock_configuration(BackupVaultName="swarm-locked", MinRetentionDays=7)
    short = backup.start_backup_job(BackupVaultName="swarm-locked", ResourceArn=db, IamRoleArn=role, Lifecycle={"DeleteAfterDays": 1})
    check("vault lock: a job with a shorter retention than the lock's minimum FAILED",
          backup.describe_backup_job(BackupJobId=short["BackupJobId"])["State"] == "FAILED")
    kept = backup.start_backup_job(BackupVaultName="swarm-locked", ResourceArn=db, IamRoleArn=role, Lifecycle={"DeleteAfterDays": 14})
    kept_point = backup.describe_backup_job(BackupJobId=kept["BackupJobId"])["RecoveryPointArn"]
    code, message = error_of(backup.delete_recovery_point, BackupVaultName="swarm-locked", RecoveryPointArn=kept_point)
    check("vault lock: DeleteRecoveryPoint within MinRetentionDays is InvalidRequestException", code == "InvalidRequestException", code)
    print(f"     ({message})")
    backup.delete_backup_vault_lock_configuration(BackupVaultName="swarm-locked")
    backup.delete_recovery_point(BackupVaultName="swarm-locked", RecoveryPointArn=kept_point)
    check("vault lock removed (governance mode): the point is DELETING",
          backup.describe_recovery_point(BackupVaultName="swarm-locked", RecoveryPointArn=kept_point)["Status"] == "DELETING")
    code, _ = error_of(backup.describe_recovery_point, BackupVaultName="swarm-locked", RecoveryPointArn=kept_point)
    check("... and gone once seen DELETING", code == "ResourceNotFoundException", code)
    backup.delete_backup_vault(BackupVaultName="swarm-locked")

    # -- restore testing ----------------------------------------------------
    rt = backup.create_restore_testing_plan(
        RestoreTestingPlan={
            "RestoreTestingPlanName": "swarm_nightly",
            "ScheduleExpression": "cron(0 6 ? * SUN *)",
            "RecoveryPointSelection": {
                "Algorithm": "LATEST_WITHIN_WINDOW", "IncludeVaults": [vault["BackupVaultArn"]],
                "RecoveryPointTypes": ["SNAPSHOT"], "SelectionWindowDays": 7,
            },
        },
        Tags={"swarm:name": "nightly"},
    )
    backup.create_restore_testing_selection(
        RestoreTestingPlanName="swarm_nightly",
        RestoreTestingSelection={
            "RestoreTestingSelectionName": "swarm_nightly_rds", "IamRoleArn": role,
            "ProtectedResourceType": "RDS", "ProtectedResourceArns": [db], "ValidationWindowHours": 2,
        },
    )
    backup.update_restore_testing_plan(RestoreTestingPlanName="swarm_nightly", RestoreTestingPlan={"ScheduleExpression": "cron(0 7 ? * SUN *)"})
    backup.update_restore_testing_selection(
        RestoreTestingPlanName="swarm_nightly", RestoreTestingSelectionName="swarm_nightly_rds",
        RestoreTestingSelection={"ValidationWindowHours": 4},
    )
    got_plan = backup.get_restore_testing_plan(RestoreTestingPlanName="swarm_nightly")["RestoreTestingPlan"]
    got_sel = backup.get_restore_testing_selection(RestoreTestingPlanName="swarm_nightly", RestoreTestingSelectionName="swarm_nightly_rds")["RestoreTestingSelection"]
    check(
        "restore testing: plan and selection made, updated and read back",
        got_plan["ScheduleExpression"] == "cron(0 7 ? * SUN *)" and got_plan["RestoreTestingPlanArn"] == rt["RestoreTestingPlanArn"]
        and got_sel["ValidationWindowHours"] == 4 and got_sel["ProtectedResourceArns"] == [db]
        and [p["RestoreTestingPlanName"] for p in backup.list_restore_testing_plans()["RestoreTestingPlans"]] == ["swarm_nightly"]
        and len(backup.list_restore_testing_selections(RestoreTestingPlanName="swarm_nightly")["RestoreTestingSelections"]) == 1
        and backup.list_tags(ResourceArn=rt["RestoreTestingPlanArn"])["Tags"] == {"swarm:name": "nightly"},
        (got_plan, got_sel),
    )
    code, _ = error_of(backup.delete_restore_testing_plan, RestoreTestingPlanName="swarm_nightly")
    check("restore testing: a plan with a selection is not deleted (InvalidRequestException)", code == "InvalidRequestException", code)
    backup.delete_restore_testing_selection(RestoreTestingPlanName="swarm_nightly", RestoreTestingSelectionName="swarm_nightly_rds")
    backup.delete_restore_testing_plan(RestoreTestingPlanName="swarm_nightly")
    code, _ = error_of(backup.get_restore_testing_plan, RestoreTestingPlanName="swarm_nightly")
    check("restore testing: deleted", code == "ResourceNotFoundException", code)

    # -- tags ----------------------------------------------------------------
    backup.tag_resource(ResourceArn=plan["BackupPlanArn"], Tags={"env": "test"})
    backup.untag_resource(ResourceArn=plan["BackupPlanArn"], TagKeyList=["swarm:name"])
    check("tags on a plan: tag, untag, list", backup.list_tags(ResourceArn=plan["BackupPlanArn"])["Tags"] == {"env": "test"})

    # -- destroy --------------------------------------------------------------
    code, message = error_of(backup.delete_backup_vault, BackupVaultName="swarm-nightly")
    check("DeleteBackupVault of a vault with recovery points is InvalidRequestException", code == "InvalidRequestException", code)
    print(f"     ({message})")
    backup.delete_backup_selection(BackupPlanId=plan_id, SelectionId=selection["SelectionId"])
    deleted = backup.delete_backup_plan(BackupPlanId=plan_id)
    check("DeleteBackupPlan once its selection is gone; ListBackupPlans no longer has it",
          "DeletionDate" in deleted and backup.list_backup_plans()["BackupPlansList"] == [])
    check("ListBackupPlans: IncludeDeleted=False leaves deleted plans out, True lists them",
          backup.list_backup_plans(IncludeDeleted=False)["BackupPlansList"] == []
          and plan_id in [p["BackupPlanId"] for p in backup.list_backup_plans(IncludeDeleted=True)["BackupPlansList"]])
    code, _ = error_of(backup.get_backup_plan, BackupPlanId=plan_id)
    check("GetBackupPlan of the deleted plan is ResourceNotFoundException", code == "ResourceNotFoundException", code)
    check("... by its VersionId: that version, with its DeletionDate",
          "DeletionDate" in backup.get_backup_plan(BackupPlanId=plan_id, VersionId=deleted["VersionId"]))
    # AWS deletes recovery points over a while; a destroy waits for the
    # vault to empty, or retries the vault's deletion.
    for point in backup.list_recovery_points_by_backup_vault(BackupVaultName="swarm-nightly")["RecoveryPoints"]:
        backup.delete_recovery_point(BackupVaultName="swarm-nightly", RecoveryPointArn=point["RecoveryPointArn"])
    counts = []
    while not counts or counts[-1]:
        counts.append(backup.describe_backup_vault(BackupVaultName="swarm-nightly")["NumberOfRecoveryPoints"])
    backup.delete_backup_vault(BackupVaultName="swarm-nightly")
    check(f"swarm-nightly: points DELETING, NumberOfRecoveryPoints {counts}, then the vault deleted",
          len(counts) == 2 and "swarm-nightly" not in [v["BackupVaultName"] for v in backup.list_backup_vaults()["BackupVaultList"]])
    for point in backup_west.list_recovery_points_by_backup_vault(BackupVaultName="swarm-nightly-copy")["RecoveryPoints"]:
        backup_west.delete_recovery_point(BackupVaultName="swarm-nightly-copy", RecoveryPointArn=point["RecoveryPointArn"])
    first, _ = error_of(backup_west.delete_backup_vault, BackupVaultName="swarm-nightly-copy")
    second, _ = error_of(backup_west.delete_backup_vault, BackupVaultName="swarm-nightly-copy")
    check(f"swarm-nightly-copy: DeleteBackupVault right after DeleteRecoveryPoint {first}, the retry succeeds",
          first == "InvalidRequestException" and second is None)
    code, _ = error_of(backup.delete_backup_vault, BackupVaultName="swarm-nightly")
    check("DeleteBackupVault of no vault is ResourceNotFoundException", code == "ResourceNotFoundException", code)
    backup.create_backup_vault(BackupVaultName="swarm-nightly")
    check("a new vault of the name starts with no tags", backup.list_tags(
        ResourceArn=vault["BackupVaultArn"])["Tags"] == {})
    again = backup.create_backup_plan(BackupPlan={"BackupPlanName": "swarm-nightly", "Rules": [rule("daily", "cron(0 2 * * ? *)", 7, 7)]})
    check("a deleted plan's name can be used again", again["BackupPlanId"] != plan_id)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", help="a running emulator (default: start one)")
    args = parser.parse_args()
    process = None
    endpoint = args.endpoint
    if endpoint is None:
        process, endpoint = start_emulator()
    try:
        print(f"emulator: {endpoint}")
        main(endpoint)
    finally:
        if process is not None:
            process.terminate()
            process.wait()
    print(f"{'all checks passed' if not failures else f'{len(failures)} check(s) failed'}")
    sys.exit(1 if failures else 0)
