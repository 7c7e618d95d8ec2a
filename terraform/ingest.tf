# The ingest (docs/adr/0004-ingest-source.md), one package, two functions:
# - the subscription: a CloudWatch Logs subscription filter on each app log group hands the ingest
#   every event as CloudWatch ingests it, whatever its timestamp (late events are not lost);
# - the poller: every 10 minutes (the product's cadence), one run at a time, FilterLogEvents from
#   each log group's checkpoint under _state/, for backfill and replay.
# Both land into raw/ and quarantine/; staging dedupes what both deliver on request_id.
locals {
  ingest_name                = "${var.name}-ingest"
  ingest_subscription_name   = "${var.name}-ingest-subscription"
  ingest_schedule_expression = "rate(10 minutes)"
  # Deliveries landed at once: a delivery is small (CloudWatch batches up to about 1 MB) and takes
  # well under a second, so this covers 10M requests a day with room; throttled deliveries wait in
  # Lambda's asynchronous queue, they are not lost.
  ingest_subscription_concurrency = 10

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

# The subscription only writes validated events and quarantined lines: no checkpoint, no reads.
data "aws_iam_policy_document" "ingest_subscription" {
  statement {
    sid     = "LandRawAndQuarantine"
    actions = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = [
      "${local.lake_arn}/${local.raw_prefix}*",
      "${local.lake_arn}/${local.quarantine_prefix}*",
    ]
  }

  statement {
    sid       = "UseTheStackKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.this.arn]
  }
}

# Declared before the poller's: the poller's call is the one with reserved concurrency 1.
module "ingest_subscription_function" {
  source = "./modules/lambda_function"

  name                           = local.ingest_subscription_name
  description                    = "Lands the app's analytics lines as CloudWatch Logs ingests them (subscription filter)."
  package_path                   = local.package["ingest_lambda"]
  handler                        = "ingest_lambda.handler.lambda_handler"
  architecture                   = var.lambda_architecture
  memory_size                    = var.ingest_settings.memory_size
  timeout                        = 60
  reserved_concurrent_executions = local.ingest_subscription_concurrency
  environment                    = local.ingest_environment
  kms_key_arn                    = aws_kms_key.this.arn
  log_retention_days             = var.log_retention_days
  policy_json                    = data.aws_iam_policy_document.ingest_subscription.json
  # A delivery that fails its two retries is kept, payload and all, in the failure queue.
  failure_queue_arn = aws_sqs_queue.failures.arn
}

resource "aws_lambda_permission" "ingest_subscription" {
  for_each = toset(var.source_log_group_names)

  statement_id   = "CloudWatchLogs-${substr(sha256(each.key), 0, 16)}"
  action         = "lambda:InvokeFunction"
  function_name  = module.ingest_subscription_function.function_name
  principal      = "logs.amazonaws.com"
  source_arn     = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${each.key}:*"
  source_account = local.account_id
}

resource "aws_cloudwatch_log_subscription_filter" "ingest" {
  for_each = toset(var.source_log_group_names)

  name            = local.ingest_subscription_name
  log_group_name  = each.key
  filter_pattern  = var.ingest_settings.filter_pattern
  destination_arn = module.ingest_subscription_function.function_arn

  depends_on = [aws_lambda_permission.ingest_subscription]
}

module "ingest_function" {
  source = "./modules/lambda_function"

  name                           = local.ingest_name
  description                    = "Polls the app's analytics lines from CloudWatch Logs into the S3 lake (backfill, replay)."
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
