# The scheduled dbt build on Athena, as an ECS Fargate task (docs/adr/0005-where-dbt-runs.md):
# a run may take hours (a full refresh, a backfill, the daily tested build at scale), which
# Lambda's 15 minutes cannot hold. The task runs a public Python image (AWS's Lambda Python 3.11
# base image: the same runtime and boto3 the bundle is built for) and fetches the runner bundle
# (build/dbt_runner.zip from `make package`) from S3, so no private image is built or pushed.
locals {
  dbt_name = "${var.name}-dbt"

  # Content-addressed: a task started while a new bundle uploads still reads a whole one.
  dbt_bundle_key = "dbt_runner/${filesha256(local.package["dbt_runner"])}.zip"

  # Names fixed by docs/contracts.md section 2 and profiles.yml (target athena); tests/terraform
  # checks every env_var() of that target, and every name the runner reads, is set here.
  dbt_environment = {
    BUNDLE_BUCKET             = module.artifacts_bucket.id
    BUNDLE_KEY                = local.dbt_bundle_key
    DBT_ATHENA_S3_STAGING_DIR = "s3://${module.results_bucket.id}/${local.dbt_results_prefix}"
    DBT_ATHENA_S3_DATA_DIR    = "s3://${module.lake_bucket.id}/${local.marts_prefix}"
    DBT_ATHENA_REGION         = local.region
    DBT_ATHENA_SCHEMA         = module.catalog.marts_database_name
    DBT_ATHENA_RAW_SCHEMA     = module.catalog.raw_database_name
    DBT_ATHENA_WORKGROUP      = module.dbt_workgroup.name
    DBT_ATHENA_NUM_RETRIES    = "5"
    DBT_ATHENA_POLL_INTERVAL  = "1.0"
    DBT_TARGET                = "athena"
    DBT_RUN_TIMEOUT_HOURS     = tostring(var.dbt_task.timeout_hours)
    DOCS_BUCKET               = module.docs_site.bucket_name
    HOME                      = "/tmp"
    POWERTOOLS_SERVICE_NAME   = "dbt"
  }
}

module "artifacts_bucket" {
  source = "./modules/s3_bucket"

  name        = "${var.name}-artifacts-${local.account_id}"
  kms_key_arn = aws_kms_key.this.arn
  versioning  = true
  expiration_rules = [
    # Bundles are content-addressed; an old one is only needed by a task that is still starting.
    { id = "expire-old-bundles", prefix = "dbt_runner/", days = 30 },
  ]
}

resource "aws_s3_object" "dbt_bundle" {
  bucket      = module.artifacts_bucket.id
  key         = local.dbt_bundle_key
  source      = local.package["dbt_runner"]
  source_hash = filebase64sha256(local.package["dbt_runner"])
  kms_key_id  = aws_kms_key.this.arn
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

  # GetBucketLocation carries no s3:prefix: a condition on it would never match.
  statement {
    sid       = "LocateTheLake"
    actions   = ["s3:GetBucketLocation"]
    resources = [local.lake_arn]
  }

  statement {
    sid       = "ListRawAndMarts"
    actions   = ["s3:ListBucket"]
    resources = [local.lake_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.raw_prefix}*", "${local.marts_prefix}*"]
    }
  }

  # The docs site, the run artifacts under runs/ and the run lock (runs/lock.json).
  statement {
    sid       = "PublishDocsAndHoldTheRunLock"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${module.docs_site.bucket_arn}/*"]
  }

  # The stack key (the bundle, the lake, the docs) comes with query_results["dbt"] above.
  statement {
    sid       = "FetchTheRunnerBundle"
    actions   = ["s3:GetObject"]
    resources = ["${module.artifacts_bucket.arn}/dbt_runner/*"]
  }
}

# Hourly (by default): models only; daily: models and every data test. Data tests scan their
# columns over all history, so running them every hour dominates the Athena bill (cost/model.py).
module "dbt_task" {
  source = "./modules/scheduled_task"

  name           = local.dbt_name
  image          = var.dbt_task.image
  container_name = "dbt"
  # The bootstrap fetches and unpacks the bundle, then runs `python -m dbt_runner`; a manual run
  # appends runner arguments as the container's command (docs/runbook.md).
  entry_point           = ["python3", "-c", file("${path.module}/../dbt_runner/bootstrap.py")]
  architecture          = var.lambda_architecture
  cpu                   = var.dbt_task.cpu
  memory                = var.dbt_task.memory
  environment           = local.dbt_environment
  task_policy_json      = data.aws_iam_policy_document.dbt.json
  subnet_ids            = aws_subnet.jobs[*].id
  security_group_ids    = [aws_security_group.dbt_task.id]
  kms_key_arn           = aws_kms_key.this.arn
  log_retention_days    = var.log_retention_days
  dead_letter_queue_arn = aws_sqs_queue.failures.arn
  finished_message      = "dbt build finished"
  metric_namespace      = "RequestAnalytics"
  metric_prefix         = "Dbt"

  runs = {
    build = {
      description         = "Runs dbt build on Athena (data tests only if dbt_data_tests_every_run)."
      schedule_expression = var.dbt_schedule_expression
      environment         = { DBT_DATA_TESTS = tostring(var.dbt_data_tests_every_run) }
    }
    tested = {
      description         = "Runs dbt build on Athena with every data test."
      schedule_expression = var.dbt_tested_schedule_expression
      environment         = { DBT_DATA_TESTS = "true" }
    }
  }

  depends_on = [aws_s3_object.dbt_bundle, aws_route_table_association.jobs]
}
