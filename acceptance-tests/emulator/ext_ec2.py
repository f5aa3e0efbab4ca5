"""EC2 as AWS has it, where moto differs in ways the provider depends on.

Idempotent creation: moto ignores the `ClientToken` of `RunInstances` and
`CreateNatGateway` and makes a new object for every call. AWS answers a
repeated token with what it made for it, whatever its state now (a
terminated instance, a deleted gateway), and refuses the token with other
parameters (`IdempotentParameterMismatch`). Here too, so that the
provider's retries and its salting of tokens are exercised.

NAT gateway deletion: moto's `DeleteNatGateway` marks the gateway
"deleted" at once and leaves its elastic IP associated, so the address
cannot serve a new gateway (`Resource.AlreadyAssociated`). On AWS a deleted
gateway is "deleting" for a while, then "deleted" with its address
disassociated (not released). Here it is "deleting" for one describe, then
"deleted" and the address is free, so that a provider repairing a deleted
gateway really has to wait.

Elastic IPs through a stop and start: moto gives a restarted instance a
new random public address even when an Elastic IP is associated with it.
On AWS the Elastic IP stays (only an auto-assigned address changes); here
too, so that a health check on a node's Elastic IP sees it come back.
"""


def apply():
    keep_elastic_ips_through_restarts()
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models.nat_gateways import NatGatewayBackend
    from moto.ec2.responses.instances import InstanceResponse
    from moto.ec2.responses.nat_gateways import NatGateways

    def idempotent(response_class, action):
        original = getattr(response_class, action)

        def with_client_token(self):
            token = self._get_param("ClientToken")
            if not token:
                return original(self)
            params = sorted(
                (key, repr(value))
                for key, value in self.querystring.items()
                if key != "ClientToken"
            )
            remembered = self.ec2_backend.__dict__.setdefault("_swarm_client_tokens", {})
            if (action, token) in remembered:
                earlier, result = remembered[(action, token)]
                if earlier != params:
                    raise EC2ClientError(
                        "IdempotentParameterMismatch",
                        f"Client token {token} was used before with other parameters.",
                    )
                # The same objects, rendered as they are now: moto renders
                # every RunInstances answer "pending", but a repeated one
                # shows the instances' current state, as AWS does.
                self.RESPONSE_KEY_PATH_TO_TRANSFORMER = {
                    path: transform
                    for path, transform in self.RESPONSE_KEY_PATH_TO_TRANSFORMER.items()
                    if path != "RunInstances.Reservation.Instances.Instance.State"
                }
                return result
            result = original(self)
            remembered[(action, token)] = (params, result)
            return result

        setattr(response_class, action, with_client_token)

    idempotent(InstanceResponse, "run_instances")
    idempotent(NatGateways, "create_nat_gateway")

    original_delete = NatGatewayBackend.delete_nat_gateway
    original_describe = NatGatewayBackend.describe_nat_gateways

    def delete_nat_gateway(self, nat_gateway_id):
        nat = original_delete(self, nat_gateway_id)
        nat.state = "deleting"
        nat._swarm_described_deleting = False
        return nat

    def describe_nat_gateways(self, filters, nat_gateway_ids):
        # A gateway already shown "deleting" is gone now: "deleted", with
        # its address disassociated.
        for nat in self.nat_gateways.values():
            if nat.state == "deleting" and getattr(nat, "_swarm_described_deleting", False):
                nat.state = "deleted"
                for address in nat.address_set:
                    allocation = address.get("allocationId")
                    eips = self.address_by_allocation([allocation]) if allocation else []
                    for eip in eips:
                        if eip.association_id or eip.eni:
                            self.disassociate_address(address=eip.public_ip)
        result = original_describe(self, filters, nat_gateway_ids)
        for nat in self.nat_gateways.values():
            if nat.state == "deleting":
                nat._swarm_described_deleting = True
        return result

    NatGatewayBackend.delete_nat_gateway = delete_nat_gateway
    NatGatewayBackend.describe_nat_gateways = describe_nat_gateways


def keep_elastic_ips_through_restarts():
    from moto.ec2.models.elastic_network_interfaces import NetworkInterface

    original_stop = NetworkInterface.stop
    original_start = NetworkInterface.start

    def has_elastic_ip(nic):
        return any(address.eni is nic for address in nic.ec2_backend.addresses)

    def stop(self):
        if not has_elastic_ip(self):
            original_stop(self)

    def start(self):
        if not has_elastic_ip(self):
            original_start(self)

    NetworkInterface.stop = stop
    NetworkInterface.start = start
