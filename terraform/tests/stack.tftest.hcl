# `terraform test` with a mocked AWS provider (offline; tests/terraform/test_terraform_cli.py runs
# it where a terraform binary and the provider mirror exist). Each run plans; nothing is created.
mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-2" }
  }
  mock_data "aws_availability_zones" {
    defaults = { names = ["eu-west-2a", "eu-west-2b", "eu-west-2c"] }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

variables {
  package_dir            = "tests/fixtures"
  source_log_group_names = ["/aws/lambda/storefront"]
  jwt_issuer             = "https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_EXAMPLE"
  jwt_audience           = ["1example23456789"]
  cursor_secret          = "a-test-secret-that-is-long-enough-0123456789"
}

run "key_carries_its_full_policy_from_creation" {
  command = plan

  # Every user of the key (log groups, buckets, queues, topics) references aws_kms_key.this, so
  # when the key itself holds the whole policy, all of them come after it.
  assert {
    condition     = aws_kms_key.this.policy == data.aws_iam_policy_document.key.json
    error_message = "The key's policy must be set on the key itself, not in a later aws_kms_key_policy."
  }
  assert {
    condition     = aws_kms_key.this.enable_key_rotation
    error_message = "Key rotation must stay on."
  }
}

run "dbt_runs_on_fargate_with_the_bundle_from_s3" {
  command = plan

  assert {
    condition     = output.dbt_schedule == { build = "rate(1 hour)", tested = "cron(30 2 * * ? *)" }
    error_message = "The dbt build is hourly and the tested build daily by default."
  }
  assert {
    condition     = startswith(aws_s3_object.dbt_bundle.key, "dbt_runner/") && endswith(aws_s3_object.dbt_bundle.key, ".zip")
    error_message = "The bundle is content-addressed under dbt_runner/."
  }
  assert {
    condition     = aws_s3_object.dbt_bundle.key == local.dbt_environment.BUNDLE_KEY
    error_message = "The task must fetch the bundle Terraform uploads."
  }
  assert {
    condition     = length(aws_subnet.jobs) == 2 && alltrue([for s in aws_subnet.jobs : !s.map_public_ip_on_launch])
    error_message = "Two subnets, no public IP by default (the task asks for one)."
  }
  assert {
    condition     = one(aws_security_group.dbt_task.egress).from_port == 443 && one(aws_security_group.dbt_task.egress).to_port == 443
    error_message = "The dbt task may only speak HTTPS out."
  }
}

run "api_reservation_can_be_dropped_for_a_small_account" {
  command = plan

  variables {
    api_settings = { reserved_concurrency = -1 }
  }

  assert {
    condition     = output.lambda_reserved_concurrency.quota_required == 101
    error_message = "With no API reservation the stack needs 100 unreserved + the ingest's 1."
  }
}

run "a_zero_reservation_is_refused" {
  command = plan

  variables {
    api_settings = { reserved_concurrency = 0 }
  }

  expect_failures = [var.api_settings]
}

run "a_short_cursor_secret_is_refused" {
  command = plan

  variables {
    cursor_secret = "too-short"
  }

  expect_failures = [var.cursor_secret]
}

run "a_run_longer_than_a_day_is_refused" {
  command = plan

  variables {
    dbt_task = { timeout_hours = 48 }
  }

  expect_failures = [var.dbt_task]
}
