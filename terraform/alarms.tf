# Alarms on what needs a person: ingest errors or lag, failed runs, dbt failures or silence, API 5xx.
resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = aws_kms_key.this.arn
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alarm_email == null ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

locals {
  alarm_actions = [aws_sns_topic.alarms.arn]
}

# A failed scheduled run raises, so each function's Errors metric is its failure signal.
resource "aws_cloudwatch_metric_alarm" "function_errors" {
  for_each = {
    ingest              = { function = module.ingest_function, period = 600, what = "An ingest run failed" }
    ingest_subscription = { function = module.ingest_subscription_function, period = 300, what = "A subscription delivery failed to land (retried twice, then kept in the failure queue)" }
  }

  alarm_name          = "${each.value.function.function_name}-errors"
  alarm_description   = "${each.value.what}; logs in ${each.value.function.log_group_name}."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = each.value.function.function_name }
  statistic           = "Sum"
  period              = each.value.period
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# The dbt task logs one "dbt build finished" line per run; its metric filters count the outcomes.
resource "aws_cloudwatch_metric_alarm" "dbt_failed" {
  alarm_name          = "${local.dbt_name}-failed"
  alarm_description   = "A dbt run failed (run_results.json under runs/ in the docs bucket; logs in ${module.dbt_task.log_group_name})."
  namespace           = module.dbt_task.metric_names.namespace
  metric_name         = module.dbt_task.metric_names.failed
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# A task that never starts, dies before logging, or runs past its timeout reports no outcome at
# all: no successful run in a day (the tested build's cadence) is an alarm too.
resource "aws_cloudwatch_metric_alarm" "dbt_silent" {
  alarm_name          = "${local.dbt_name}-no-successful-run"
  alarm_description   = "No dbt run succeeded for a day (logs in ${module.dbt_task.log_group_name})."
  namespace           = module.dbt_task.metric_names.namespace
  metric_name         = module.dbt_task.metric_names.succeeded
  statistic           = "Sum"
  period              = 86400
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# The ingest publishes CheckpointLagSeconds (EMF) on every run: how far its checkpoint trails now.
# No data means no run, which is as bad as lag.
resource "aws_cloudwatch_metric_alarm" "ingest_checkpoint_lag" {
  alarm_name          = "${local.ingest_name}-checkpoint-lag"
  alarm_description   = "The ingest checkpoint trails now by more than ${var.ingest_settings.lag_alarm_threshold} s, or no run reported."
  namespace           = "RequestAnalytics"
  metric_name         = "CheckpointLagSeconds"
  dimensions          = { service = "ingest" }
  statistic           = "Maximum"
  period              = 600
  evaluation_periods  = 2
  threshold           = var.ingest_settings.lag_alarm_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

locals {
  # IngestLagSeconds (ingestionTime - timestamp, the largest of a run or delivery): the poller
  # re-reads OVERLAP_MINUTES behind its checkpoint, so an event later than that is delivered by the
  # subscription alone. The design tolerates it, but without its second path: alarm past the overlap.
  ingest_lag_alarm_seconds = var.ingest_settings.overlap_minutes * 60
  # WindowReplays: how many times one checkpointed position was started again without landing. A run
  # that dies is replayed once or twice; the fourth start of the same position is a loop.
  ingest_window_replays_alarm = 3
}

resource "aws_cloudwatch_metric_alarm" "ingest_lag" {
  alarm_name          = "${local.ingest_name}-event-lag"
  alarm_description   = "Events reach CloudWatch more than ${local.ingest_lag_alarm_seconds} s after their timestamp: past the poller's overlap only the subscription delivers them (see docs/ingest.md)."
  namespace           = "RequestAnalytics"
  metric_name         = "IngestLagSeconds"
  dimensions          = { service = "ingest" }
  statistic           = "Maximum"
  period              = 600
  evaluation_periods  = 1
  threshold           = local.ingest_lag_alarm_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "ingest_window_replays" {
  alarm_name          = "${local.ingest_name}-window-replays"
  alarm_description   = "The poller started the same window position ${local.ingest_window_replays_alarm} times more without landing it (logs in ${module.ingest_function.log_group_name})."
  namespace           = "RequestAnalytics"
  metric_name         = "WindowReplays"
  dimensions          = { service = "ingest" }
  statistic           = "Maximum"
  period              = 600
  evaluation_periods  = 1
  threshold           = local.ingest_window_replays_alarm
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

# Deliveries CloudWatch Logs could not make to the subscription function (it retries them for a while).
resource "aws_cloudwatch_metric_alarm" "ingest_delivery_errors" {
  for_each = toset(var.source_log_group_names)

  alarm_name          = "${local.ingest_subscription_name}-delivery-errors-${substr(sha256(each.key), 0, 8)}"
  alarm_description   = "CloudWatch Logs failed to deliver ${each.key} to the ingest subscription; the poller covers only OVERLAP_MINUTES of lateness."
  namespace           = "AWS/Logs"
  metric_name         = "DeliveryErrors"
  dimensions          = { LogGroupName = each.key, DestinationType = "Lambda", FilterName = local.ingest_subscription_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "failed_runs" {
  alarm_name          = "${var.name}-failed-runs"
  alarm_description   = "A scheduled run failed every retry or could not be invoked (queue ${aws_sqs_queue.failures.name})."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.failures.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "api_5xx" {
  alarm_name          = "${local.api_name}-5xx"
  alarm_description   = "The API answered with 5xx responses (access logs in ${module.http_api.access_log_group_name})."
  namespace           = "AWS/ApiGateway"
  metric_name         = "5xx"
  dimensions          = { ApiId = module.http_api.api_id }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.api_settings.error_alarm_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}
