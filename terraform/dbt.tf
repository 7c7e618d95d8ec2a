# The scheduled dbt build on Athena: reads raw, rebuilds the marts, publishes docs and run
# artifacts to the docs site. The runner raises when dbt fails, so Lambda's Errors metric
# is the dbt-failure signal (alarms.tf).
locals {
  dbt_name = "${var.name}-dbt"

  # Names fixed by docs/contracts.md section 2 and profiles.yml (target athena); tests/terraform
  # checks every env_var() of that target is set here.
  dbt_environment = {
    DBT_ATHENA_S3_STAGING_DIR = "s3://${module.results_bucket.id}/${local.dbt_results_prefix}"
    DBT_ATHENA_S3_DATA_DIR    = "s3://${module.lake_bucket.id}/${local.marts_prefix}"
    DBT_ATHENA_REGION         = local.region
    DBT_ATHENA_SCHEMA         = module.catalog.marts_database_name
    DBT_ATHENA_RAW_SCHEMA     = module.catalog.raw_database_name
    DBT_ATHENA_WORKGROUP      = module.dbt_workgroup.name
    DBT_ATHENA_NUM_RETRIES    = "5"
    DBT_ATHENA_POLL_INTERVAL  = "1.0"
    DBT_TARGET                = "athena"
    DOCS_BUCKET               = module.docs_site.bucket_name
    POWERTOOLS_SERVICE_NAME   = "dbt"
  }
}

data "aws_iam_policy_document" "dbt" {
  source_policy_documents = [data.aws_iam_policy_document.query_results["dbt"].json]

  statement {
    sid       = "RunQueriesInTheDbtWorkgroup"
    actions   = ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults", "athena:StopQueryExecution", "athena:GetWorkGroup", "athena:BatchGetQueryExecution"]
    resources = [module.dbt_workgroup.arn]
  }

  statement {
    sid       = "ReadTheDefaultDataCatalog"
    actions   = ["athena:GetDataCatalog"]
    resources = ["arn:${local.partition}:athena:${local.region}:${local.account_id}:datacatalog/AwsDataCatalog"]
  }

  statement {
    sid       = "ReadTheRawTable"
    actions   = ["glue:GetDatabase", "glue:GetDatabases", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition"]
    resources = concat([local.glue_catalog_arn], local.glue_raw_arns)
  }

  statement {
    sid = "ManageTheMartTables"
    actions = [
      "glue:GetDatabase", "glue:GetDatabases", "glue:GetTable", "glue:GetTables", "glue:CreateTable",
      "glue:UpdateTable", "glue:DeleteTable", "glue:BatchDeleteTable", "glue:GetTableVersions",
      "glue:DeleteTableVersion", "glue:BatchDeleteTableVersion", "glue:GetPartition", "glue:GetPartitions",
      "glue:BatchGetPartition", "glue:CreatePartition", "glue:BatchCreatePartition", "glue:UpdatePartition",
      "glue:DeletePartition", "glue:BatchDeletePartition",
    ]
    resources = concat([local.glue_catalog_arn], local.glue_marts_arns)
  }

  statement {
    sid       = "ReadRaw"
    actions   = ["s3:GetObject"]
    resources = ["${local.lake_arn}/${local.raw_prefix}*"]
  }

  statement {
    sid       = "WriteTheMarts"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = ["${local.lake_arn}/${local.marts_prefix}*"]
  }

  statement {
    sid       = "ListRawAndMarts"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [local.lake_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.raw_prefix}*", "${local.marts_prefix}*"]
    }
  }

  statement {
    sid       = "PublishDocs"
    actions   = ["s3:PutObject"]
    resources = ["${module.docs_site.bucket_arn}/*"]
  }
}

module "dbt_function" {
  source = "./modules/lambda_function"

  name                           = local.dbt_name
  description                    = "Runs dbt build --target athena and publishes docs and run artifacts."
  package_path                   = local.package["dbt_runner"]
  handler                        = "dbt_runner.handler.handler"
  architecture                   = var.lambda_architecture
  memory_size                    = var.dbt_memory_size
  timeout                        = 900
  reserved_concurrent_executions = 1
  maximum_retry_attempts         = 0
  environment                    = local.dbt_environment
  kms_key_arn                    = aws_kms_key.this.arn
  log_retention_days             = var.log_retention_days
  policy_json                    = data.aws_iam_policy_document.dbt.json
  failure_queue_arn              = aws_sqs_queue.failures.arn
}

# Hourly (by default): models only; daily: models and every data test. Data tests scan their
# columns over all history, so running them every hour dominates the Athena bill (cost/model.py).
module "dbt_schedule" {
  source = "./modules/schedule"

  name                  = local.dbt_name
  description           = "Runs dbt build on Athena (data tests only if dbt_data_tests_every_run)."
  schedule_expression   = var.dbt_schedule_expression
  function_arn          = module.dbt_function.function_arn
  input                 = jsonencode({ data_tests = var.dbt_data_tests_every_run })
  kms_key_arn           = aws_kms_key.this.arn
  dead_letter_queue_arn = aws_sqs_queue.failures.arn
}

module "dbt_tested_schedule" {
  source = "./modules/schedule"

  name                  = "${local.dbt_name}-tested"
  description           = "Runs dbt build on Athena with every data test."
  schedule_expression   = var.dbt_tested_schedule_expression
  function_arn          = module.dbt_function.function_arn
  input                 = jsonencode({ data_tests = true })
  kms_key_arn           = aws_kms_key.this.arn
  dead_letter_queue_arn = aws_sqs_queue.failures.arn
}
