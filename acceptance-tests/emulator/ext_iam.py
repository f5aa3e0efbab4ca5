"""The AWS-managed IAM policies AWS Backup's roles use, attachable by ARN.

moto knows AWS's managed policies (`moto/iam/aws_managed_policies.py`,
1,582 of them in 5.2.5) but registers them only when started with
`MOTO_IAM_LOAD_MANAGED_POLICIES=true`; without it `AttachRolePolicy` of
`arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup`
answers `NoSuchEntity`. moto makes an account's IAM backend at the first
request of any service (`mark_account_as_visited`), so registering all of
them costs every emulator about 0.1 s of CPU whether it uses IAM or not
(measured here, 2 cores: 0.13 s to make the backend in a warm process;
the first request of a forked emulator 0.07 s slower, median of 5), and
every acceptance test starts an emulator; so only the AWS Backup ones are
registered (every managed policy whose name has `Backup` in it, 21 in
5.2.5, with moto's own paths, documents, versions and dates): e.g.
`service-role/AWSBackupServiceRolePolicyForBackup`,
`service-role/AWSBackupServiceRolePolicyForRestores`, and, at the root
path as on AWS, `AWSBackupServiceRolePolicyForS3Backup` and
`AWSBackupServiceRolePolicyForS3Restore`. With
`MOTO_IAM_LOAD_MANAGED_POLICIES=true` moto's own behaviour (all of them)
is kept.
"""

import json


def apply():
    from moto.iam import models
    from moto.iam.aws_managed_policies import aws_managed_policies_data
    from moto.settings import load_iam_aws_managed_policies

    # Parsed once (in the zygote, before any fork): 0.05 s.
    wanted = {
        name: data
        for name, data in json.loads(aws_managed_policies_data).items()
        if "Backup" in name
    }
    original = models.IAMBackend._init_aws_policies

    def init_aws_policies(self):
        if load_iam_aws_managed_policies():
            return original(self)
        return [
            models.AWSManagedPolicy.from_data(name, self.account_id, self.region_name, data)
            for name, data in wanted.items()
        ]

    models.IAMBackend._init_aws_policies = init_aws_policies
