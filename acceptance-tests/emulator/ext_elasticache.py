"""ElastiCache (Redis replication groups): what moto 5.2.5 lacks for
`swarm_cache`, filled in so that the provider's real requests work and the
SDK reads back what AWS would return.

- Member cache clusters: moto lists a replication group's members but has
  no CacheCluster objects for them, so `DescribeCacheClusters` (where AWS
  reports a group's engine version, subnet group and security groups)
  finds nothing. They are made, kept in step with the group, and removed.
- `NodeGroups[].ReaderEndpoint` is missing for cluster-mode-disabled groups,
  and the default snapshot window is malformed (`05:00-6:00`).
- `IncreaseReplicaCount`, `DecreaseReplicaCount`,
  `ModifyReplicationGroupShardConfiguration`, `ModifyCacheSubnetGroup` and
  `DeleteCacheSubnetGroup` are not implemented.
- `ModifyReplicationGroup` ignores `SnapshotWindow`, `EngineVersion`,
  `SecurityGroupIds` and `CacheParameterGroupName`.
- `DeleteReplicationGroup` leaves the group "deleting" forever, and
  ignores `FinalSnapshotIdentifier`.
- Everything is "available" at once: here a group is "creating",
  "modifying" or "deleting" for the first describe after a change, as on
  AWS (for minutes there), so that the provider's waiters really wait.
- AWS's parameter checks that matter to a correct client: automatic
  failover needs a replica (cluster mode disabled), Multi-AZ needs
  automatic failover, several shards need cluster mode, no engine
  downgrades, no fewer replicas than failover allows, a subnet group in
  use cannot be deleted.
"""

import inspect

# The full version AWS runs for a requested major.minor.
FULL_VERSIONS = {"7.1": "7.1.0", "7.0": "7.0.7", "6.2": "6.2.6", "6.0": "6.0.5"}
MAX_REPLICAS = 5
SLOTS = 16384


def _full_version(version):
    if not version:
        return "7.1.0"
    if version in FULL_VERSIONS:
        return FULL_VERSIONS[version]
    return version if version.count(".") >= 2 else f"{version}.0"


def _version_tuple(version):
    parts = []
    for part in (version or "0").split("."):
        parts.append(int(part) if part.isdigit() else 0)
    return tuple((parts + [0, 0, 0])[:3])


def apply():
    from moto.elasticache import models as m
    from moto.elasticache import exceptions as ex
    from moto.elasticache.responses import ElastiCacheResponse
    from moto.core.responses import ActionResult, EmptyResult

    Backend = m.ElastiCacheBackend

    class CacheSubnetGroupInUse(ex.ElastiCacheException):
        code = "CacheSubnetGroupInUse"

    class InvalidReplicationGroupState(ex.ElastiCacheException):
        code = "InvalidReplicationGroupState"

    def invalid(message):
        return ex.InvalidParameterValueException(message)

    def combination(message):
        return ex.InvalidParameterCombinationException(message)

    cluster_params = list(inspect.signature(m.CacheCluster.__init__).parameters)[1:]

    def is_cluster_mode(group):
        return group.cluster_mode == "enabled"

    def domain_of(group):
        if is_cluster_mode(group):
            return group.configuration_endpoint["address"].split(".", 1)[1]
        return group.node_groups[0]["primary_endpoint_address"].split(".", 1)[1]

    def replicas_of(group):
        return max(len(ng["node_group_members"]) - 1 for ng in group.node_groups)

    def new_member(group, node_group, cluster_id, role, zone):
        member = {
            "cache_cluster_id": cluster_id,
            "cache_node_id": node_group["node_group_id"],
            "preferred_availability_zone": zone,
        }
        if not is_cluster_mode(group):
            member["current_role"] = role
            member["read_endpoint"] = {
                "address": f"{cluster_id}.{domain_of(group)}",
                "port": group.port,
            }
        return member

    def member_id(group, node_group, number):
        if is_cluster_mode(group):
            return f"{group.replication_group_id}-{node_group['node_group_id']}-{number:0>3}"
        return f"{group.replication_group_id}-{number:0>3}"

    def add_replica(group, node_group):
        taken = {m_["cache_cluster_id"] for m_ in node_group["node_group_members"]}
        number = 2
        while member_id(group, node_group, number) in taken:
            number += 1
        zones = ["us-east-1b", "us-east-1c", "us-east-1a"]
        zone = zones[(len(node_group["node_group_members"]) - 1) % len(zones)]
        node_group["node_group_members"].append(
            new_member(group, node_group, member_id(group, node_group, number), "replica", zone)
        )

    def remove_replica(node_group, wanted=None):
        members = node_group["node_group_members"]
        replicas = [
            m_ for m_ in members[1:] if wanted is None or m_["cache_cluster_id"] in wanted
        ]
        if replicas:
            members.remove(replicas[-1])

    def refresh_members(backend, group):
        """Members list, reader endpoint, snapshotting cluster, and the
        member CacheCluster objects, from the node groups."""
        group.member_clusters[:] = [
            m_["cache_cluster_id"]
            for ng in group.node_groups
            for m_ in ng["node_group_members"]
        ]
        if not is_cluster_mode(group):
            for ng in group.node_groups:
                ng["reader_endpoint"] = {
                    "address": ng["reader_endpoint_address"],
                    "port": group.port,
                }
        if group.snapshot_retention_limit and group.member_clusters:
            group.snapshotting_cluster_id = group.member_clusters[
                1 if len(group.member_clusters) > 1 else 0
            ]
        else:
            group.snapshotting_cluster_id = None
        wanted = {}
        for ng in group.node_groups:
            for member in ng["node_group_members"]:
                wanted[member["cache_cluster_id"]] = member
        for cid, cluster in list(backend.cache_clusters.items()):
            if getattr(cluster, "replication_group_id", None) == group.replication_group_id and cid not in wanted:
                del backend.cache_clusters[cid]
        for cid, member in wanted.items():
            cluster = backend.cache_clusters.get(cid)
            if cluster is None:
                kwargs = {p: None for p in cluster_params}
                kwargs.update(
                    account_id=backend.account_id,
                    region_name=backend.region_name,
                    cache_cluster_id=cid,
                    cache_node_type=group.cache_node_type,
                    replication_group_id=group.replication_group_id,
                    engine="redis",
                    log_delivery_configurations=[],
                )
                cluster = m.CacheCluster(**kwargs)
                backend.cache_clusters[cid] = cluster
            cluster.replication_group_id = group.replication_group_id
            cluster.engine = group.engine
            cluster.engine_version = _full_version(group.engine_version)
            cluster.cache_node_type = group.cache_node_type
            cluster.cache_subnet_group_name = group.cache_subnet_group_name
            cluster.cache_parameter_group_name = group.cache_parameter_group_name or (
                "default.redis" + _full_version(group.engine_version).split(".")[0]
            )
            cluster.cache_parameter_group = {
                "CacheParameterGroupName": cluster.cache_parameter_group_name,
                "ParameterApplyStatus": "in-sync",
            }
            cluster.security_group_ids = list(group.security_group_ids or [])
            cluster.security_groups = [
                {"SecurityGroupId": sg, "Status": "active"} for sg in cluster.security_group_ids
            ]
            cluster.preferred_availability_zone = member.get("preferred_availability_zone")
            cluster.snapshot_retention_limit = group.snapshot_retention_limit
            cluster.snapshot_window = group.snapshot_window
            cluster.transit_encryption_enabled = group.transit_encryption_enabled
            cluster.at_rest_encryption_enabled = group.at_rest_encryption_enabled
            cluster.replication_group_log_delivery_enabled = False
            cluster.num_cache_nodes = 1

    def check_failover(group_cluster_mode, replicas, failover, multi_az, shards):
        if shards > 1 and not group_cluster_mode:
            raise combination("More than one node group requires cluster mode enabled.")
        if group_cluster_mode and not failover:
            raise combination("Cluster mode enabled replication groups require automatic failover.")
        if failover and not group_cluster_mode and replicas < 1:
            raise combination(
                "Automatic failover requires at least one replica (NumCacheClusters >= 2)."
            )
        if multi_az and not failover:
            raise combination("Multi-AZ requires automatic failover.")

    def pending(group, status):
        group.status = status
        group._swarm_pending = 1

    # CreateReplicationGroup: AWS's checks, member clusters, a "creating" phase.
    original_create = Backend.create_replication_group

    def create_replication_group(self, **kwargs):
        # moto ignores NumCacheClusters (a primary and NumCacheClusters - 1
        # replicas, AWS's usual way to ask for a group without cluster
        # mode): as ReplicasPerNodeGroup, which it honours.
        if not kwargs.get("replicas_per_node_group") and (kwargs.get("num_cache_clusters") or 0) > 1:
            kwargs["replicas_per_node_group"] = kwargs["num_cache_clusters"] - 1
        shards = kwargs.get("num_node_groups") or 1
        cluster_mode = (kwargs.get("cluster_mode") or "").lower() == "enabled"
        replicas = kwargs.get("replicas_per_node_group") or 0
        if replicas > MAX_REPLICAS:
            raise invalid("ReplicasPerNodeGroup must be between 0 and 5.")
        check_failover(
            cluster_mode,
            replicas,
            bool(kwargs.get("automatic_failover_enabled")),
            bool(kwargs.get("multi_az_enabled")),
            shards,
        )
        if kwargs.get("cache_subnet_group_name") and kwargs["cache_subnet_group_name"] not in self.cache_subnet_groups:
            raise ex.CacheSubnetGroupNotFound(kwargs["cache_subnet_group_name"])
        if cluster_mode:
            kwargs["cluster_mode"] = "enabled"
        group = original_create(self, **kwargs)
        if not kwargs.get("snapshot_window"):
            group.snapshot_window = "05:00-06:00"
        refresh_members(self, group)
        pending(group, "creating")
        return group

    Backend.create_replication_group = create_replication_group

    # DescribeReplicationGroups: the pending phase passes; deleted groups go.
    original_describe = Backend.describe_replication_groups

    def settle(self):
        """Groups whose pending phase was shown become what they were
        becoming: available, or gone."""
        for gid, group in list(self.replication_groups.items()):
            if getattr(group, "_swarm_pending", 0) > 0:
                continue
            if group.status == "deleting":
                del self.replication_groups[gid]
                for cid, cluster in list(self.cache_clusters.items()):
                    if getattr(cluster, "replication_group_id", None) == gid:
                        del self.cache_clusters[cid]
                self.tagging_service.delete_all_tags_for_resource(group.arn)
            elif group.status in ("creating", "modifying"):
                group.status = "available"
                for ng in group.node_groups:
                    ng["status"] = "available"

    def describe_replication_groups(self, replication_group_id=None):
        settle(self)
        result = original_describe(self, replication_group_id)
        for group in result:
            if getattr(group, "_swarm_pending", 0) > 0:
                group._swarm_pending -= 1
        return result

    Backend.describe_replication_groups = describe_replication_groups

    # DeleteReplicationGroup: "deleting", then gone.
    original_delete = Backend.delete_replication_group

    def delete_replication_group(self, replication_group_id, retain_primary_cluster):
        group = self.replication_groups.get(replication_group_id)
        if group is not None and group.status == "deleting":
            raise InvalidReplicationGroupState(
                f"Replication group {replication_group_id} is already being deleted."
            )
        group = original_delete(self, replication_group_id, retain_primary_cluster)
        pending(group, "deleting")
        return group

    Backend.delete_replication_group = delete_replication_group

    # DeleteReplicationGroup ignores FinalSnapshotIdentifier: take the
    # snapshot first, as AWS does, so that it outlives the group.
    original_delete_response = ElastiCacheResponse.delete_replication_group

    def delete_replication_group_response(self):
        final = self._get_param("FinalSnapshotIdentifier")
        gid = self._get_param("ReplicationGroupId")
        if final:
            group = self.elasticache_backend.replication_groups.get(gid)
            if group is not None and group.status != "deleting":
                self.elasticache_backend.create_snapshot(
                    snapshot_name=final,
                    replication_group_id=gid,
                    cache_cluster_id=None,
                    kms_key_id=None,
                    tags=None,
                )
        return original_delete_response(self)

    ElastiCacheResponse.delete_replication_group = delete_replication_group_response

    def get_group(backend, gid):
        group = backend.replication_groups.get(gid)
        if group is None or group.status == "deleting":
            raise ex.ReplicationGroupNotFound(gid)
        return group

    # ModifyReplicationGroup, with the fields moto drops.
    def modify_replication_group(self):
        backend = self.elasticache_backend
        gid = self._get_param("ReplicationGroupId")
        group = get_group(backend, gid)
        if group.status != "available":
            raise InvalidReplicationGroupState(f"Replication group {gid} is {group.status}.")
        failover = self._get_bool_param("AutomaticFailoverEnabled")
        multi_az = self._get_bool_param("MultiAZEnabled")
        new_failover = group.automatic_failover == "enabled" if failover is None else failover
        new_multi_az = group.multi_az == "enabled" if multi_az is None else multi_az
        check_failover(
            is_cluster_mode(group), replicas_of(group), new_failover, new_multi_az, len(group.node_groups)
        )
        version = self._get_param("EngineVersion")
        if version and _version_tuple(_full_version(version)) < _version_tuple(
            _full_version(group.engine_version)
        ):
            raise combination(
                f"Cannot downgrade from {group.engine_version} to {version}."
            )
        backend.modify_replication_group(
            replication_group_id=gid,
            replication_group_description=self._get_param("ReplicationGroupDescription"),
            engine=self._get_param("Engine"),
            cache_node_type=self._get_param("CacheNodeType"),
            automatic_failover_enabled=failover,
            multi_az_enabled=multi_az,
            snapshot_retention_limit=self._get_int_param("SnapshotRetentionLimit"),
        )
        if version:
            group.engine_version = version
        window = self._get_param("SnapshotWindow")
        if window:
            group.snapshot_window = window
        security_groups = self._get_param("SecurityGroupIds")
        if security_groups is not None:
            group.security_group_ids = list(security_groups)
        parameter_group = self._get_param("CacheParameterGroupName")
        if parameter_group:
            group.cache_parameter_group_name = parameter_group
        refresh_members(backend, group)
        pending(group, "modifying")
        return ActionResult({"ReplicationGroup": group})

    ElastiCacheResponse.modify_replication_group = modify_replication_group

    def replica_count_change(self, increase):
        backend = self.elasticache_backend
        gid = self._get_param("ReplicationGroupId")
        group = get_group(backend, gid)
        if group.status != "available":
            raise InvalidReplicationGroupState(f"Replication group {gid} is {group.status}.")
        count = self._get_int_param("NewReplicaCount")
        if count is None:
            configs = self._get_param("ReplicaConfiguration") or []
            counts = [int(c.get("NewReplicaCount")) for c in configs if c.get("NewReplicaCount") is not None]
            count = counts[0] if counts else None
        if count is None:
            raise invalid("NewReplicaCount or ReplicaConfiguration is required.")
        current = replicas_of(group)
        if count < 0 or count > MAX_REPLICAS:
            raise invalid("NewReplicaCount must be between 0 and 5.")
        if increase and count <= current:
            raise invalid(f"NewReplicaCount {count} must be more than the current {current}.")
        if not increase and count >= current:
            raise invalid(f"NewReplicaCount {count} must be less than the current {current}.")
        if not increase and count < 1 and group.automatic_failover == "enabled" and not is_cluster_mode(group):
            raise combination(
                "Cannot have fewer than 1 replica while automatic failover is enabled."
            )
        to_remove = set(self._get_param("ReplicasToRemove") or [])
        for ng in group.node_groups:
            while len(ng["node_group_members"]) - 1 < count:
                add_replica(group, ng)
            while len(ng["node_group_members"]) - 1 > count:
                before = len(ng["node_group_members"])
                remove_replica(ng, to_remove or None)
                if len(ng["node_group_members"]) == before:
                    remove_replica(ng)
        refresh_members(backend, group)
        pending(group, "modifying")
        return ActionResult({"ReplicationGroup": group})

    ElastiCacheResponse.increase_replica_count = lambda self: replica_count_change(self, True)
    ElastiCacheResponse.decrease_replica_count = lambda self: replica_count_change(self, False)

    def reslot(group):
        count = len(group.node_groups)
        for i, ng in enumerate(group.node_groups):
            start = SLOTS * i // count
            end = SLOTS * (i + 1) // count - 1
            ng["slots"] = f"{start}-{end}"

    def modify_replication_group_shard_configuration(self):
        backend = self.elasticache_backend
        gid = self._get_param("ReplicationGroupId")
        group = get_group(backend, gid)
        if not is_cluster_mode(group):
            raise invalid(f"Replication group {gid} is not in cluster mode; it cannot be resharded.")
        if group.status != "available":
            raise InvalidReplicationGroupState(f"Replication group {gid} is {group.status}.")
        count = self._get_int_param("NodeGroupCount")
        if count is None or count < 1 or count > 500:
            raise invalid("NodeGroupCount must be between 1 and 500.")
        current = len(group.node_groups)
        replicas = replicas_of(group)
        if count > current:
            taken = {ng["node_group_id"] for ng in group.node_groups}
            number = 1
            while len(group.node_groups) < count:
                while f"{number:0>4}" in taken:
                    number += 1
                ng = {"node_group_id": f"{number:0>4}", "status": "available", "node_group_members": []}
                taken.add(ng["node_group_id"])
                ng["node_group_members"].append(
                    new_member(group, ng, member_id(group, ng, 1), "primary", "us-east-1a")
                )
                group.node_groups.append(ng)
                for _ in range(replicas):
                    add_replica(group, ng)
        elif count < current:
            remove = self._get_param("NodeGroupsToRemove") or []
            retain = self._get_param("NodeGroupsToRetain") or []
            if not remove and not retain:
                raise invalid("NodeGroupsToRemove or NodeGroupsToRetain is required to remove shards.")
            if retain:
                keep = [ng for ng in group.node_groups if ng["node_group_id"] in retain]
            else:
                keep = [ng for ng in group.node_groups if ng["node_group_id"] not in remove]
            if len(keep) != count:
                raise invalid(f"The node groups to keep ({len(keep)}) do not match NodeGroupCount {count}.")
            group.node_groups[:] = keep
        reslot(group)
        refresh_members(backend, group)
        pending(group, "modifying")
        return ActionResult({"ReplicationGroup": group})

    ElastiCacheResponse.modify_replication_group_shard_configuration = (
        modify_replication_group_shard_configuration
    )

    # Cache subnet groups: modify and delete.
    def groups_using(backend, name):
        return [g for g in backend.replication_groups.values() if g.cache_subnet_group_name == name] + [
            c
            for c in backend.cache_clusters.values()
            if c.cache_subnet_group_name == name and not getattr(c, "replication_group_id", None)
        ]

    def modify_cache_subnet_group(self):
        backend = self.elasticache_backend
        name = self._get_param("CacheSubnetGroupName")
        if name not in backend.cache_subnet_groups:
            raise ex.CacheSubnetGroupNotFound(name)
        old = backend.cache_subnet_groups[name]
        subnet_ids = self._get_param("SubnetIds") or old.subnet_ids
        new = m.CacheSubnetGroup(
            account_id=backend.account_id,
            region_name=backend.region_name,
            cache_subnet_group_name=name,
            cache_subnet_group_description=self._get_param("CacheSubnetGroupDescription")
            or old.cache_subnet_group_description,
            subnet_ids=subnet_ids,
            tags=old.tags,
        )
        if new.vpc_id != old.vpc_id and groups_using(backend, name):
            raise invalid(
                f"The subnets are in {new.vpc_id}, but the subnet group {name} is in use in {old.vpc_id}."
            )
        backend.cache_subnet_groups[name] = new
        return ActionResult({"CacheSubnetGroup": new})

    ElastiCacheResponse.modify_cache_subnet_group = modify_cache_subnet_group

    def delete_cache_subnet_group(self):
        backend = self.elasticache_backend
        name = self._get_param("CacheSubnetGroupName")
        if name not in backend.cache_subnet_groups:
            raise ex.CacheSubnetGroupNotFound(name)
        if groups_using(backend, name):
            raise CacheSubnetGroupInUse(f"Cache subnet group {name} is currently in use.")
        group = backend.cache_subnet_groups.pop(name)
        backend.tagging_service.delete_all_tags_for_resource(group.arn)
        return EmptyResult()

    ElastiCacheResponse.delete_cache_subnet_group = delete_cache_subnet_group

