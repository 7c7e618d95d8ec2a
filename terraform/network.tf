# A small VPC for the dbt task only: public subnets with no inbound path (the security group
# admits nothing), HTTPS out to the AWS APIs and the public image registry, and S3 through a
# gateway endpoint. No NAT gateway: a task gets a public IP for its egress.
data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394:Only the first two zone names are used (slice below), so a zone AWS adds later never moves the subnets; pinning names would break accounts whose zones are not a and b.
  state = "available"
}

locals {
  job_azs = slice(data.aws_availability_zones.available.names, 0, 2)
}

resource "aws_vpc" "jobs" {
  #checkov:skip=CKV2_AWS_11:The VPC carries only the dbt task's HTTPS calls to AWS APIs, which CloudTrail records; flow logs would add a log group and cost for no more insight.
  cidr_block           = var.jobs_vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = { Name = "${var.name}-jobs" }
}

# The default security group of the VPC admits and allows nothing.
resource "aws_default_security_group" "jobs" {
  vpc_id = aws_vpc.jobs.id
}

resource "aws_internet_gateway" "jobs" {
  vpc_id = aws_vpc.jobs.id
}

resource "aws_subnet" "jobs" {
  count = length(local.job_azs)

  vpc_id                  = aws_vpc.jobs.id
  availability_zone       = local.job_azs[count.index]
  cidr_block              = cidrsubnet(var.jobs_vpc_cidr, 4, count.index)
  map_public_ip_on_launch = false

  tags = { Name = "${var.name}-jobs-${local.job_azs[count.index]}" }
}

resource "aws_route_table" "jobs" {
  vpc_id = aws_vpc.jobs.id

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.jobs.id
  }
}

resource "aws_route_table_association" "jobs" {
  count = length(aws_subnet.jobs)

  subnet_id      = aws_subnet.jobs[count.index].id
  route_table_id = aws_route_table.jobs.id
}

resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.jobs.id
  service_name      = "com.amazonaws.${local.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [aws_route_table.jobs.id]
}

resource "aws_security_group" "dbt_task" {
  #checkov:skip=CKV2_AWS_5:Attached to every dbt task through the schedules' network configuration (module dbt_task), which checkov does not follow.
  name        = "${var.name}-dbt-task"
  description = "The dbt task: no inbound traffic, HTTPS out only."
  vpc_id      = aws_vpc.jobs.id

  egress {
    description = "HTTPS to the AWS APIs and the public image registry"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
