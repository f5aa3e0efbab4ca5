"""AWS Backup as `swarm_backup_schedule` uses it, on top of moto 5.2.5.

moto 5.2.5 has backup vaults, plans (create, get, list, delete), tags and
vault locks. Added or corrected here, with AWS Backup's request and
response shapes (restJson1, routed by moto from botocore's model) and its
error codes; each is listed in ../README.md ("Where the emulator falls
short"):

- Plans: a second `CreateBackupPlan` of the same plan document is
  `AlreadyExistsException`, but plans of the same name with other rules
  are two plans, as on AWS (moto refused any name it held, deleted plans'
  too); `UpdateBackupPlan` (a new `VersionId`; rules keep their
  `RuleId` by `RuleName`, new rules get a new one), `GetBackupPlan` of an
  older `VersionId`, `ListBackupPlanVersions`; `ListBackupPlans` takes
  `includeDeleted=false` as false (moto took any value for true) and
  pages; a deleted plan's name can
  be used again; a deleted plan is `ResourceNotFoundException` to
  `GetBackupPlan` without a `VersionId` (moto answered it, with its
  `DeletionDate`); `DeleteBackupPlan` is refused while the plan has
  selections (`InvalidRequestException`), as on AWS; tags of a deleted
  vault or plan go with it (moto kept them for the next object of the
  name).
- Selections: `CreateBackupSelection` (`Resources`, `ListOfTags`,
  `Conditions`, `NotResources`), `GetBackupSelection`,
  `ListBackupSelections`, `DeleteBackupSelection`.
- Backup jobs and recovery points: `StartBackupJob`, `DescribeBackupJob`,
  `ListBackupJobs`, `ListRecoveryPointsByBackupVault`,
  `ListRecoveryPointsByResource`, `DescribeRecoveryPoint`,
  `DeleteRecoveryPoint`, `UpdateRecoveryPointLifecycle`. A job completes at
  once (as moto's other resources are ready at once) and leaves a
  recovery point whose ARN has AWS's form for the resource type (an AMI
  for EC2, an EBS snapshot, an RDS snapshot `awsbackup:job-...`, else a
  `backup` recovery point). Like AWS, a job fails (state FAILED, no
  recovery point) when the resource does not exist, a bucket has no
  versioning, the vault does not exist, or the lifecycle is outside the
  vault lock's retention; resource types AWS Backup does not cover (e.g.
  ElastiCache) are refused (`InvalidParameterValueException`).
  `NumberOfRecoveryPoints` follows the points; `DeleteBackupVault` is
  refused while the vault holds any (`InvalidRequestException`, AWS's
  message) and answers `ResourceNotFoundException` for no vault.
  `DeleteRecoveryPoint` is refused while a vault lock's
  `MinRetentionDays` holds the point (`InvalidRequestException`); a
  deleted point is `DELETING` (and still counts in its vault) until a
  request has shown it so (a list or describe of the point, a count of
  its vault's points) or refused its vault's deletion for it; the next
  request finds it gone. On AWS deletion takes a while, and a vault
  deleted right after its points is refused; whatever a caller polls,
  the second call finds the point gone.
  The points' own deletion at `CalculatedLifecycle.DeleteAt` is not
  emulated (no test waits that long).
- Copy jobs: `StartCopyJob`, `DescribeCopyJob`, `ListCopyJobs`. The copy
  lands in the destination vault named by its ARN, in that ARN's region
  (moto keeps a backend per region); the copy job is listed in the source
  region, as on AWS.
- Restores: `GetRecoveryPointRestoreMetadata`, `StartRestoreJob`,
  `DescribeRestoreJob`, `ListRestoreJobs`,
  `ListRestoreJobsByProtectedResource`. An RDS point keeps its instance's
  settings as they were at the backup (an RDS snapshot does); its restore
  makes a new DB instance in moto's RDS of the point's region, as
  `RestoreDBInstanceFromDBSnapshot` does: engine, class, storage and
  encryption from the point (a copy's with its vault's key), subnet
  group, security groups, zone and Multi-AZ only as the metadata says.
  The job completes at once, or FAILS with RDS's error in its
  `StatusMessage` (an identifier in use: `DBInstanceAlreadyExists`; a
  subnet group not in the region: `DBSubnetGroupNotFoundFault`), or for
  a role AWS Backup could not use (missing, not trusting
  backup.amazonaws.com, not allowed rds:RestoreDBInstanceFromDBSnapshot).
  Other resource types are not restored (`InvalidParameterValueException`).
- Restore testing: `Create/Get/Update/Delete/ListRestoreTestingPlan(s)`
  and `Create/Get/Update/Delete/ListRestoreTestingSelection(s)`; a plan
  with selections is not deleted (`InvalidRequestException`).
- `DescribeBackupVault` answers `NumberOfRecoveryPoints` and
  `EncryptionKeyArn` (moto answered neither); a vault made without a key
  reports a key ARN of its region, as AWS Backup uses its AWS-managed key.
- `ListTags` pages; recovery points take the rule's `RecoveryPointTags`.

Emulator-only control endpoint (called by tests, never by the provider)
---------------------------------------------------------------------
AWS runs a plan's rules on its own clock; a test cannot wait for 02:00.

    POST /swarm-emulator/backup/run-rule
    {"BackupPlanId": "...", "RuleName": "daily"}
    (optional "Region" and "AccountId": default, the region and account
    that hold the plan)

does what AWS does when that rule fires: for every selection of the
plan, the selected resources are resolved (ARNs as given, `*` patterns in
`Resources`, and for `ListOfTags`/`Conditions` the tagged resources moto
knows of in the plan's region: EC2 instances and volumes, RDS instances
and clusters, S3 buckets; `ListOfTags` and `Resources` are ORed,
`Conditions` ANDed with them, `NotResources` taken out); each resource
gets a backup job and a recovery point in the rule's target vault with
the rule's lifecycle, `RecoveryPointTags` and `CreatedBy` (plan id, ARN,
version, rule id, name, cron, timezone); then each of the rule's copy
actions gets a copy job and a recovery point in its destination vault
with the copy's lifecycle. The answer (200, JSON) lists the jobs:
`{"BackupJobs": [{"BackupJobId", "ResourceArn", "State",
"RecoveryPointArn", "BackupVaultName"}], "CopyJobs": [{"CopyJobId",
"State", "SourceRecoveryPointArn", "DestinationRecoveryPointArn",
"DestinationBackupVaultArn"}]}`. An unknown plan or rule answers 404
with `{"message": ...}`; a malformed body 400.

Quotas enforced as AWS documents them (`LimitExceededException`): 100
vaults per region, 100 plans per region, 50 selections per plan, 30
restore-testing selections per restore-testing plan.
"""

import base64
import copy
import datetime
import fnmatch
import io
import json
import uuid

CONTROL_PATH = "/swarm-emulator/backup/run-rule"
MAX_VAULTS = 100
MAX_PLANS = 100
MAX_SELECTIONS = 50
MAX_RT_SELECTIONS = 30
RT_RESOURCE_TYPES = {
    "Aurora", "DocumentDB", "DynamoDB", "EBS", "EC2", "EFS", "FSx", "Neptune", "RDS", "S3",
}


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def apply():
    from moto.backup import exceptions as bx
    from moto.backup import urls
    from moto.backup.models import BackupBackend, Plan, Vault, backup_backends
    from moto.core.responses import ActionResult, EmptyResult
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    from moto.backup.responses import BackupResponse

    class LimitExceededException(bx.BackupClientError):
        def __init__(self, msg):
            super().__init__("LimitExceededException", msg)

    NotFound = bx.ResourceNotFoundException
    Invalid = bx.InvalidParameterValueException
    InvalidRequest = bx.InvalidRequestException
    Exists = bx.AlreadyExistsException

    # -- state kept beside moto's, per backend (account and region) ------
    def state(backend):
        return backend.__dict__.setdefault(
            "_swarm",
            {
                "versions": {},  # plan id -> [version dict], oldest first
                "selections": {},  # plan id -> {selection id: selection}
                "points": {},  # vault name -> {recovery point ARN: point}
                "backup_jobs": {},  # job id -> job
                "copy_jobs": {},  # job id -> job
                "restore_jobs": {},  # job id -> job
                "rt_plans": {},  # name -> restore testing plan
                "rt_selections": {},  # plan name -> {name: selection}
            },
        )

    def backend_of(account, region):
        return backup_backends[account][region]

    def new_version_id():
        return base64.b64encode(str(uuid.uuid4()).encode()).decode()

    def job_id():
        return str(uuid.uuid4()).upper()

    def hex17():
        return uuid.uuid4().hex[:17]

    def rule_defaults(rule):
        rule.setdefault("ScheduleExpression", "cron(0 5 ? * * *)")
        rule.setdefault("StartWindowMinutes", 480)
        rule.setdefault("CompletionWindowMinutes", 10080)
        rule.setdefault("ScheduleExpressionTimezone", "Etc/UTC")

    def check_lifecycle(lifecycle, where="Lifecycle"):
        if not lifecycle:
            return
        cold = lifecycle.get("MoveToColdStorageAfterDays")
        delete = lifecycle.get("DeleteAfterDays")
        for value in (cold, delete):
            if value is not None and int(value) < 1:
                raise Invalid(f"{where}: days must be at least 1")
        if cold is not None and delete is not None and int(delete) < int(cold) + 90:
            raise Invalid(
                f"{where}: DeleteAfterDays must be at least 90 days after "
                "MoveToColdStorageAfterDays"
            )

    def check_plan_document(document):
        rules = document.get("Rules") or []
        if not rules:
            raise bx.BackupClientError("MissingParameterValueException", "Rules are required")
        names = [r.get("RuleName") for r in rules]
        if len(set(names)) != len(names):
            raise Invalid("Rule names must be unique within a backup plan")
        for rule in rules:
            check_lifecycle(rule.get("Lifecycle"), f"Rule {rule.get('RuleName')}")
            for action in rule.get("CopyActions") or []:
                check_lifecycle(action.get("Lifecycle"), f"Rule {rule.get('RuleName')} copy")
                if not str(action.get("DestinationBackupVaultArn", "")).startswith("arn:"):
                    raise Invalid("DestinationBackupVaultArn must be a backup vault ARN")

    def live_plan(backend, plan_id):
        plan = backend.plans.get(plan_id)
        if plan is None or plan.deletion_date is not None:
            raise NotFound(f"Failed reading Backup plan with provided version")
        return plan

    def versions(backend, plan):
        known = state(backend)["versions"]
        if plan.backup_plan_id not in known:
            known[plan.backup_plan_id] = [
                {
                    "VersionId": plan.version_id,
                    "BackupPlan": copy.deepcopy(plan.backup_plan),
                    "CreationDate": datetime.datetime.fromtimestamp(
                        plan.creation_date, datetime.timezone.utc
                    ),
                }
            ]
        return known[plan.backup_plan_id]

    # -- vaults: default key, recovery point count, delete ---------------
    original_vault_init = Vault.__init__

    def vault_init(self, backup_vault_name, encryption_key_arn, creator_request_id, backend):
        original_vault_init(self, backup_vault_name, encryption_key_arn, creator_request_id, backend)
        self._swarm_backend = backend
        if not self.encryption_key_arn:
            # AWS Backup's AWS-managed key (aws/backup) of the region.
            self.encryption_key_arn = (
                f"arn:aws:kms:{backend.region_name}:{backend.account_id}:key/"
                f"{uuid.uuid5(uuid.NAMESPACE_URL, backend.region_name + backend.account_id)}"
            )

    Vault.__init__ = vault_init

    def vault_points(vault):
        return state(vault._swarm_backend)["points"].get(vault.backup_vault_name, {})

    Vault.num_of_recovery_points = property(
        lambda self: len(vault_points(self)), lambda self, value: None
    )
    Vault.number_of_recovery_points = property(lambda self: len(vault_points(self)))

    # AWS Backup's tag rules (moto checks none): keys of 1 to 128 and values
    # of at most 256 characters, of letters, digits, spaces and _ . : / = +
    # - @ (a cron's * ? , # ( ) are refused).
    import re as _re

    TAG_TEXT = _re.compile(r"^[\w\s.:/=+\-@]*$")

    def check_tags(tags):
        for key, value in (tags or {}).items():
            if not 1 <= len(key) <= 128 or not TAG_TEXT.match(key):
                raise Invalid(f"Invalid tag key {key!r}")
            if len(value or "") > 256 or not TAG_TEXT.match(value or ""):
                raise Invalid(
                    f"Invalid tag value {value!r} for key {key!r}: tag values may hold letters, "
                    "numbers, spaces and _ . : / = + - @"
                )

    original_tag_resource = BackupBackend.tag_resource

    def tag_resource_checked(self, resource_arn, tags):
        check_tags(tags)
        return original_tag_resource(self, resource_arn, tags)

    BackupBackend.tag_resource = tag_resource_checked

    original_create_vault = BackupBackend.create_backup_vault

    def create_backup_vault(self, backup_vault_name, backup_vault_tags, encryption_key_arn, creator_request_id):
        check_tags(backup_vault_tags)
        if backup_vault_name not in self.vaults and len(self.vaults) >= MAX_VAULTS:
            raise LimitExceededException(
                f"Maximum number of backup vaults ({MAX_VAULTS}) reached in this region"
            )
        return original_create_vault(
            self, backup_vault_name, backup_vault_tags, encryption_key_arn, creator_request_id
        )

    BackupBackend.create_backup_vault = create_backup_vault

    def delete_backup_vault(self, backup_vault_name):
        vault = self.vaults.get(backup_vault_name)
        if vault is None:
            raise NotFound(f"Backup vault {backup_vault_name} not found")
        settle(self, backup_vault_name)
        if vault_points(vault):
            # The refusal counts as having shown DELETING points: a retry
            # after them succeeds, as on AWS.
            seen(vault_points(vault).values())
            raise InvalidRequest("Backup vault cannot be deleted because it contains recovery points.")
        self.tagger.delete_all_tags_for_resource(vault.backup_vault_arn)
        del self.vaults[backup_vault_name]
        state(self)["points"].pop(backup_vault_name, None)

    BackupBackend.delete_backup_vault = delete_backup_vault

    def describe_backup_vault(self):
        name = self.uri_match["backupVaultName"]
        if name not in self.backup_backend.vaults:
            raise NotFound(f"Backup vault {name} not found")
        vault = self.backup_backend.vaults[name]
        settle(self.backup_backend, vault.backup_vault_name)
        # A count that includes DELETING points has shown them.
        seen(vault_points(vault).values())
        return ActionResult(vault_dict(vault))

    def vault_dict(vault):
        out = {
            "BackupVaultName": vault.backup_vault_name,
            "BackupVaultArn": vault.backup_vault_arn,
            "VaultType": "BACKUP_VAULT",
            "VaultState": "AVAILABLE",
            "EncryptionKeyArn": vault.encryption_key_arn,
            "CreationDate": datetime.datetime.fromtimestamp(vault.creation_date, datetime.timezone.utc),
            "CreatorRequestId": vault.creator_request_id,
            "NumberOfRecoveryPoints": len(vault_points(vault)),
            "Locked": vault.locked,
            "MinRetentionDays": vault.min_retention_days,
            "MaxRetentionDays": vault.max_retention_days,
            "LockDate": (
                datetime.datetime.fromtimestamp(vault.lock_date, datetime.timezone.utc)
                if vault.lock_date
                else None
            ),
        }
        return {k: v for k, v in out.items() if v is not None}

    def list_backup_vaults(self):
        backend = self.backup_backend
        for name in list(backend.vaults):
            settle(backend, name)
        items, token = page(list(backend.vaults.values()), self)
        for vault in items:
            seen(vault_points(vault).values())
        return ActionResult({"BackupVaultList": [vault_dict(v) for v in items], "NextToken": token})

    BackupResponse.describe_backup_vault = describe_backup_vault
    BackupResponse.list_backup_vaults = list_backup_vaults

    # -- plans ------------------------------------------------------------
    original_create_plan = BackupBackend.create_backup_plan

    def create_backup_plan(self, backup_plan, backup_plan_tags, creator_request_id):
        check_plan_document(backup_plan)
        check_tags(backup_plan_tags)
        live = [p for p in self.plans.values() if p.deletion_date is None]
        # AWS refuses the same plan document again, not the same name: a
        # plan of an existing name with other rules is a second plan.
        submitted = copy.deepcopy(backup_plan)
        if any(getattr(p, "_swarm_document", None) == submitted for p in live):
            raise Exists("Backup plan with the same plan document already exists")
        if len(live) >= MAX_PLANS:
            raise LimitExceededException(f"Maximum number of backup plans ({MAX_PLANS}) reached")
        # moto refuses any plan of a name it holds (deleted ones too): hide
        # the others for the call.
        others = dict(self.plans)
        self.plans.clear()
        try:
            plan = original_create_plan(self, backup_plan, backup_plan_tags, creator_request_id)
        finally:
            others.update(self.plans)
            self.plans.clear()
            self.plans.update(others)
        plan._swarm_document = submitted
        plan.version_id = new_version_id()
        versions(self, plan)
        return plan

    BackupBackend.create_backup_plan = create_backup_plan

    def delete_backup_plan(self, backup_plan_id):
        plan = live_plan(self, backup_plan_id)
        if state(self)["selections"].get(backup_plan_id):
            raise InvalidRequest(
                "Related backup plan selections must be deleted prior to backup plan deletion"
            )
        plan.deletion_date = now().timestamp()
        self.tagger.delete_all_tags_for_resource(plan.backup_plan_arn)
        return plan.backup_plan_id, plan.backup_plan_arn, plan.deletion_date, plan.version_id

    BackupBackend.delete_backup_plan = delete_backup_plan

    def plan_answer(plan, version):
        out = {
            "BackupPlan": version["BackupPlan"],
            "BackupPlanId": plan.backup_plan_id,
            "BackupPlanArn": plan.backup_plan_arn,
            "VersionId": version["VersionId"],
            "CreatorRequestId": plan.creator_request_id,
            "CreationDate": version["CreationDate"],
            "AdvancedBackupSettings": version["BackupPlan"].get("AdvancedBackupSettings"),
        }
        if plan.deletion_date is not None:
            out["DeletionDate"] = datetime.datetime.fromtimestamp(plan.deletion_date, datetime.timezone.utc)
        if plan.last_execution_date is not None:
            out["LastExecutionDate"] = datetime.datetime.fromtimestamp(plan.last_execution_date, datetime.timezone.utc)
        return {k: v for k, v in out.items() if v is not None}

    def get_backup_plan(self):
        backend = self.backup_backend
        plan_id = self.uri_match["backupPlanId"]
        plan = backend.plans.get(plan_id)
        if plan is None:
            raise NotFound("Failed reading Backup plan with provided version")
        wanted = query(self, "versionId")
        if plan.deletion_date is not None and not wanted:
            # A deleted plan is gone for GetBackupPlan (hashicorp/aws's
            # read relies on that); by VersionId it answers with its
            # DeletionDate.
            raise NotFound("Failed reading Backup plan with provided version")
        known = versions(backend, plan)
        version = known[-1]
        if wanted:
            matching = [v for v in known if v["VersionId"] == wanted]
            if not matching:
                raise NotFound("Failed reading Backup plan with provided version")
            version = matching[0]
        return ActionResult(plan_answer(plan, version))

    def update_backup_plan(self):
        backend = self.backup_backend
        plan = live_plan(backend, self.uri_match["backupPlanId"])
        document = copy.deepcopy(body(self).get("BackupPlan") or {})
        check_plan_document(document)
        plan._swarm_document = copy.deepcopy(document)
        old_ids = {r["RuleName"]: r["RuleId"] for r in plan.backup_plan["Rules"]}
        for rule in document["Rules"]:
            rule_defaults(rule)
            rule["RuleId"] = old_ids.get(rule["RuleName"]) or str(uuid.uuid4())
        known = versions(backend, plan)
        version = {"VersionId": new_version_id(), "BackupPlan": document, "CreationDate": now()}
        known.append(version)
        plan.backup_plan = document
        plan.version_id = version["VersionId"]
        plan.advanced_backup_settings = document.get("AdvancedBackupSettings") or []
        return ActionResult(
            {
                "BackupPlanId": plan.backup_plan_id,
                "BackupPlanArn": plan.backup_plan_arn,
                "CreationDate": version["CreationDate"],
                "VersionId": version["VersionId"],
                "AdvancedBackupSettings": document.get("AdvancedBackupSettings"),
            }
        )

    def list_backup_plan_versions(self):
        backend = self.backup_backend
        plan = backend.plans.get(self.uri_match["backupPlanId"])
        if plan is None:
            raise NotFound("Failed reading Backup plan with provided version")
        rows = [
            {
                "BackupPlanArn": plan.backup_plan_arn,
                "BackupPlanId": plan.backup_plan_id,
                "CreationDate": v["CreationDate"],
                "VersionId": v["VersionId"],
                "BackupPlanName": v["BackupPlan"]["BackupPlanName"],
                "CreatorRequestId": plan.creator_request_id,
            }
            for v in reversed(versions(backend, plan))
        ]
        items, token = page(rows, self)
        return ActionResult({"BackupPlanVersionsList": items, "NextToken": token})

    def list_backup_plans(self):
        # moto takes includeDeleted=false for true (a non-empty string).
        include_deleted = str(query(self, "includeDeleted") or "").lower() == "true"
        rows = []
        for plan in self.backup_backend.plans.values():
            if plan.deletion_date is not None and not include_deleted:
                continue
            row = plan_answer(plan, versions(self.backup_backend, plan)[-1])
            row.pop("BackupPlan")
            row["BackupPlanName"] = plan.backup_plan["BackupPlanName"]
            rows.append(row)
        items, token = page(rows, self)
        return ActionResult({"BackupPlansList": items, "NextToken": token})

    BackupResponse.list_backup_plans = list_backup_plans
    BackupResponse.get_backup_plan = get_backup_plan
    BackupResponse.update_backup_plan = update_backup_plan
    BackupResponse.list_backup_plan_versions = list_backup_plan_versions

    # -- request helpers ---------------------------------------------------
    def body(self):
        if not self.body:
            return {}
        try:
            return json.loads(self.body)
        except ValueError:
            raise Invalid("The request body is not valid JSON")

    def query(self, name):
        value = self.querystring.get(name)
        if isinstance(value, list):
            value = value[0] if value else None
        return value

    def page(items, self, token_name="nextToken", max_name="maxResults"):
        try:
            start = int(query(self, token_name) or 0)
        except ValueError:
            raise Invalid("The NextToken is not valid")
        size = query(self, max_name)
        size = int(size) if size else 1000
        if size < 1 or size > 1000:
            raise Invalid(f"MaxResults must be between 1 and 1000")
        chunk = items[start : start + size]
        token = str(start + size) if start + size < len(items) else None
        return chunk, token

    def parse_time(value):
        if value is None:
            return None
        try:
            return datetime.datetime.fromtimestamp(float(value), datetime.timezone.utc)
        except ValueError:
            return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))

    # -- selections ----------------------------------------------------------
    def create_backup_selection(self):
        backend = self.backup_backend
        plan_id = self.uri_match["backupPlanId"]
        live_plan(backend, plan_id)
        params = body(self)
        selection = params.get("BackupSelection") or {}
        for key in ("SelectionName", "IamRoleArn"):
            if not selection.get(key):
                raise bx.BackupClientError("MissingParameterValueException", f"{key} is required")
        if not str(selection["IamRoleArn"]).startswith("arn:"):
            raise Invalid(f"Invalid IAM role ARN: {selection['IamRoleArn']}")
        if not (selection.get("Resources") or selection.get("ListOfTags")):
            # AWS's words; Conditions alone do not do (with Resources ["*"] they do).
            raise Invalid("Invalid backup selection. Either 'ListOfTags' or 'Resources' section must be non-empty.")
        for tag in selection.get("ListOfTags") or []:
            if tag.get("ConditionType") != "STRINGEQUALS":
                raise Invalid("ConditionType must be STRINGEQUALS")
        selections = state(backend)["selections"].setdefault(plan_id, {})
        request_id = params.get("CreatorRequestId")
        for existing in selections.values():
            if request_id and existing["CreatorRequestId"] == request_id:
                return ActionResult(selection_summary(existing))
            if existing["BackupSelection"]["SelectionName"] == selection["SelectionName"]:
                raise Exists(f"Backup selection {selection['SelectionName']} already exists")
        if len(selections) >= MAX_SELECTIONS:
            raise LimitExceededException(
                f"Maximum number of selections ({MAX_SELECTIONS}) per backup plan reached"
            )
        stored = {
            "SelectionId": str(uuid.uuid4()),
            "BackupPlanId": plan_id,
            "CreationDate": now(),
            "CreatorRequestId": request_id,
            "BackupSelection": copy.deepcopy(selection),
        }
        selections[stored["SelectionId"]] = stored
        return ActionResult(selection_summary(stored))

    def selection_summary(stored):
        return {k: stored[k] for k in ("SelectionId", "BackupPlanId", "CreationDate")}

    def find_selection(self):
        backend = self.backup_backend
        plan_id = self.uri_match["backupPlanId"]
        if plan_id not in backend.plans:
            raise NotFound(f"Backup plan {plan_id} not found")
        stored = state(backend)["selections"].get(plan_id, {}).get(self.uri_match["selectionId"])
        if stored is None:
            raise NotFound(f"Backup selection {self.uri_match['selectionId']} not found")
        return backend, plan_id, stored

    def get_backup_selection(self):
        _, _, stored = find_selection(self)
        return ActionResult({k: v for k, v in stored.items() if v is not None})

    def delete_backup_selection(self):
        backend, plan_id, stored = find_selection(self)
        del state(backend)["selections"][plan_id][stored["SelectionId"]]
        return EmptyResult()

    def list_backup_selections(self):
        backend = self.backup_backend
        plan_id = self.uri_match["backupPlanId"]
        live_plan(backend, plan_id)
        rows = [
            {
                "SelectionId": s["SelectionId"],
                "SelectionName": s["BackupSelection"]["SelectionName"],
                "BackupPlanId": plan_id,
                "CreationDate": s["CreationDate"],
                "CreatorRequestId": s["CreatorRequestId"],
                "IamRoleArn": s["BackupSelection"]["IamRoleArn"],
            }
            for s in state(backend)["selections"].get(plan_id, {}).values()
        ]
        items, token = page(rows, self)
        return ActionResult(
            {"BackupSelectionsList": [{k: v for k, v in r.items() if v is not None} for r in items], "NextToken": token}
        )

    BackupResponse.create_backup_selection = create_backup_selection
    BackupResponse.get_backup_selection = get_backup_selection
    BackupResponse.delete_backup_selection = delete_backup_selection
    BackupResponse.list_backup_selections = list_backup_selections

    # -- resources AWS Backup covers ---------------------------------------
    def resource_type(arn):
        parts = arn.split(":", 5)
        if len(parts) < 6 or parts[0] != "arn":
            raise Invalid(f"Invalid ARN: {arn}")
        service, rest = parts[2], parts[5]
        if service == "ec2" and rest.startswith("instance/"):
            return "EC2"
        if service == "ec2" and rest.startswith("volume/"):
            return "EBS"
        if service == "rds" and rest.startswith("db:"):
            return "RDS"
        if service == "rds" and rest.startswith("cluster:"):
            return "Aurora"
        if service == "s3" and "/" not in rest and rest:
            return "S3"
        if service == "dynamodb" and rest.startswith("table/"):
            return "DynamoDB"
        if service == "elasticfilesystem":
            return "EFS"
        if service == "fsx":
            return "FSx"
        raise Invalid(f"Invalid resource ARN {arn}: resource type not supported by AWS Backup")

    def resource_name(arn):
        rest = arn.split(":", 5)[5]
        return rest.split("/")[-1].split(":")[-1]

    def known_resources(account, region):
        """ARN -> (type, tags, object) of what moto holds in the region."""
        from moto.ec2.models import ec2_backends
        from moto.rds.models import rds_backends
        from moto.s3.models import s3_backends

        found = {}
        if region in ec2_backends[account].keys():
            ec2 = ec2_backends[account][region]
            for instance in ec2.all_instances():
                if instance.state == "terminated":
                    continue
                arn = f"arn:aws:ec2:{region}:{account}:instance/{instance.id}"
                tags = dict(ec2.tags.get(instance.id, {}))
                found[arn] = ("EC2", tags, instance)
            for volume in ec2.volumes.values():
                arn = f"arn:aws:ec2:{region}:{account}:volume/{volume.id}"
                tags = dict(ec2.tags.get(volume.id, {}))
                found[arn] = ("EBS", tags, volume)
        if region in rds_backends[account].keys():
            rds = rds_backends[account][region]
            for db in rds.databases.values():
                found[db.arn] = ("RDS", {t["Key"]: t["Value"] for t in db.get_tags()}, db)
            for cluster in rds.clusters.values():
                found[cluster.arn] = ("Aurora", {t["Key"]: t["Value"] for t in cluster.get_tags()}, cluster)
        if "aws" in s3_backends[account].keys():
            s3 = s3_backends[account]["aws"]
            for bucket in s3.buckets.values():
                if getattr(bucket, "region_name", region) != region:
                    continue
                found[bucket.arn] = ("S3", s3.tagger.get_tag_dict_for_resource(bucket.arn), bucket)
        return found

    def resource_problem(account, region, arn, kind):
        """Why AWS Backup's job for `arn` would fail, or None."""
        if kind not in ("EC2", "EBS", "RDS", "Aurora", "S3"):
            return None  # not modelled here: taken as present
        known = known_resources(account, region if kind != "S3" else arn_region(arn, region))
        if arn not in known:
            return f"Resource {arn} does not exist or is not in {region}."
        _, _, obj = known[arn]
        if kind == "S3" and getattr(obj, "versioning_status", None) != "Enabled":
            return (
                f"Bucket {resource_name(arn)} does not have versioning enabled; "
                "AWS Backup for S3 requires versioning."
            )
        return None

    def arn_region(arn, default):
        region = arn.split(":")[3]
        return region or default

    # -- recovery points -----------------------------------------------------
    def point_arn(kind, region, account, job, copy_job=False):
        if kind == "EC2":
            return f"arn:aws:ec2:{region}::image/ami-{hex17()}"
        if kind == "EBS":
            return f"arn:aws:ec2:{region}::snapshot/snap-{hex17()}"
        prefix = "copyjob" if copy_job else "job"
        if kind == "RDS":
            return f"arn:aws:rds:{region}:{account}:snapshot:awsbackup:{prefix}-{job.lower()}"
        if kind == "Aurora":
            return f"arn:aws:rds:{region}:{account}:cluster-snapshot:awsbackup:{prefix}-{job.lower()}"
        return f"arn:aws:backup:{region}:{account}:recovery-point:{str(uuid.uuid4()).upper()}"

    def calculated(lifecycle, created):
        out = {}
        if lifecycle and lifecycle.get("MoveToColdStorageAfterDays") is not None:
            out["MoveToColdStorageAt"] = created + datetime.timedelta(days=int(lifecycle["MoveToColdStorageAfterDays"]))
        if lifecycle and lifecycle.get("DeleteAfterDays") is not None:
            out["DeleteAt"] = created + datetime.timedelta(days=int(lifecycle["DeleteAfterDays"]))
        return out or None

    def lock_problem(vault, lifecycle):
        if not vault.locked:
            return None
        days = (lifecycle or {}).get("DeleteAfterDays")
        if vault.min_retention_days and days is not None and int(days) < vault.min_retention_days:
            return (
                f"The retention period ({days} days) is shorter than the vault lock's "
                f"minimum retention ({vault.min_retention_days} days)."
            )
        if vault.max_retention_days and (days is None or int(days) > vault.max_retention_days):
            return (
                f"The retention period is longer than the vault lock's maximum "
                f"retention ({vault.max_retention_days} days)."
            )
        return None

    def add_point(backend, vault, point):
        state(backend)["points"].setdefault(vault.backup_vault_name, {})[point["RecoveryPointArn"]] = point

    def settle(backend, vault_name):
        """A DELETING point is gone once a request has seen it."""
        points = state(backend)["points"].get(vault_name, {})
        for arn in [a for a, p in points.items() if p["Status"] == "DELETING" and p.get("_seen")]:
            del points[arn]
            backend.tagger.delete_all_tags_for_resource(arn)

    def seen(points):
        for point in points:
            if point["Status"] == "DELETING":
                point["_seen"] = True

    def public(point, keys=None):
        out = {k: v for k, v in point.items() if not k.startswith("_") and v is not None}
        if keys:
            out = {k: v for k, v in out.items() if k in keys}
        return out

    def vault_by_arn(account, arn):
        parts = arn.split(":")
        if len(parts) != 7 or parts[2] != "backup" or parts[5] != "backup-vault":
            raise Invalid(f"Invalid backup vault ARN: {arn}")
        region, owner, name = parts[3], parts[4], parts[6]
        backend = backend_of(owner or account, region)
        vault = backend.vaults.get(name)
        return backend, vault

    def run_backup(backend, vault_name, resource_arn, role_arn, lifecycle, tags, created_by=None, idempotency=None):
        """One backup job (and its recovery point unless it fails)."""
        account, region = backend.account_id, backend.region_name
        kind = resource_type(resource_arn)
        jobs = state(backend)["backup_jobs"]
        if idempotency:
            for job in jobs.values():
                if job.get("_token") == idempotency:
                    return job
        started = now()
        identifier = job_id()
        vault = backend.vaults.get(vault_name)
        job = {
            "AccountId": account,
            "BackupJobId": identifier,
            "BackupVaultName": vault_name,
            "BackupVaultArn": vault.backup_vault_arn if vault else
            f"arn:aws:backup:{region}:{account}:backup-vault:{vault_name}",
            "ResourceArn": resource_arn,
            "ResourceType": kind,
            "ResourceName": resource_name(resource_arn),
            "CreationDate": started,
            "InitiationDate": started,
            "IamRoleArn": role_arn,
            "CreatedBy": created_by,
            "RecoveryPointLifecycle": lifecycle or None,
            "StartBy": started + datetime.timedelta(hours=8),
            "BackupType": "",
            "IsParent": False,
            "_token": idempotency,
        }
        problem = None
        if vault is None:
            problem = f"Backup vault {vault_name} does not exist."
        problem = problem or resource_problem(account, region, resource_arn, kind) or lock_problem(vault, lifecycle)
        if problem:
            job.update(State="FAILED", StatusMessage=problem, CompletionDate=started, PercentDone="0.0")
        else:
            arn = point_arn(kind, region, account, identifier)
            size = backup_size(account, region, resource_arn, kind)
            point = {
                "RecoveryPointArn": arn,
                "BackupVaultName": vault.backup_vault_name,
                "BackupVaultArn": vault.backup_vault_arn,
                "ResourceArn": resource_arn,
                "ResourceType": kind,
                "ResourceName": resource_name(resource_arn),
                "CreatedBy": created_by,
                "IamRoleArn": role_arn,
                "Status": "COMPLETED",
                "CreationDate": started,
                "InitiationDate": started,
                "CompletionDate": started,
                "BackupSizeInBytes": size,
                "Lifecycle": lifecycle or None,
                "CalculatedLifecycle": calculated(lifecycle, started),
                "EncryptionKeyArn": vault.encryption_key_arn,
                "IsEncrypted": True,
                "StorageClass": "WARM",
                "IsParent": False,
                "VaultType": "BACKUP_VAULT",
                "_job": identifier,
                "_source": rds_settings(account, region, resource_arn) if kind == "RDS" else None,
            }
            add_point(backend, vault, point)
            if tags:
                backend.tag_resource(arn, tags)
            job.update(
                State="COMPLETED",
                RecoveryPointArn=arn,
                CompletionDate=started,
                PercentDone="100.0",
                BackupSizeInBytes=size,
                BytesTransferred=size,
                EncryptionKeyArn=vault.encryption_key_arn,
                IsEncrypted=True,
            )
        jobs[identifier] = job
        return job

    def backup_size(account, region, arn, kind):
        if kind == "S3":
            from moto.s3.models import s3_backends

            bucket = s3_backends[account]["aws"].buckets.get(resource_name(arn))
            if bucket is not None:
                return sum(key.size for key in bucket.keys.values() if hasattr(key, "size"))
        if kind == "RDS":
            from moto.rds.models import rds_backends

            db = rds_backends[account][region].databases.get(resource_name(arn))
            if db is not None:
                return int(db.allocated_storage or 0) * 1024 ** 3
        return 0

    def run_copy(backend, source_vault_name, point_arn_value, destination_arn, role_arn, lifecycle, created_by=None, idempotency=None):
        account, region = backend.account_id, backend.region_name
        jobs = state(backend)["copy_jobs"]
        if idempotency:
            for job in jobs.values():
                if job.get("_token") == idempotency:
                    return job
        source_vault = backend.vaults.get(source_vault_name)
        if source_vault is None:
            raise NotFound(f"Backup vault {source_vault_name} not found")
        settle(backend, source_vault_name)
        source = vault_points(source_vault).get(point_arn_value)
        if source is None or source["Status"] == "DELETING":
            raise NotFound(f"Recovery point {point_arn_value} not found")
        destination_backend, destination = vault_by_arn(account, destination_arn)
        if destination is None:
            raise NotFound(f"Backup vault {destination_arn} not found")
        started = now()
        identifier = job_id()
        job = {
            "AccountId": account,
            "CopyJobId": identifier,
            "SourceBackupVaultArn": source_vault.backup_vault_arn,
            "SourceRecoveryPointArn": point_arn_value,
            "DestinationBackupVaultArn": destination.backup_vault_arn,
            "DestinationVaultType": "BACKUP_VAULT",
            "DestinationRecoveryPointLifecycle": lifecycle or None,
            "ResourceArn": source["ResourceArn"],
            "ResourceType": source["ResourceType"],
            "ResourceName": source.get("ResourceName"),
            "CreationDate": started,
            "IamRoleArn": role_arn,
            "CreatedBy": created_by or source.get("CreatedBy"),
            "CreatedByBackupJobId": source.get("_job"),
            "BackupSizeInBytes": source.get("BackupSizeInBytes"),
            "IsParent": False,
            "_token": idempotency,
        }
        problem = lock_problem(destination, lifecycle)
        if problem:
            job.update(State="FAILED", StatusMessage=problem, CompletionDate=started)
        else:
            dest_region = destination_backend.region_name
            arn = point_arn(source["ResourceType"], dest_region, destination_backend.account_id, identifier, copy_job=True)
            point = dict(public(source))
            point.update(
                RecoveryPointArn=arn,
                BackupVaultName=destination.backup_vault_name,
                BackupVaultArn=destination.backup_vault_arn,
                SourceBackupVaultArn=source_vault.backup_vault_arn,
                CreatedBy=created_by or source.get("CreatedBy"),
                IamRoleArn=role_arn,
                Status="COMPLETED",
                CreationDate=started,
                InitiationDate=started,
                CompletionDate=started,
                Lifecycle=lifecycle or None,
                CalculatedLifecycle=calculated(lifecycle, started),
                EncryptionKeyArn=destination.encryption_key_arn,
                _source=source.get("_source"),
            )
            add_point(destination_backend, destination, point)
            job.update(
                State="COMPLETED",
                CompletionDate=started,
                DestinationRecoveryPointArn=arn,
                DestinationEncryptionKeyArn=destination.encryption_key_arn,
            )
        jobs[identifier] = job
        return job

    def start_backup_job(self):
        backend = self.backup_backend
        params = body(self)
        for key in ("BackupVaultName", "ResourceArn", "IamRoleArn"):
            if not params.get(key):
                raise bx.BackupClientError("MissingParameterValueException", f"{key} is required")
        if params["BackupVaultName"] not in backend.vaults:
            raise NotFound(f"Backup vault {params['BackupVaultName']} not found")
        check_lifecycle(params.get("Lifecycle"))
        job = run_backup(
            backend,
            params["BackupVaultName"],
            params["ResourceArn"],
            params["IamRoleArn"],
            params.get("Lifecycle"),
            params.get("RecoveryPointTags"),
            idempotency=params.get("IdempotencyToken"),
        )
        out = {"BackupJobId": job["BackupJobId"], "CreationDate": job["CreationDate"], "IsParent": False}
        # AWS answers the recovery point's ARN at once only where it is a
        # Backup ARN (EFS, DynamoDB, S3, ...), not for snapshots and AMIs.
        if job.get("RecoveryPointArn", "").startswith("arn:aws:backup:"):
            out["RecoveryPointArn"] = job["RecoveryPointArn"]
        return ActionResult(out)

    def describe_backup_job(self):
        job = state(self.backup_backend)["backup_jobs"].get(self.uri_match["backupJobId"])
        if job is None:
            raise NotFound(f"Backup job {self.uri_match['backupJobId']} not found")
        return ActionResult(public(job))

    def list_backup_jobs(self):
        jobs = list(state(self.backup_backend)["backup_jobs"].values())
        filters = {
            "resourceArn": "ResourceArn",
            "state": "State",
            "backupVaultName": "BackupVaultName",
            "resourceType": "ResourceType",
            "accountId": "AccountId",
        }
        for name, key in filters.items():
            wanted = query(self, name)
            if wanted:
                jobs = [j for j in jobs if j.get(key) == wanted]
        jobs = time_filters(self, jobs)
        items, token = page(jobs, self)
        return ActionResult({"BackupJobs": [public(j) for j in items], "NextToken": token})

    def time_filters(self, rows):
        before = parse_time(query(self, "createdBefore"))
        after = parse_time(query(self, "createdAfter"))
        if before:
            rows = [r for r in rows if r["CreationDate"] < before]
        if after:
            rows = [r for r in rows if r["CreationDate"] > after]
        return rows

    def start_copy_job(self):
        backend = self.backup_backend
        params = body(self)
        for key in ("RecoveryPointArn", "SourceBackupVaultName", "DestinationBackupVaultArn", "IamRoleArn"):
            if not params.get(key):
                raise bx.BackupClientError("MissingParameterValueException", f"{key} is required")
        check_lifecycle(params.get("Lifecycle"))
        job = run_copy(
            backend,
            params["SourceBackupVaultName"],
            params["RecoveryPointArn"],
            params["DestinationBackupVaultArn"],
            params["IamRoleArn"],
            params.get("Lifecycle"),
            idempotency=params.get("IdempotencyToken"),
        )
        return ActionResult({"CopyJobId": job["CopyJobId"], "CreationDate": job["CreationDate"], "IsParent": False})

    def describe_copy_job(self):
        job = state(self.backup_backend)["copy_jobs"].get(self.uri_match["copyJobId"])
        if job is None:
            raise NotFound(f"Copy job {self.uri_match['copyJobId']} not found")
        return ActionResult({"CopyJob": public(job)})

    def list_copy_jobs(self):
        jobs = list(state(self.backup_backend)["copy_jobs"].values())
        filters = {
            "resourceArn": "ResourceArn",
            "state": "State",
            "destinationVaultArn": "DestinationBackupVaultArn",
            "resourceType": "ResourceType",
            "accountId": "AccountId",
            "sourceRecoveryPointArn": "SourceRecoveryPointArn",
        }
        for name, key in filters.items():
            wanted = query(self, name)
            if wanted:
                jobs = [j for j in jobs if j.get(key) == wanted]
        jobs = time_filters(self, jobs)
        items, token = page(jobs, self)
        return ActionResult({"CopyJobs": [public(j) for j in items], "NextToken": token})

    def vault_for_request(self):
        backend = self.backup_backend
        name = self.uri_match["backupVaultName"]
        vault = backend.vaults.get(name)
        if vault is None:
            raise NotFound(f"Backup vault {name} not found")
        return backend, vault

    def point_for_request(self):
        backend, vault = vault_for_request(self)
        settle(backend, vault.backup_vault_name)
        arn = self.uri_match["recoveryPointArn"]
        point = vault_points(vault).get(arn)
        if point is None:
            raise NotFound(f"Recovery point {arn} not found in backup vault {vault.backup_vault_name}")
        return backend, vault, point

    def list_recovery_points_by_backup_vault(self):
        backend, vault = vault_for_request(self)
        settle(backend, vault.backup_vault_name)
        points = list(vault_points(vault).values())
        wanted = query(self, "resourceArn")
        if wanted:
            points = [p for p in points if p["ResourceArn"] == wanted]
        wanted = query(self, "resourceType")
        if wanted:
            points = [p for p in points if p["ResourceType"] == wanted]
        wanted = query(self, "backupPlanId")
        if wanted:
            points = [p for p in points if (p.get("CreatedBy") or {}).get("BackupPlanId") == wanted]
        points = time_filters(self, points)
        items, token = page(points, self)
        seen(items)
        return ActionResult({"RecoveryPoints": [public(p) for p in items], "NextToken": token})

    def list_recovery_points_by_resource(self):
        backend = self.backup_backend
        arn = self.uri_match["resourceArn"]
        rows = []
        for name in list(backend.vaults):
            settle(backend, name)
            for point in vault_points(backend.vaults[name]).values():
                if point["ResourceArn"] == arn:
                    rows.append(point)
        items, token = page(rows, self)
        seen(items)
        keys = {
            "RecoveryPointArn", "CreationDate", "Status", "StatusMessage", "EncryptionKeyArn",
            "BackupVaultName", "IsParent", "ResourceName", "VaultType",
        }
        out = []
        for point in items:
            row = public(point, keys)
            row["BackupSizeBytes"] = point.get("BackupSizeInBytes")
            out.append(row)
        return ActionResult({"RecoveryPoints": out, "NextToken": token})

    def describe_recovery_point(self):
        _, _, point = point_for_request(self)
        seen([point])
        return ActionResult(public(point))

    def delete_recovery_point(self):
        backend, vault, point = point_for_request(self)
        if point["Status"] == "DELETING":
            return EmptyResult()
        if vault.locked and vault.min_retention_days:
            until = point["CreationDate"] + datetime.timedelta(days=vault.min_retention_days)
            if now() < until:
                # AWS's words; when the point may go is for the caller to
                # work out (CreationDate + MinRetentionDays).
                raise InvalidRequest(
                    "Recovery point cannot be deleted because it is within the minimum retention period"
                )
        point["Status"] = "DELETING"
        point.pop("_seen", None)
        return EmptyResult()

    def update_recovery_point_lifecycle(self):
        _, vault, point = point_for_request(self)
        if point["Status"] == "DELETING":
            raise bx.BackupClientError("InvalidResourceStateException", "The recovery point is being deleted")
        lifecycle = body(self).get("Lifecycle") or {}
        check_lifecycle(lifecycle)
        old = point.get("Lifecycle") or {}
        if old.get("MoveToColdStorageAfterDays") is not None and lifecycle.get(
            "MoveToColdStorageAfterDays"
        ) != old.get("MoveToColdStorageAfterDays") and point["CreationDate"] + datetime.timedelta(
            days=int(old["MoveToColdStorageAfterDays"])
        ) <= now():
            raise Invalid("The recovery point has already moved to cold storage")
        problem = lock_problem(vault, lifecycle)
        if problem:
            raise InvalidRequest(problem)
        point["Lifecycle"] = lifecycle or None
        point["CalculatedLifecycle"] = calculated(lifecycle, point["CreationDate"])
        return ActionResult(
            {
                "BackupVaultArn": vault.backup_vault_arn,
                "RecoveryPointArn": point["RecoveryPointArn"],
                "Lifecycle": point["Lifecycle"],
                "CalculatedLifecycle": point["CalculatedLifecycle"],
            }
        )

    for function in (
        start_backup_job, describe_backup_job, list_backup_jobs, start_copy_job,
        describe_copy_job, list_copy_jobs, list_recovery_points_by_backup_vault,
        list_recovery_points_by_resource, describe_recovery_point, delete_recovery_point,
        update_recovery_point_lifecycle,
    ):
        setattr(BackupResponse, function.__name__, function)

    # -- tags (paged) -------------------------------------------------------
    def list_tags(self):
        tags = self.backup_backend.list_tags(resource_arn=self.uri_match["resourceArn"])
        items, token = page(sorted(tags.items()), self)
        return ActionResult({"Tags": dict(items), "NextToken": token})

    def tag_resource(self):
        self.backup_backend.tag_resource(self.uri_match["resourceArn"], body(self).get("Tags") or {})
        return EmptyResult()

    def untag_resource(self):
        self.backup_backend.untag_resource(self.uri_match["resourceArn"], body(self).get("TagKeyList") or [])
        return EmptyResult()

    BackupResponse.list_tags = list_tags
    BackupResponse.tag_resource = tag_resource
    BackupResponse.untag_resource = untag_resource

    # -- restore jobs ----------------------------------------------------------
    # An RDS recovery point is a DB snapshot: it keeps the instance's
    # settings as they were at the backup, which a restore starts from
    # (whatever became of the instance since, or in the copy's region).
    def rds_settings(account, region, arn):
        from moto.rds.models import rds_backends

        db = rds_backends[account][region].databases.get(resource_name(arn))
        if db is None:
            return None
        return {
            "db_instance_class": db.db_instance_class,
            "engine": db.engine,
            "engine_version": db.engine_version,
            "port": db.port,
            "allocated_storage": db.allocated_storage,
            "storage_type": db.storage_type,
            "iops": db.iops,
            "storage_throughput": db.storage_throughput,
            "master_username": db.master_username,
            "storage_encrypted": db.storage_encrypted,
            "kms_key_id": db.kms_key_id,
            "db_name": db.db_name,
            "license_model": db.license_model,
            "copy_tags_to_snapshot": db.copy_tags_to_snapshot,
            "enable_iam_database_authentication": db.enable_iam_database_authentication,
            # What GetRecoveryPointRestoreMetadata reports of where it ran.
            "availability_zone": db.availability_zone,
            "db_subnet_group_name": getattr(db, "_db_subnet_group_name", None),
            "vpc_security_group_ids": list(db.vpc_security_group_ids or []),
            "multi_az": db.multi_az,
            "publicly_accessible": db.publicly_accessible,
            "deletion_protection": db.deletion_protection,
            "db_parameter_group_name": db.db_parameter_group_name,
            "option_group_name": db.option_group_name,
            "tags": [dict(t) for t in db.get_tags()],
        }

    # Restore metadata of an RDS point: its key, the setting it names, and
    # how the value is written (AWS Backup's metadata values are strings).
    RDS_METADATA = [
        ("AvailabilityZone", "availability_zone", str),
        ("CopyTagsToSnapshot", "copy_tags_to_snapshot", bool),
        ("DBInstanceClass", "db_instance_class", str),
        ("DBInstanceIdentifier", "db_instance_identifier", str),
        ("DBName", "db_name", str),
        ("DBParameterGroupName", "db_parameter_group_name", str),
        ("DBSubnetGroupName", "db_subnet_group_name", str),
        ("DeletionProtection", "deletion_protection", bool),
        ("EnableIAMDatabaseAuthentication", "enable_iam_database_authentication", bool),
        ("Engine", "engine", str),
        ("Iops", "iops", int),
        ("LicenseModel", "license_model", str),
        ("MultiAZ", "multi_az", bool),
        ("OptionGroupName", "option_group_name", str),
        ("Port", "port", int),
        ("PubliclyAccessible", "publicly_accessible", bool),
        ("StorageType", "storage_type", str),
        ("VpcSecurityGroupIds", "vpc_security_group_ids", list),
    ]

    def metadata_text(value, kind):
        if kind is bool:
            return "true" if value else "false"
        if kind is list:
            return json.dumps(list(value))
        return str(value)

    def metadata_value(key, text, kind):
        text = str(text)
        if kind is bool:
            if text.lower() not in ("true", "false"):
                raise Invalid(f"Metadata {key} must be true or false, not {text!r}")
            return text.lower() == "true"
        if kind is int:
            try:
                return int(text)
            except ValueError:
                raise Invalid(f"Metadata {key} must be a number, not {text!r}")
        if kind is list:
            # A JSON array of strings, as GetRecoveryPointRestoreMetadata
            # writes it; a comma-separated list is taken too.
            try:
                value = json.loads(text)
            except ValueError:
                value = [part.strip() for part in text.split(",") if part.strip()]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise Invalid(f"Metadata {key} must be a JSON array of strings, not {text!r}")
            return value
        return text

    def find_point(backend, arn):
        for name in list(backend.vaults):
            settle(backend, name)
            point = vault_points(backend.vaults[name]).get(arn)
            if point is not None and point["Status"] != "DELETING":
                return backend.vaults[name], point
        raise NotFound(f"Recovery point {arn} not found")

    def get_recovery_point_restore_metadata(self):
        _, vault, point = point_for_request(self)
        seen([point])
        metadata = {}
        source = point.get("_source") or {}
        if point["ResourceType"] == "RDS":
            metadata["DBInstanceIdentifier"] = point["ResourceName"]
            for key, setting, kind in RDS_METADATA:
                if source.get(setting) not in (None, "", []):
                    metadata[key] = metadata_text(source[setting], kind)
        return ActionResult(
            {
                "BackupVaultArn": vault.backup_vault_arn,
                "RecoveryPointArn": point["RecoveryPointArn"],
                "ResourceType": point["ResourceType"],
                "RestoreMetadata": metadata,
            }
        )

    def role_problem(account, role_arn):
        """Why AWS Backup could not restore with `role_arn`, or None."""
        from moto.iam.models import iam_backends

        iam = iam_backends[account]["aws"]
        try:
            role = iam.get_role_by_arn(role_arn)
        except Exception:
            return f"IAM Role {role_arn} does not exist or cannot be assumed by AWS Backup."
        if "backup.amazonaws.com" not in str(role.assume_role_policy_document):
            return f"IAM Role {role_arn} cannot be assumed by AWS Backup: its trust policy does not name backup.amazonaws.com."
        documents = [
            v.document for p in role.managed_policies.values() for v in p.versions if v.is_default
        ] + list(role.policies.values())
        wanted = "rds:restoredbinstancefromdbsnapshot"
        for document in documents:
            if isinstance(document, str):
                try:
                    document = json.loads(document)
                except ValueError:
                    continue
            statements = document.get("Statement") or []
            if isinstance(statements, dict):
                statements = [statements]
            for statement in statements:
                actions = statement.get("Action") or []
                if isinstance(actions, str):
                    actions = [actions]
                if statement.get("Effect") == "Allow" and any(
                    fnmatch.fnmatchcase(wanted, action.lower()) for action in actions
                ):
                    return None
        return (
            f"User: arn:aws:sts::{account}:assumed-role/{role.name}/AWSBackup is not authorized "
            "to perform: rds:RestoreDBInstanceFromDBSnapshot"
        )

    def restore_rds(backend, point, metadata, copy_tags):
        """The new DB instance of an RDS restore, as RestoreDBInstanceFromDBSnapshot
        makes it: the snapshot's engine, class, storage and encryption unless
        the metadata says otherwise; subnet group, security groups, zone and
        Multi-AZ only as the metadata says (else RDS's defaults)."""
        from moto.ec2.models import ec2_backends
        from moto.rds.exceptions import InvalidParameterCombination, RDSClientError
        from moto.rds.models import rds_backends

        account, region = backend.account_id, backend.region_name
        source = point.get("_source")
        if not source:
            raise RDSClientError("DBSnapshotNotFound", f"DBSnapshot {point['RecoveryPointArn']} not found.")
        settings = {
            k: copy.deepcopy(source[k])
            for k in (
                "db_instance_class", "engine", "engine_version", "port", "allocated_storage",
                "storage_type", "iops", "storage_throughput", "master_username",
                "storage_encrypted", "db_name", "license_model", "copy_tags_to_snapshot",
                "enable_iam_database_authentication",
            )
            if source.get(k) is not None
        }
        if source.get("storage_encrypted"):
            # A copy in another region is encrypted with its vault's key.
            same_region = point["RecoveryPointArn"].split(":")[3] == point["ResourceArn"].split(":")[3]
            settings["kms_key_id"] = source.get("kms_key_id") if same_region else point["EncryptionKeyArn"]
        given = {k.lower(): v for k, v in metadata.items()}
        for key, setting, kind in RDS_METADATA:
            if key.lower() in given and str(given[key.lower()]) != "":
                settings[setting] = metadata_value(key, given[key.lower()], kind)
        if settings.get("engine") != source.get("engine"):
            raise InvalidParameterCombination(
                f"The engine of a DB snapshot of {source.get('engine')} cannot be changed to {settings.get('engine')}"
            )
        rds = rds_backends[account][region]
        group_name = settings.get("db_subnet_group_name")
        vpc_id = None
        if group_name:
            group = rds.describe_db_subnet_groups(group_name)[0]
            vpc_id = group.vpc_id
            zones = {s["SubnetAvailabilityZone"]["Name"] for s in group.subnets}
            if settings.get("availability_zone") and settings["availability_zone"] not in zones:
                raise InvalidParameterCombination(
                    f"No subnet of DB subnet group {group_name} is in availability zone {settings['availability_zone']}."
                )
        elif settings.get("availability_zone") and not settings["availability_zone"].startswith(region):
            raise InvalidParameterCombination(
                f"Availability zone {settings['availability_zone']} is not in {region}."
            )
        ec2 = ec2_backends[account][region]
        for group_id in settings.get("vpc_security_group_ids") or []:
            found = ec2.get_security_group_from_id(group_id)
            if found is None:
                raise RDSClientError("InvalidParameterValue", f"Invalid security group, groupId= {group_id}")
            if vpc_id and found.vpc_id != vpc_id:
                raise InvalidParameterCombination(
                    "The DB instance and EC2 security group are in different VPCs."
                )
        if copy_tags:
            settings["tags"] = copy.deepcopy(source.get("tags") or [])
        return rds.create_db_instance(settings)

    def start_restore_job(self):
        from moto.rds.exceptions import RDSClientError

        backend = self.backup_backend
        params = body(self)
        for key in ("RecoveryPointArn", "Metadata"):
            if not params.get(key):
                raise bx.BackupClientError("MissingParameterValueException", f"{key} is required")
        metadata = params["Metadata"]
        role_arn = params.get("IamRoleArn")
        if not role_arn:
            raise bx.BackupClientError("MissingParameterValueException", "IamRoleArn is required")
        if not str(role_arn).startswith("arn:aws:iam::") or ":role/" not in role_arn:
            raise Invalid(f"Invalid IAM role ARN: {role_arn}")
        jobs = state(backend)["restore_jobs"]
        token = params.get("IdempotencyToken")
        if token:
            for job in jobs.values():
                if job.get("_token") == token:
                    return ActionResult({"RestoreJobId": job["RestoreJobId"]})
        vault, point = find_point(backend, params["RecoveryPointArn"])
        kind = point["ResourceType"]
        if params.get("ResourceType") and params["ResourceType"] != kind:
            raise Invalid(f"ResourceType {params['ResourceType']} does not match the recovery point's ({kind})")
        if kind != "RDS":
            raise Invalid(
                f"Restoring {kind} recovery points is not emulated (swarm emulator: only RDS; "
                "see acceptance-tests/README.md)"
            )
        if not any(k.lower() == "dbinstanceidentifier" and str(v) for k, v in metadata.items()):
            raise Invalid("Metadata DBInstanceIdentifier is required to restore an RDS recovery point")
        started = now()
        identifier = job_id()
        job = {
            "AccountId": backend.account_id,
            "RestoreJobId": identifier,
            "RecoveryPointArn": point["RecoveryPointArn"],
            "SourceResourceArn": point["ResourceArn"],
            "BackupVaultArn": vault.backup_vault_arn,
            "CreationDate": started,
            "IamRoleArn": role_arn,
            "ResourceType": kind,
            "RecoveryPointCreationDate": point["CreationDate"],
            "BackupSizeInBytes": point.get("BackupSizeInBytes"),
            "IsParent": False,
            "_token": token,
        }
        problem = role_problem(backend.account_id, role_arn)
        created = None
        if not problem:
            try:
                created = restore_rds(backend, point, metadata, params.get("CopySourceTagsToRestoredResource"))
            except RDSClientError as error:
                # AWS Backup reports RDS's refusal in the job's message.
                problem = f"{error.message} (Service: Rds, Status Code: 400, Error Code: {error.code})"
            except bx.BackupClientError as error:
                problem = error.message
        if problem:
            job.update(Status="FAILED", StatusMessage=problem, CompletionDate=started, PercentDone="0.00%")
        else:
            job.update(
                Status="COMPLETED",
                CompletionDate=started,
                PercentDone="100.00%",
                CreatedResourceArn=created.db_instance_arn,
                ExpectedCompletionTimeMinutes=0,
            )
        jobs[identifier] = job
        return ActionResult({"RestoreJobId": identifier})

    def describe_restore_job(self):
        job = state(self.backup_backend)["restore_jobs"].get(self.uri_match["restoreJobId"])
        if job is None:
            raise NotFound(f"Restore job {self.uri_match['restoreJobId']} not found")
        return ActionResult(public(job))

    def restore_job_rows(self, jobs):
        filters = {"accountId": "AccountId", "resourceType": "ResourceType", "status": "Status"}
        for name, key in filters.items():
            wanted = query(self, name)
            if wanted:
                jobs = [j for j in jobs if j.get(key) == wanted]
        jobs = time_filters(self, jobs)
        before = parse_time(query(self, "completeBefore"))
        after = parse_time(query(self, "completeAfter"))
        if before:
            jobs = [j for j in jobs if j.get("CompletionDate") and j["CompletionDate"] < before]
        if after:
            jobs = [j for j in jobs if j.get("CompletionDate") and j["CompletionDate"] > after]
        items, token = page(jobs, self)
        return ActionResult({"RestoreJobs": [public(j) for j in items], "NextToken": token})

    def list_restore_jobs(self):
        return restore_job_rows(self, list(state(self.backup_backend)["restore_jobs"].values()))

    def list_restore_jobs_by_protected_resource(self):
        arn = self.uri_match["resourceArn"]
        jobs = [j for j in state(self.backup_backend)["restore_jobs"].values() if j["SourceResourceArn"] == arn]
        return restore_job_rows(self, jobs)

    for function in (
        get_recovery_point_restore_metadata, start_restore_job, describe_restore_job,
        list_restore_jobs, list_restore_jobs_by_protected_resource,
    ):
        setattr(BackupResponse, function.__name__, function)

    # -- restore testing -----------------------------------------------------
    def check_rt_name(name, what):
        import re

        if not name or not re.fullmatch(r"[A-Za-z0-9_]{1,50}", name):
            raise Invalid(
                f"{what} must be 1 to 50 characters: letters, numbers and underscores"
            )

    def rt_plan(backend, name):
        plan = state(backend)["rt_plans"].get(name)
        if plan is None:
            raise NotFound(f"Restore testing plan {name} not found")
        return plan

    def create_restore_testing_plan(self):
        backend = self.backup_backend
        params = body(self)
        document = copy.deepcopy(params.get("RestoreTestingPlan") or {})
        name = document.get("RestoreTestingPlanName")
        check_rt_name(name, "RestoreTestingPlanName")
        if not document.get("ScheduleExpression"):
            raise bx.BackupClientError("MissingParameterValueException", "ScheduleExpression is required")
        if "RecoveryPointSelection" not in document:
            raise bx.BackupClientError("MissingParameterValueException", "RecoveryPointSelection is required")
        plans = state(backend)["rt_plans"]
        if name in plans:
            raise Exists(f"Restore testing plan {name} already exists")
        check_rt_plan(document)
        created = now()
        plan = dict(
            document,
            RestoreTestingPlanArn=(
                f"arn:aws:backup:{backend.region_name}:{backend.account_id}:"
                f"restore-testing-plan:{name}-{uuid.uuid4()}"
            ),
            CreationTime=created,
            CreatorRequestId=params.get("CreatorRequestId"),
        )
        plans[name] = plan
        if params.get("Tags"):
            backend.tag_resource(plan["RestoreTestingPlanArn"], params["Tags"])
        return 201, {"status": 201}, json_answer(self, {
            "CreationTime": created,
            "RestoreTestingPlanArn": plan["RestoreTestingPlanArn"],
            "RestoreTestingPlanName": name,
        })

    def json_answer(self, value):
        def encode(v):
            if isinstance(v, datetime.datetime):
                return v.timestamp()
            raise TypeError(type(v))

        return json.dumps(value, default=encode)

    def get_restore_testing_plan(self):
        plan = rt_plan(self.backup_backend, self.uri_match["RestoreTestingPlanName"])
        return ActionResult({"RestoreTestingPlan": {k: v for k, v in plan.items() if v is not None}})

    def update_restore_testing_plan(self):
        plan = rt_plan(self.backup_backend, self.uri_match["RestoreTestingPlanName"])
        changes = body(self).get("RestoreTestingPlan") or {}
        merged = copy.deepcopy(plan)
        for key in ("RecoveryPointSelection", "ScheduleExpression", "ScheduleExpressionTimezone", "StartWindowHours"):
            if key in changes:
                merged[key] = copy.deepcopy(changes[key])
        check_rt_plan(merged)
        plan.update(merged)
        plan["LastUpdateTime"] = now()
        return ActionResult(
            {
                "CreationTime": plan["CreationTime"],
                "RestoreTestingPlanArn": plan["RestoreTestingPlanArn"],
                "RestoreTestingPlanName": plan["RestoreTestingPlanName"],
                "UpdateTime": plan["LastUpdateTime"],
            }
        )

    def delete_restore_testing_plan(self):
        backend = self.backup_backend
        name = self.uri_match["RestoreTestingPlanName"]
        plan = state(backend)["rt_plans"].get(name)
        if plan is None:
            # The model lists no ResourceNotFoundException for this call.
            raise InvalidRequest(f"Restore testing plan {name} does not exist")
        if state(backend)["rt_selections"].get(name):
            raise InvalidRequest(
                f"Restore testing plan {name} has restore testing selections; delete them first"
            )
        del state(backend)["rt_plans"][name]
        backend.tagger.delete_all_tags_for_resource(plan["RestoreTestingPlanArn"])
        return 204, {"status": 204}, ""

    def list_restore_testing_plans(self):
        keys = {
            "CreationTime", "LastExecutionTime", "LastUpdateTime", "RestoreTestingPlanArn",
            "RestoreTestingPlanName", "ScheduleExpression", "ScheduleExpressionTimezone",
            "StartWindowHours",
        }
        rows = [
            {k: v for k, v in p.items() if k in keys and v is not None}
            for p in state(self.backup_backend)["rt_plans"].values()
        ]
        items, token = page(rows, self, "NextToken", "MaxResults")
        return ActionResult({"RestoreTestingPlans": items, "NextToken": token})

    def check_validation_hours(value):
        if value is not None and not (0 <= int(value) <= 168):
            raise Invalid("ValidationWindowHours must be between 0 and 168")

    def check_rt_plan(document):
        """AWS's rules for a restore testing plan, its defaults filled in."""
        selection = document.get("RecoveryPointSelection") or {}
        if selection.get("Algorithm") not in ("LATEST_WITHIN_WINDOW", "RANDOM_WITHIN_WINDOW"):
            raise Invalid("RecoveryPointSelection.Algorithm must be LATEST_WITHIN_WINDOW or RANDOM_WITHIN_WINDOW")
        types = selection.get("RecoveryPointTypes") or []
        if not types or any(t not in ("SNAPSHOT", "CONTINUOUS") for t in types):
            raise Invalid("RecoveryPointSelection.RecoveryPointTypes must be SNAPSHOT and/or CONTINUOUS")
        if not selection.get("IncludeVaults"):
            raise Invalid("RecoveryPointSelection.IncludeVaults must name one or more vaults, or [\"*\"]")
        selection.setdefault("SelectionWindowDays", 30)
        if not 1 <= int(selection["SelectionWindowDays"]) <= 365:
            raise Invalid("RecoveryPointSelection.SelectionWindowDays must be between 1 and 365")
        selection.setdefault("ExcludeVaults", [])
        document.setdefault("ScheduleExpressionTimezone", "Etc/UTC")
        document.setdefault("StartWindowHours", 24)
        if not 1 <= int(document["StartWindowHours"]) <= 168:
            raise Invalid("StartWindowHours must be between 1 and 168")
        if not str(document.get("ScheduleExpression", "")).startswith(("cron(", "rate(", "at(")):
            raise Invalid(f"Invalid ScheduleExpression {document.get('ScheduleExpression')}")

    def create_restore_testing_selection(self):
        backend = self.backup_backend
        plan_name = self.uri_match["RestoreTestingPlanName"]
        plan = rt_plan(backend, plan_name)
        params = body(self)
        selection = copy.deepcopy(params.get("RestoreTestingSelection") or {})
        name = selection.get("RestoreTestingSelectionName")
        check_rt_name(name, "RestoreTestingSelectionName")
        for key in ("IamRoleArn", "ProtectedResourceType"):
            if not selection.get(key):
                raise bx.BackupClientError("MissingParameterValueException", f"{key} is required")
        if selection["ProtectedResourceType"] not in RT_RESOURCE_TYPES:
            raise Invalid(f"Unsupported ProtectedResourceType {selection['ProtectedResourceType']}")
        if selection.get("ProtectedResourceArns") and selection.get("ProtectedResourceConditions"):
            raise Invalid("ProtectedResourceArns and ProtectedResourceConditions cannot both be set")
        check_validation_hours(selection.get("ValidationWindowHours"))
        selections = state(backend)["rt_selections"].setdefault(plan_name, {})
        if name in selections:
            raise Exists(f"Restore testing selection {name} already exists")
        if len(selections) >= MAX_RT_SELECTIONS:
            raise LimitExceededException(
                f"Maximum number of restore testing selections ({MAX_RT_SELECTIONS}) reached"
            )
        if not selection.get("ProtectedResourceArns") and not selection.get("ProtectedResourceConditions"):
            selection["ProtectedResourceArns"] = ["*"]
        created = now()
        selection.update(
            RestoreTestingPlanName=plan_name,
            CreationTime=created,
            CreatorRequestId=params.get("CreatorRequestId"),
        )
        selection.setdefault("ValidationWindowHours", 0)
        selections[name] = selection
        return 201, {"status": 201}, json_answer(self, {
            "CreationTime": created,
            "RestoreTestingPlanArn": plan["RestoreTestingPlanArn"],
            "RestoreTestingPlanName": plan_name,
            "RestoreTestingSelectionName": name,
        })

    def rt_selection(self):
        backend = self.backup_backend
        plan_name = self.uri_match["RestoreTestingPlanName"]
        plan = rt_plan(backend, plan_name)
        name = self.uri_match["RestoreTestingSelectionName"]
        selection = state(backend)["rt_selections"].get(plan_name, {}).get(name)
        if selection is None:
            raise NotFound(f"Restore testing selection {name} not found")
        return backend, plan, selection

    def get_restore_testing_selection(self):
        _, _, selection = rt_selection(self)
        return ActionResult({"RestoreTestingSelection": {k: v for k, v in selection.items() if v is not None}})

    def update_restore_testing_selection(self):
        _, plan, selection = rt_selection(self)
        changes = body(self).get("RestoreTestingSelection") or {}
        check_validation_hours(changes.get("ValidationWindowHours"))
        if changes.get("ProtectedResourceArns") and changes.get("ProtectedResourceConditions"):
            raise Invalid("ProtectedResourceArns and ProtectedResourceConditions cannot both be set")
        for key in ("IamRoleArn", "ProtectedResourceArns", "ProtectedResourceConditions",
                    "RestoreMetadataOverrides", "ValidationWindowHours"):
            if key in changes:
                selection[key] = copy.deepcopy(changes[key])
        if changes.get("ProtectedResourceArns"):
            selection.pop("ProtectedResourceConditions", None)
        if changes.get("ProtectedResourceConditions"):
            selection.pop("ProtectedResourceArns", None)
        updated = now()
        return ActionResult(
            {
                "CreationTime": selection["CreationTime"],
                "RestoreTestingPlanArn": plan["RestoreTestingPlanArn"],
                "RestoreTestingPlanName": plan["RestoreTestingPlanName"],
                "RestoreTestingSelectionName": selection["RestoreTestingSelectionName"],
                "UpdateTime": updated,
            }
        )

    def delete_restore_testing_selection(self):
        backend, plan, selection = rt_selection(self)
        del state(backend)["rt_selections"][plan["RestoreTestingPlanName"]][selection["RestoreTestingSelectionName"]]
        return 204, {"status": 204}, ""

    def list_restore_testing_selections(self):
        backend = self.backup_backend
        plan_name = self.uri_match["RestoreTestingPlanName"]
        rt_plan(backend, plan_name)
        keys = {
            "CreationTime", "IamRoleArn", "ProtectedResourceType", "RestoreTestingPlanName",
            "RestoreTestingSelectionName", "ValidationWindowHours",
        }
        rows = [
            {k: v for k, v in s.items() if k in keys and v is not None}
            for s in state(backend)["rt_selections"].get(plan_name, {}).values()
        ]
        items, token = page(rows, self, "NextToken", "MaxResults")
        return ActionResult({"RestoreTestingSelections": items, "NextToken": token})

    for function in (
        create_restore_testing_plan, get_restore_testing_plan, update_restore_testing_plan,
        delete_restore_testing_plan, list_restore_testing_plans,
        create_restore_testing_selection, get_restore_testing_selection,
        update_restore_testing_selection, delete_restore_testing_selection,
        list_restore_testing_selections,
    ):
        setattr(BackupResponse, function.__name__, function)

    # -- routes: moto's router resolves the operation from botocore's model;
    # these only let the requests reach the Backup app.
    urls.url_paths.update(
        {
            "{0}/backup-jobs(?P<rest>.*)$": BackupResponse.dispatch,
            "{0}/copy-jobs(?P<rest>.*)$": BackupResponse.dispatch,
            "{0}/restore-jobs(?P<rest>.*)$": BackupResponse.dispatch,
            "{0}/resources/(?P<rest>.+)$": BackupResponse.dispatch,
            "{0}/restore-testing/(?P<rest>.+)$": BackupResponse.dispatch,
            "{0}/backup-vaults/(?P<name>[^/]+)/recovery-points(?P<rest>.*)$": BackupResponse.dispatch,
        }
    )

    # -- the control endpoint: a rule fires now ----------------------------
    def selected_resources(backend, selection):
        account, region = backend.account_id, backend.region_name
        document = selection["BackupSelection"]
        patterns = document.get("Resources") or []
        tag_list = document.get("ListOfTags") or []
        conditions = document.get("Conditions") or {}
        excluded = document.get("NotResources") or []
        known = known_resources(account, region)

        def tag_key(condition_key):
            return condition_key.split("aws:ResourceTag/", 1)[-1]

        chosen = []
        for pattern in patterns:
            if "*" in pattern:
                chosen += [arn for arn in known if fnmatch.fnmatchcase(arn, pattern)]
            else:
                chosen.append(pattern)
        for condition in tag_list:
            key, value = tag_key(condition["ConditionKey"]), condition["ConditionValue"]
            chosen += [arn for arn, (_, tags, _) in known.items() if tags.get(key) == value]

        def passes(arn):
            tags = known.get(arn, (None, {}, None))[1]
            for operator, tests in conditions.items():
                for test in tests or []:
                    actual = tags.get(tag_key(test["ConditionKey"]))
                    wanted = test["ConditionValue"]
                    if operator == "StringEquals" and actual != wanted:
                        return False
                    if operator == "StringNotEquals" and actual == wanted:
                        return False
                    if operator == "StringLike" and (actual is None or not fnmatch.fnmatchcase(actual, wanted)):
                        return False
                    if operator == "StringNotLike" and actual is not None and fnmatch.fnmatchcase(actual, wanted):
                        return False
            return True

        def excluded_arn(arn):
            return any(fnmatch.fnmatchcase(arn, pattern) for pattern in excluded)

        result = []
        for arn in chosen:
            if arn not in result and passes(arn) and not excluded_arn(arn):
                result.append(arn)
        return result

    def find_plan(plan_id, account=None, region=None):
        accounts = [account] if account else list(backup_backends.keys())
        for acct in accounts:
            regions = [region] if region else list(backup_backends[acct].keys())
            for reg in regions:
                backend = backup_backends[acct][reg]
                plan = backend.plans.get(plan_id)
                if plan is not None and plan.deletion_date is None:
                    return backend, plan
        return None, None

    def run_rule(request):
        backend, plan = find_plan(request["BackupPlanId"], request.get("AccountId"), request.get("Region"))
        if plan is None:
            return 404, {"message": f"No backup plan {request['BackupPlanId']}"}
        rules = [r for r in plan.backup_plan["Rules"] if r["RuleName"] == request["RuleName"]]
        if not rules:
            return 404, {"message": f"Backup plan {plan.backup_plan_id} has no rule {request['RuleName']}"}
        rule = rules[0]
        created_by = {
            "BackupPlanId": plan.backup_plan_id,
            "BackupPlanArn": plan.backup_plan_arn,
            "BackupPlanName": plan.backup_plan["BackupPlanName"],
            "BackupPlanVersion": plan.version_id,
            "BackupRuleId": rule["RuleId"],
            "BackupRuleName": rule["RuleName"],
            "BackupRuleCron": rule.get("ScheduleExpression"),
            "BackupRuleTimezone": rule.get("ScheduleExpressionTimezone"),
        }
        answer = {"BackupJobs": [], "CopyJobs": []}
        done = set()
        for selection in list(state(backend)["selections"].get(plan.backup_plan_id, {}).values()):
            role = selection["BackupSelection"]["IamRoleArn"]
            for arn in selected_resources(backend, selection):
                if arn in done:
                    continue
                done.add(arn)
                try:
                    resource_type(arn)
                except Invalid:
                    continue  # AWS Backup skips what it does not cover
                job = run_backup(
                    backend, rule["TargetBackupVaultName"], arn, role, rule.get("Lifecycle"),
                    rule.get("RecoveryPointTags"), created_by=created_by,
                )
                answer["BackupJobs"].append(
                    {k: job.get(k) for k in ("BackupJobId", "ResourceArn", "State", "RecoveryPointArn", "BackupVaultName", "StatusMessage") if job.get(k)}
                )
                if job["State"] != "COMPLETED":
                    continue
                for action in rule.get("CopyActions") or []:
                    try:
                        copy_job = run_copy(
                            backend, rule["TargetBackupVaultName"], job["RecoveryPointArn"],
                            action["DestinationBackupVaultArn"], role, action.get("Lifecycle"),
                            created_by=created_by,
                        )
                    except (NotFound, Invalid) as error:
                        answer["CopyJobs"].append(
                            {"State": "FAILED", "StatusMessage": error.message,
                             "SourceRecoveryPointArn": job["RecoveryPointArn"],
                             "DestinationBackupVaultArn": action["DestinationBackupVaultArn"]}
                        )
                        continue
                    answer["CopyJobs"].append(
                        {k: copy_job.get(k) for k in ("CopyJobId", "State", "SourceRecoveryPointArn", "DestinationRecoveryPointArn", "DestinationBackupVaultArn", "StatusMessage") if copy_job.get(k)}
                    )
        # A Unix time, as moto keeps its plans' dates (ListBackupPlans
        # renders them with json.dumps).
        plan.last_execution_date = now().timestamp()
        return 200, answer

    original_call = DomainDispatcherApplication.__call__

    def call(self, environ, start_response):
        if environ.get("PATH_INFO", "") != CONTROL_PATH:
            return original_call(self, environ, start_response)
        status, answer = 400, {"message": "POST a JSON body with BackupPlanId and RuleName"}
        if environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            try:
                request = json.loads(environ["wsgi.input"].read(length) or b"{}")
                if isinstance(request, dict) and request.get("BackupPlanId") and request.get("RuleName"):
                    status, answer = run_rule(request)
            except ValueError:
                pass

        def encode(v):
            if isinstance(v, datetime.datetime):
                return v.isoformat()
            raise TypeError(type(v))

        payload = json.dumps(answer, default=encode).encode()
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}[status]
        start_response(
            f"{status} {reason}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
        )
        return [payload]

    DomainDispatcherApplication.__call__ = call
