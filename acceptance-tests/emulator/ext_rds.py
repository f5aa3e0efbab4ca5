"""RDS gaps of moto 5.2.5 that `swarm_database` runs into.

Each patch makes moto answer the provider's real requests the way RDS
does; none adds an API the provider does not call. They are listed in
../README.md ("Where the emulator falls short").

1. Read replicas are shallow copies of their primary (`copy.copy`): a
   replica shares the primary's RDS-managed master secret and reports it
   as its own, and deleting the replica deletes the primary's secret from
   Secrets Manager (the primary then points at a secret that is gone).
   RDS replicas have no master secret of their own, and take RDS's
   defaults for what the request leaves out (no Multi-AZ, no deletion
   protection) rather than the primary's settings.
2. Every DB instance gets the same `DbiResourceId`; RDS gives each its
   own, and clients that look instances up by it (the `dbi-resource-id`
   filter) find several.
3. An instance created in a DB subnet group without an AvailabilityZone
   is placed in `<region>a` whether or not the group has a subnet there;
   RDS picks one of the group's zones.
4. `ModifyDBSubnetGroup` takes the group out of the backend and never
   puts it back, so the group is gone after any change of its subnets;
   its VPC is not updated either.
"""

import uuid

from moto.rds import models


def _resource_id():
    return "db-" + uuid.uuid4().hex[:26].upper()


def apply():
    backend_class = models.RDSBackend
    instance_class = models.DBInstance

    original_init = instance_class.__init__

    def init(self, backend, *args, **kwargs):
        original_init(self, backend, *args, **kwargs)
        self.dbi_resource_id = _resource_id()
        if kwargs.get("availability_zone") is None and getattr(self, "db_subnet_group", None):
            zones = sorted(
                s["SubnetAvailabilityZone"]["Name"] for s in self.db_subnet_group.subnets
            )
            if zones:
                self.availability_zone = zones[0]

    instance_class.__init__ = init

    original_replica = backend_class.create_db_instance_read_replica

    def create_db_instance_read_replica(self, db_kwargs):
        # What RDS uses when the request leaves these out, instead of the
        # primary's values that moto's copy carries over.
        defaults = {"multi_az": False, "deletion_protection": False}
        for key, value in defaults.items():
            if db_kwargs.get(key) is None:
                db_kwargs[key] = value
        replica = original_replica(self, db_kwargs)
        replica.dbi_resource_id = _resource_id()
        # The primary's secret stays the primary's.
        if "master_user_secret" in replica.__dict__:
            del replica.__dict__["master_user_secret"]
        replica.manage_master_user_password = False
        return replica

    backend_class.create_db_instance_read_replica = create_db_instance_read_replica

    def modify_db_subnet_group(self, subnet_name, description, subnets):
        if subnet_name not in self.subnet_groups:
            raise models.DBSubnetGroupNotFoundError(subnet_name)
        group = self.subnet_groups[subnet_name]
        if subnets:
            group.subnets = subnets
            group.vpc_id = subnets[0].vpc_id
        if description is not None:
            group.description = description
        return group

    backend_class.modify_db_subnet_group = modify_db_subnet_group
