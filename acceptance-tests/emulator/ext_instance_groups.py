"""An instance's security groups, as AWS reports them.

An instance launched with a network interface specification
(`NetworkInterface.1.SecurityGroupId.N`, which is how hashicorp/aws's
`aws_instance` launches with `associate_public_ip_address`) gets its groups
on that interface in moto, and `DescribeInstances` reports no
`SecurityGroups` for the instance itself. On AWS an instance's groups are
its primary interface's. hashicorp/aws reads `vpc_security_group_ids` from
the instance's `SecurityGroups`, so on moto every plan wants to add the
group again, and the side-by-side benchmark's plan (`scripts/bench`,
`examples/benchmark/pair-aws`) is never empty. Here an instance launched
without groups of its own reports its primary interface's, as AWS does.
"""


def apply():
    from moto.ec2.models.instances import Instance

    original = Instance.__init__

    def with_interface_groups(self, *args, **kwargs):
        original(self, *args, **kwargs)
        primary = getattr(self, "nics", {}).get(0)
        if not self.security_groups and primary is not None:
            self.security_groups = list(primary._group_set)

    Instance.__init__ = with_interface_groups
