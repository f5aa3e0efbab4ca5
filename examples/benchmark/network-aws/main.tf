# Benchmark: the same two-zone network written with hashicorp/aws: VPC,
# internet gateway, public/private/database subnets in two zones, one NAT
# gateway with its address, three route tables and their associations.
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}

variable "endpoint" {
  type = string
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  s3_use_path_style           = true
  endpoints {
    ec2     = var.endpoint
    route53 = var.endpoint
    sts     = var.endpoint
  }
}

locals {
  zones = ["us-east-1a", "us-east-1b"]
  tiers = { public = 0, private = 1, database = 2 }
  subnets = {
    for pair in setproduct(keys(local.tiers), range(length(local.zones))) :
    "${pair[0]}-${pair[1]}" => {
      tier = pair[0]
      zone = local.zones[pair[1]]
      cidr = cidrsubnet("10.20.0.0/16", 4, local.tiers[pair[0]] * 5 + pair[1])
    }
  }
}

resource "aws_vpc" "main" {
  cidr_block           = "10.20.0.0/16"
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = { Name = "bench-vpc" }
}

resource "aws_internet_gateway" "main" {
  vpc_id = aws_vpc.main.id
  tags   = { Name = "bench-igw" }
}

resource "aws_subnet" "all" {
  for_each          = local.subnets
  vpc_id            = aws_vpc.main.id
  cidr_block        = each.value.cidr
  availability_zone = each.value.zone
  tags              = { Name = "bench-${each.key}" }
}

resource "aws_eip" "nat" {
  domain = "vpc"
  tags   = { Name = "bench-nat" }
}

resource "aws_nat_gateway" "main" {
  subnet_id     = aws_subnet.all["public-0"].id
  allocation_id = aws_eip.nat.id
  tags          = { Name = "bench-nat" }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.main.id
  }
  tags = { Name = "bench-public" }
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.main.id
  route {
    cidr_block     = "0.0.0.0/0"
    nat_gateway_id = aws_nat_gateway.main.id
  }
  tags = { Name = "bench-private" }
}

resource "aws_route_table" "database" {
  vpc_id = aws_vpc.main.id
  tags   = { Name = "bench-database" }
}

resource "aws_route_table_association" "all" {
  for_each       = local.subnets
  subnet_id      = aws_subnet.all[each.key].id
  route_table_id = each.value.tier == "public" ? aws_route_table.public.id : (each.value.tier == "private" ? aws_route_table.private.id : aws_route_table.database.id)
}
