# The ingest: every 10 minutes (the product's cadence), one run at a time, from the app's log
# groups into raw/ and quarantine/, keeping its checkpoint under _state/.
locals {
  ingest_name                = "${var.name}-ingest"
  ingest_schedule_expression = "rate(10 minutes)"

  lake_arn = module.lake_bucket.arn

  source_log_group_arns = flatten([
    for name in var.source_log_group_names : [
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${name}",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${name}:*",
    ]
  ])

  # Names fixed by docs/contracts.md section 2; tests/terraform checks them against ingest_lambda/settings.py.
  ingest_environment = {
    LAKE_BUCKET                  = module.lake_bucket.id
    LOG_GROUP_NAMES              = join(",", var.source_log_group_names)
    FILTER_PATTERN               = var.ingest_settings.filter_pattern
    OVERLAP_MINUTES              = tostring(var.ingest_settings.overlap_minutes)
    SETTLE_LAG_MINUTES           = tostring(var.ingest_settings.settle_lag_minutes)
    MAX_WINDOW_MINUTES           = tostring(var.ingest_settings.max_window_minutes)
    INITIAL_LOOKBACK_MINUTES     = tostring(var.ingest_settings.initial_lookback)
    MAX_EVENT_AGE_DAYS           = tostring(var.ingest_settings.max_event_age_days)
    MAX_FUTURE_MINUTES           = tostring(var.ingest_settings.max_future_minutes)
    MAX_LINE_BYTES               = tostring(var.ingest_settings.max_line_bytes)
    PART_MAX_BYTES               = tostring(var.ingest_settings.part_max_bytes)
    CLOUDWATCH_MAX_TPS           = tostring(var.ingest_settings.cloudwatch_max_tps)
    POWERTOOLS_SERVICE_NAME      = "ingest"
    POWERTOOLS_METRICS_NAMESPACE = "RequestAnalytics"
  }
}

data "aws_iam_policy_document" "ingest" {
  statement {
    sid       = "ReadTheConfiguredLogGroupsOnly"
    actions   = ["logs:FilterLogEvents"]
    resources = local.source_log_group_arns
  }

  statement {
    sid     = "LandRawQuarantineAndCheckpoint"
    actions = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = [
      "${local.lake_arn}/${local.raw_prefix}*",
      "${local.lake_arn}/${local.quarantine_prefix}*",
      "${local.lake_arn}/${local.state_prefix}*",
    ]
  }

  statement {
    sid       = "ReadCheckpoint"
    actions   = ["s3:GetObject"]
    resources = ["${local.lake_arn}/${local.state_prefix}*"]
  }

  # Listing _state/ turns a missing checkpoint into a 404 (first run) instead of a 403.
  statement {
    sid       = "ListCheckpointPrefix"
    actions   = ["s3:ListBucket"]
    resources = [local.lake_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.state_prefix}*"]
    }
  }

  statement {
    sid       = "UseTheStackKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.this.arn]
  }
}

module "ingest_function" {
  source = "./modules/lambda_function"

  name                           = local.ingest_name
  description                    = "Reads the app's analytics lines from CloudWatch Logs into the S3 lake."
  package_path                   = local.package["ingest_lambda"]
  handler                        = "ingest_lambda.handler.lambda_handler"
  architecture                   = var.lambda_architecture
  memory_size                    = var.ingest_settings.memory_size
  timeout                        = var.ingest_settings.timeout_seconds
  reserved_concurrent_executions = 1
  environment                    = local.ingest_environment
  kms_key_arn                    = aws_kms_key.this.arn
  log_retention_days             = var.log_retention_days
  policy_json                    = data.aws_iam_policy_document.ingest.json
  failure_queue_arn              = aws_sqs_queue.failures.arn
}

module "ingest_schedule" {
  source = "./modules/schedule"

  name                  = local.ingest_name
  description           = "Runs the ingest every 10 minutes."
  schedule_expression   = local.ingest_schedule_expression
  function_arn          = module.ingest_function.function_arn
  kms_key_arn           = aws_kms_key.this.arn
  dead_letter_queue_arn = aws_sqs_queue.failures.arn
}
