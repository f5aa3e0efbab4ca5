# Benchmark: the same failover pair written with hashicorp/aws, in the
# public subnets of the network of network.tf (the same file as
# network-aws's): two instances in two zones (IMDSv2 required, encrypted
# gp3 root, user data), a security group with its ingress rule (and the
# all-egress rule AWS gives a new group, which hashicorp/aws removes
# unless declared), an Elastic IP and its association with the primary;
# with dns = true also a Route 53 health check per node and PRIMARY/
# SECONDARY failover records in var.zone_id, each with its health check.

variable "zone_id" {
  type        = string
  description = "A hosted zone made by scripts/bench before the run (neither side pays for it)."
}

variable "dns" {
  type        = bool
  default     = false
  description = "Route 53 health checks and failover records as well."
}

locals {
  nodes = ["primary", "secondary"]
}

resource "aws_security_group" "pair" {
  name        = "bench-pair"
  description = "The MCP port from 10.0.0.0/8; all egress"
  vpc_id      = aws_vpc.main.id
  tags        = { Name = "bench-pair" }
}

resource "aws_vpc_security_group_ingress_rule" "mcp" {
  security_group_id = aws_security_group.pair.id
  ip_protocol       = "tcp"
  from_port         = 3000
  to_port           = 3000
  cidr_ipv4         = "10.0.0.0/8"
}

resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = aws_security_group.pair.id
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_instance" "node" {
  count                       = 2
  ami                         = "ami-785db401"
  instance_type               = "t3.small"
  subnet_id                   = aws_subnet.all["public-${count.index}"].id
  vpc_security_group_ids      = [aws_security_group.pair.id]
  associate_public_ip_address = true
  user_data                   = "echo ready > /var/tmp/bench"

  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required"
  }

  root_block_device {
    volume_type = "gp3"
    volume_size = 100
    encrypted   = true
  }

  tags = { Name = "bench-${local.nodes[count.index]}" }
}

resource "aws_eip" "pair" {
  domain = "vpc"
  tags   = { Name = "bench-pair" }
}

resource "aws_eip_association" "pair" {
  allocation_id = aws_eip.pair.id
  instance_id   = aws_instance.node[0].id
}

# The primary is checked at the floating IP (its own public address goes
# when the Elastic IP is associated), the secondary at its own.
resource "aws_route53_health_check" "node" {
  count             = var.dns ? 2 : 0
  ip_address        = count.index == 0 ? aws_eip.pair.public_ip : aws_instance.node[1].public_ip
  type              = "HTTP"
  port              = 3000
  resource_path     = "/health"
  request_interval  = 30
  failure_threshold = 3
  tags              = { Name = "bench-${local.nodes[count.index]}" }
}

resource "aws_route53_record" "node" {
  count           = var.dns ? 2 : 0
  zone_id         = var.zone_id
  name            = "mcp.bench.example.com"
  type            = "A"
  ttl             = 60
  set_identifier  = local.nodes[count.index]
  health_check_id = aws_route53_health_check.node[count.index].id
  records         = [aws_route53_health_check.node[count.index].ip_address]

  failover_routing_policy {
    type = count.index == 0 ? "PRIMARY" : "SECONDARY"
  }
}
