"""EC2 NAT gateways as AWS has them.

Idempotent creation: moto ignores `CreateNatGateway`'s `ClientToken` and
makes a new gateway for every call. AWS answers a repeated token with the
gateway it made for it, whatever that gateway's state now (a deleted one
too), and refuses the token with other parameters
(`IdempotentParameterMismatch`). Here too, so that a client must salt its
token to replace a gateway deleted out of band.

Deletion:

moto's `DeleteNatGateway` marks the gateway "deleted" at once and leaves its
elastic IP associated, so the address cannot serve a new gateway
(`Resource.AlreadyAssociated`). On AWS a deleted gateway is "deleting" for
a while, then "deleted" with its address disassociated (not released).
Here it is "deleting" for one describe, then "deleted" and the address is
free, so that a provider repairing a deleted gateway really has to wait.
"""


def apply():
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models.nat_gateways import NatGatewayBackend
    from moto.ec2.responses.nat_gateways import NatGateways
    from moto.core.responses import ActionResult

    original_create_response = NatGateways.create_nat_gateway

    def create_nat_gateway_response(self):
        token = self._get_param("ClientToken")
        if not token:
            return original_create_response(self)
        backend = self.ec2_backend
        tokens = backend.__dict__.setdefault("_swarm_nat_tokens", {})
        params = (self._get_param("SubnetId"), self._get_param("AllocationId"))
        if token in tokens:
            nat_id, earlier = tokens[token]
            if earlier != params:
                raise EC2ClientError(
                    "IdempotentParameterMismatch",
                    f"Client token {token} was used with other parameters.",
                )
            return ActionResult(
                {"ClientToken": token, "NatGateway": backend.nat_gateways[nat_id]}
            )
        before = set(backend.nat_gateways)
        result = original_create_response(self)
        made = [i for i in backend.nat_gateways if i not in before]
        if made:
            tokens[token] = (made[0], params)
        return result

    NatGateways.create_nat_gateway = create_nat_gateway_response

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
