terraform {
  # 1.7 for `terraform test` with mocked providers (tests/terraform runs it where a binary exists).
  required_version = ">= 1.7.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # The major version tested here: .terraform.lock.hcl pins 5.100.0, the version `make test`
      # validates and plans against (terraform/tests/*.tftest.hcl).
      version = ">= 5.100.0, < 6.0.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge(var.tags, { project = var.name })
  }
}
