# One function with its own role, its own log group and, for asynchronous callers, a failure queue.
data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  log_group_arn = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:/aws/lambda/${var.name}"
  async         = var.failure_queue_arn != null
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = "${var.name}-role"
  description        = "Execution role of the ${var.name} function only."
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "runtime" {
  source_policy_documents = [var.policy_json]

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_arn}:*"]
  }

  statement {
    sid       = "DecryptEnvironment"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }

  dynamic "statement" {
    for_each = local.async ? [var.failure_queue_arn] : []

    content {
      sid       = "SendFailedInvocations"
      actions   = ["sqs:SendMessage"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = local.async ? [var.kms_key_arn] : []

    content {
      sid       = "EncryptFailedInvocations"
      actions   = ["kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.name}-least-privilege"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.runtime.json
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:The functions call only AWS APIs (S3, Athena, Glue, CloudWatch Logs) with IAM auth; a VPC would add NAT or endpoint cost and no protection.
  #checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile; packages are reproducible and their SHA-256 is recorded in build/manifest.json and checked by source_code_hash.
  #checkov:skip=CKV_AWS_50:X-Ray's write actions cannot be scoped to a resource; structured logs and EMF metrics trace each run instead.
  #checkov:skip=CKV_AWS_116:Asynchronous functions get an on-failure destination (aws_lambda_function_event_invoke_config) instead of the legacy DLQ; the API is invoked synchronously.
  function_name                  = var.name
  description                    = var.description
  role                           = aws_iam_role.this.arn
  filename                       = var.package_path
  source_code_hash               = filebase64sha256(var.package_path)
  handler                        = var.handler
  runtime                        = var.runtime
  architectures                  = [var.architecture]
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrent_executions
  kms_key_arn                    = var.kms_key_arn
  tags                           = var.tags

  environment {
    variables = var.environment
  }

  depends_on = [aws_iam_role_policy.this, aws_cloudwatch_log_group.this]
}

# Always declared, with the failure destination only for asynchronous callers: a count derived
# from the queue's ARN would be unknown on the first plan (the queue does not exist yet), which
# Terraform refuses ("Invalid count argument"; terraform/tests/stack.tftest.hcl plans it).
resource "aws_lambda_function_event_invoke_config" "this" {
  function_name                = aws_lambda_function.this.function_name
  maximum_retry_attempts       = var.maximum_retry_attempts
  maximum_event_age_in_seconds = 3600

  dynamic "destination_config" {
    for_each = var.failure_queue_arn == null ? [] : [var.failure_queue_arn]

    content {
      on_failure {
        destination = destination_config.value
      }
    }
  }
}
