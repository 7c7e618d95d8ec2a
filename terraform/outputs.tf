output "lake_bucket" {
  description = "Bucket of the lake (raw/, quarantine/, _state/, marts/)."
  value       = module.lake_bucket.id
}

output "athena_results_bucket" {
  description = "Bucket of Athena query results (the dbt build's dbt/ prefix)."
  value       = module.results_bucket.id
}

output "raw_table" {
  description = "Fully qualified Glue name of the raw table."
  value       = "${module.catalog.raw_database_name}.${module.catalog.raw_table_name}"
}

output "marts_database" {
  description = "Glue database of the marts (dbt writes them; the API reads the versions it publishes)."
  value       = module.catalog.marts_database_name
}

output "athena_workgroups" {
  description = "Athena workgroups: dbt (the API queries no Athena)."
  value       = { dbt = module.dbt_workgroup.name }
}

output "function_names" {
  description = "Lambda functions: ingest and API (dbt runs on ECS Fargate: dbt_run)."
  value = {
    ingest = module.ingest_function.function_name
    api    = module.api_function.function_name
  }
}

output "lambda_reserved_concurrency" {
  description = "Concurrency each function reserves, and the account quota it needs (Lambda keeps 100 unreserved)."
  value = {
    ingest         = module.ingest_function.reserved_concurrent_executions
    api            = module.api_function.reserved_concurrent_executions
    quota_required = 100 + max(module.ingest_function.reserved_concurrent_executions, 0) + max(module.api_function.reserved_concurrent_executions, 0)
  }
}

output "source_log_group_names" {
  description = "The app's log groups the ingest reads (make smoke writes its synthetic line to the first)."
  value       = var.source_log_group_names
}

output "dbt_run" {
  description = "What `aws ecs run-task` (and make smoke) needs to start a dbt run by hand: cluster, task definition per mode, network, container name."
  value = {
    cluster              = module.dbt_task.cluster_name
    task_definitions     = module.dbt_task.task_definition_arns
    subnets              = aws_subnet.jobs[*].id
    security_groups      = [aws_security_group.dbt_task.id]
    container            = module.dbt_task.container_name
    log_group            = module.dbt_task.log_group_name
    artifacts_bucket     = module.artifacts_bucket.id
    bundle_key           = local.dbt_bundle_key
    outcome_metric_names = module.dbt_task.metric_names
  }
}

output "ingest_schedule" {
  description = "When the ingest runs."
  value       = module.ingest_schedule.schedule_expression
}

output "dbt_schedule" {
  description = "When the dbt build runs: every run builds the models, the tested one runs every data test too."
  value       = module.dbt_task.schedule_expressions
}

output "api_endpoint" {
  description = "Base URL of the API (routes under /v1); the viewer's API setting."
  value       = module.http_api.endpoint
}

output "jwt_claim_names" {
  description = "Claims every token must carry (docs/contracts.md section 4): the principal's level and tenant ids."
  value       = local.jwt_claim_names
}

output "viewer_url" {
  description = "HTTPS URL of the analytics viewer."
  value       = module.viewer_site.url
}

output "viewer_bucket" {
  description = "Bucket to `aws s3 sync` the built viewer into."
  value       = module.viewer_site.bucket_name
}

output "viewer_distribution_id" {
  description = "CloudFront distribution of the viewer (invalidate after publishing)."
  value       = module.viewer_site.distribution_id
}

output "docs_url" {
  description = "HTTPS URL of the dbt docs site, refreshed by every scheduled dbt build."
  value       = module.docs_site.url
}

output "docs_bucket" {
  description = "Bucket of the dbt docs site and run artifacts (runs/<time>/)."
  value       = module.docs_site.bucket_name
}

output "alarm_topic_arn" {
  description = "SNS topic every alarm notifies; subscribe on-call to it."
  value       = aws_sns_topic.alarms.arn
}

output "failed_runs_queue_url" {
  description = "SQS queue of scheduled runs that failed every retry."
  value       = aws_sqs_queue.failures.url
}

output "kms_key_arn" {
  description = "The stack's customer-managed KMS key (rotated yearly)."
  value       = aws_kms_key.this.arn
}
