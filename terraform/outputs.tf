output "lake_bucket" {
  description = "Bucket of the lake (raw/, quarantine/, _state/, marts/)."
  value       = module.lake_bucket.id
}

output "athena_results_bucket" {
  description = "Bucket of Athena query results (dbt/ and api/ prefixes)."
  value       = module.results_bucket.id
}

output "raw_table" {
  description = "Fully qualified Glue name of the raw table."
  value       = "${module.catalog.raw_database_name}.${module.catalog.raw_table_name}"
}

output "marts_database" {
  description = "Glue database of the marts (the API's ATHENA_DATABASE)."
  value       = module.catalog.marts_database_name
}

output "athena_workgroups" {
  description = "Athena workgroups: dbt and api."
  value       = { dbt = module.dbt_workgroup.name, api = module.api_workgroup.name }
}

output "function_names" {
  description = "Lambda functions: ingest, dbt runner, API."
  value = {
    ingest = module.ingest_function.function_name
    dbt    = module.dbt_function.function_name
    api    = module.api_function.function_name
  }
}

output "ingest_schedule" {
  description = "When the ingest runs."
  value       = module.ingest_schedule.schedule_expression
}

output "dbt_schedule" {
  description = "When the dbt build runs: every run builds the models, the tested one runs every data test too."
  value       = { build = module.dbt_schedule.schedule_expression, tested = module.dbt_tested_schedule.schedule_expression }
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
