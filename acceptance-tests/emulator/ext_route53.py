"""Route 53 health checks and failover answers that follow the instances.

moto stores health checks and failover record sets, but nothing follows
health: `GetHealthCheckStatus` always answers success, and nothing answers
a DNS query. Here:

- `GetHealthCheckStatus` of a check on an IP address asks moto's EC2
  backend (every region of the account) for the instance with that public
  or private address: running, the checkers report success; stopped,
  terminated, or no instance there, failure.
- A health check of the CloudWatch-alarm kind (`CLOUDWATCH_METRIC`, which
  moto neither stores nor renders: its `AlarmIdentifier` and
  `InsufficientDataHealthStatus` are kept here) follows its alarm: ALARM
  is failure.
- An alarm on `AWS/EC2` `StatusCheckFailed` of one `InstanceId` follows
  that instance (no metrics flow in moto): OK while it runs, ALARM
  otherwise, updated whenever alarms are described or a check's status is
  asked.
- `TestDNSAnswer` (not in moto) answers an A query from the zone's record
  sets: a simple record's values; of failover sets, the PRIMARY's while
  its health check is healthy (or it has none), else the SECONDARY's.
- `CreateHealthCheck` with a `CallerReference` used before answers the
  same check while it exists and the settings are the same, and
  `HealthCheckAlreadyExists` otherwise (other settings, or the check was
  deleted), as Route 53 does (moto makes a new check for every call).
- `UpdateHealthCheck` raises `HealthCheckVersion` (moto keeps 1), applies
  `ResetElements` (a removed `ResourcePath`) and an `AlarmIdentifier`.
- `ChangeResourceRecordSets` DELETE of a set with a `SetIdentifier`
  deletes that set of that name and type only, as Route 53 does (moto
  deletes every set of the zone with that identifier, whatever its name).
"""

CHECKERS = [
    ("us-east-1", "54.243.31.193"),
    ("us-west-1", "54.183.255.129"),
    ("eu-west-1", "54.228.16.1"),
]


def apply():
    from moto.cloudwatch.models import cloudwatch_backends
    from moto.cloudwatch.responses import CloudWatchResponse
    from moto.core.responses import ActionResult
    from moto.core.utils import utcnow
    from moto.ec2.models import ec2_backends
    from moto.route53 import urls
    from moto.route53.exceptions import Route53ClientError
    from moto.route53.models import HealthCheck, Route53Backend
    from moto.route53.responses import Route53

    def instance_at(account_id, ip):
        # Only the regions already used (indexing another would make it).
        for region in list(ec2_backends[account_id].keys()):
            backend = ec2_backends[account_id][region]
            for instance in backend.all_instances():
                if ip and ip in (instance.public_ip, instance.private_ip):
                    return instance
        return None

    def instance_by_id(account_id, instance_id):
        for region in list(ec2_backends[account_id].keys()):
            backend = ec2_backends[account_id][region]
            for instance in backend.all_instances():
                if instance.id == instance_id:
                    return instance
        return None

    def sync_status_alarms(account_id, region):
        backend = cloudwatch_backends[account_id][region]
        for alarm in list(backend.alarms.values()):
            if alarm.namespace != "AWS/EC2" or alarm.metric_name != "StatusCheckFailed":
                continue
            ids = [d.value for d in alarm.dimensions if d.name == "InstanceId"]
            if len(ids) != 1:
                continue
            instance = instance_by_id(account_id, ids[0])
            running = instance is not None and instance.state == "running"
            state = "OK" if running else "ALARM"
            if alarm.state_value != state:
                reason = "instance running" if running else "instance not running"
                alarm.update_state(f"swarm emulator: {reason}", "{}", state)

    # -- CloudWatch: status-check alarms follow their instance ----------
    original_describe_alarms = CloudWatchResponse.describe_alarms

    def describe_alarms(self):
        sync_status_alarms(self.current_account, self.region)
        return original_describe_alarms(self)

    CloudWatchResponse.describe_alarms = describe_alarms

    # -- Route 53: health checks ---------------------------------------
    class HealthCheckAlreadyExists(Route53ClientError):
        def __init__(self, reference):
            super().__init__(
                "HealthCheckAlreadyExists",
                f"A health check with the caller reference {reference} was created "
                "before and has been deleted; use another reference.",
            )

    class HealthCheckVersionMismatch(Route53ClientError):
        def __init__(self):
            super().__init__(
                "HealthCheckVersionMismatch",
                "The value of HealthCheckVersion in the request doesn't match the "
                "health check's current version.",
            )

    original_create = Route53Backend.create_health_check
    original_delete = Route53Backend.delete_health_check

    def references(backend):
        return backend.__dict__.setdefault("_swarm_references", {})

    def create_health_check(self, caller_reference, health_check_args):
        known = references(self)
        if caller_reference in known:
            check_id, settings = known[caller_reference]
            check = self.health_checks.get(check_id)
            # Route 53 answers the check only to a retry with the same
            # settings; a deleted check's reference is never taken again.
            if check is None or settings != repr(health_check_args):
                raise HealthCheckAlreadyExists(caller_reference)
            return check
        check = original_create(self, caller_reference, health_check_args)
        known[caller_reference] = (check.id, repr(health_check_args))
        return check

    def delete_health_check(self, health_check_id):
        # Route 53 refuses to delete a check a record set names.
        in_use = [
            rrset.name
            for zone in self.zones.values()
            for rrset in zone.rrsets
            if rrset.health_check_id == health_check_id
        ]
        if in_use:
            raise Route53ClientError(
                "HealthCheckInUse",
                f"The health check {health_check_id} is in use by {in_use[0]}.",
            )
        return original_delete(self, health_check_id)

    Route53Backend.create_health_check = create_health_check
    Route53Backend.delete_health_check = delete_health_check

    original_config = HealthCheck.health_check_config

    def health_check_config(self):
        config = original_config.fget(self)
        if self.type_ == "CLOUDWATCH_METRIC":
            for key in ("IPAddress", "Port", "RequestInterval", "FailureThreshold", "MeasureLatency"):
                config.pop(key, None)
            config["AlarmIdentifier"] = getattr(self, "_swarm_alarm", None)
            config["InsufficientDataHealthStatus"] = getattr(self, "_swarm_insufficient", None)
        return config

    HealthCheck.health_check_config = property(health_check_config)

    original_create_response = Route53.create_health_check

    def create_health_check_response(self):
        result = original_create_response(self)
        config = self._get_param("HealthCheckConfig") or {}
        check = self.backend.health_checks.get(
            references(self.backend).get(self._get_param("CallerReference"), (None,))[0]
        )
        if check is not None and config.get("AlarmIdentifier"):
            check._swarm_alarm = config.get("AlarmIdentifier")
            check._swarm_insufficient = config.get("InsufficientDataHealthStatus")
        return result

    Route53.create_health_check = create_health_check_response

    original_update_response = Route53.update_health_check

    def update_health_check_response(self):
        check = self.backend.get_health_check(self._get_param("HealthCheckId"))
        version = self._get_param("HealthCheckVersion")
        if version is not None and int(version) != check.health_check_version:
            raise HealthCheckVersionMismatch()
        result = original_update_response(self)
        reset = self._get_param("ResetElements") or []
        if isinstance(reset, dict):
            reset = reset.get("ResettableElementName", [])
        if isinstance(reset, str):
            reset = [reset]
        if "ResourcePath" in reset:
            check.resource_path = None
        if self._get_param("AlarmIdentifier"):
            check._swarm_alarm = self._get_param("AlarmIdentifier")
        if self._get_param("InsufficientDataHealthStatus"):
            check._swarm_insufficient = self._get_param("InsufficientDataHealthStatus")
        check.health_check_version += 1
        return result

    Route53.update_health_check = update_health_check_response

    def check_is_healthy(account_id, check):
        """Whether the check's checkers see success, and the report's words."""
        if check.type_ == "CLOUDWATCH_METRIC":
            alarm_id = getattr(check, "_swarm_alarm", None) or {}
            region = alarm_id.get("Region", "us-east-1")
            sync_status_alarms(account_id, region)
            alarm = cloudwatch_backends[account_id][region].alarms.get(alarm_id.get("Name"))
            if alarm is None:
                return False, "Failure: the CloudWatch alarm does not exist."
            if alarm.state_value == "ALARM":
                return False, f"Failure: the CloudWatch alarm {alarm.name} is in ALARM."
            if alarm.state_value == "INSUFFICIENT_DATA" and getattr(
                check, "_swarm_insufficient", None
            ) == "Unhealthy":
                return False, "Failure: the CloudWatch alarm has insufficient data."
            return True, f"Success: the CloudWatch alarm {alarm.name} is {alarm.state_value}."
        instance = instance_at(account_id, check.ip_address)
        if instance is None:
            return False, f"Failure: Connection timed out. Nothing answers at {check.ip_address}."
        if instance.state != "running":
            return False, (
                f"Failure: Connection timed out. The instance at {check.ip_address} "
                f"is {instance.state}."
            )
        if check.type_ in ("HTTP", "HTTPS", "HTTP_STR_MATCH", "HTTPS_STR_MATCH"):
            return True, "Success: HTTP Status Code 200, OK"
        return True, "Success: TCP connection established."

    def get_health_check_status(self):
        check = self.backend.get_health_check(self._get_param("HealthCheckId"))
        _, status = check_is_healthy(self.current_account, check)
        observations = [
            {
                "Region": region,
                "IPAddress": ip,
                "StatusReport": {"Status": status, "CheckedTime": utcnow()},
            }
            for region, ip in CHECKERS
        ]
        return ActionResult({"HealthCheckObservations": observations})

    Route53.get_health_check_status = get_health_check_status

    # -- Route 53: TestDNSAnswer ----------------------------------------
    def normalize(name):
        return (name or "").rstrip(".").lower()

    def test_dns_answer(self):
        zone_id = self._get_param("hostedzoneid") or self._get_param("HostedZoneId")
        name = self._get_param("recordname") or self._get_param("RecordName")
        rtype = self._get_param("recordtype") or self._get_param("RecordType") or "A"
        zone = self.backend.get_hosted_zone(zone_id)
        sets = [
            rrset
            for rrset in zone.rrsets
            if normalize(rrset.name) == normalize(name) and rrset.type == rtype
        ]

        def healthy(rrset):
            if not rrset.health_check_id:
                return True
            check = self.backend.health_checks.get(rrset.health_check_id)
            return check is not None and check_is_healthy(self.current_account, check)[0]

        primary = [s for s in sets if s.failover == "PRIMARY"]
        secondary = [s for s in sets if s.failover == "SECONDARY"]
        plain = [s for s in sets if not s.failover]
        if primary or secondary:
            if primary and healthy(primary[0]):
                chosen = primary[0]
            elif secondary and (healthy(secondary[0]) or not primary):
                chosen = secondary[0]
            else:
                # Both unhealthy: Route 53 answers the PRIMARY.
                chosen = (primary or secondary)[0]
            answer = list(chosen.records)
        else:
            answer = [value for s in plain for value in s.records]
        return ActionResult(
            {
                "Nameserver": "ns-1.awsdns-01.org",
                "RecordName": name,
                "RecordType": rtype,
                "RecordData": answer,
                "ResponseCode": "NOERROR" if sets else "NXDOMAIN",
                "Protocol": "UDP",
            }
        )

    Route53.test_dns_answer = test_dns_answer

    # -- Route 53: a DELETE names one set (name, type, identifier) ------
    from moto.route53.models import FakeZone

    original_change_sets = Route53Backend.change_resource_record_sets

    def change_resource_record_sets(self, zoneid, change_list):
        zone = self.get_hosted_zone(zoneid)
        # The DELETEs with identifiers, in order, for delete_rrset_by_id
        # (which moto calls with the identifier alone).
        zone.__dict__["_swarm_deleting"] = [
            (
                normalize(change["ResourceRecordSet"]["Name"]),
                change["ResourceRecordSet"].get("Type"),
                change["ResourceRecordSet"]["SetIdentifier"],
            )
            for change in change_list
            if change.get("Action") == "DELETE"
            and "SetIdentifier" in change.get("ResourceRecordSet", {})
        ]
        try:
            return original_change_sets(self, zoneid, change_list)
        finally:
            zone.__dict__.pop("_swarm_deleting", None)

    def delete_rrset_by_id(self, set_identifier):
        pending = self.__dict__.get("_swarm_deleting", [])
        named = next((d for d in pending if d[2] == set_identifier), None)
        if named is not None:
            pending.remove(named)
        self.rrsets = [
            rrset
            for rrset in self.rrsets
            if rrset.set_identifier != set_identifier
            or (
                named is not None
                and (
                    normalize(rrset.name) != named[0]
                    or (named[1] is not None and rrset.type != named[1])
                )
            )
        ]

    Route53Backend.change_resource_record_sets = change_resource_record_sets
    FakeZone.delete_rrset_by_id = delete_rrset_by_id
    urls.url_paths[r"{0}/(?P<api_version>[\d_-]+)/testdnsanswer$"] = Route53.dispatch
