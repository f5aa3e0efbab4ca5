"""EC2 NAT gateway deletion as AWS does it.

moto's `DeleteNatGateway` marks the gateway "deleted" at once and leaves its
elastic IP associated, so the address cannot serve a new gateway
(`Resource.AlreadyAssociated`). On AWS a deleted gateway is "deleting" for
a while, then "deleted" with its address disassociated (not released).
Here it is "deleting" for one describe, then "deleted" and the address is
free, so that a provider repairing a deleted gateway really has to wait.
"""


def apply():
    from moto.ec2.models.nat_gateways import NatGatewayBackend

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
