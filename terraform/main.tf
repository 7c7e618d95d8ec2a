# Root module: the whole request-analytics stack. Each concern lives in its own file:
# storage and catalog here, then ingest.tf, dbt.tf, api.tf, sites.tf, alarms.tf.
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  # One underscore-only spelling for Glue and Athena, which reject hyphens in database names.
  db_prefix           = replace(var.name, "-", "_")
  raw_database_name   = "${local.db_prefix}_raw"
  marts_database_name = "${local.db_prefix}_marts"

  # Lake layout (DESIGN.md, Contract 2): what each function may touch is granted by these prefixes.
  raw_prefix        = "raw/"
  quarantine_prefix = "quarantine/"
  state_prefix      = "_state/"
  marts_prefix      = "marts/"

  dbt_results_prefix = "dbt/"

  glue_catalog_arn = "arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog"
  glue_raw_arns = [
    "arn:${local.partition}:glue:${local.region}:${local.account_id}:database/${local.raw_database_name}",
    "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${local.raw_database_name}/*",
  ]
  glue_marts_arns = [
    "arn:${local.partition}:glue:${local.region}:${local.account_id}:database/${local.marts_database_name}",
    "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${local.marts_database_name}/*",
  ]

  package = {
    for function in ["ingest_lambda", "api_lambda", "dbt_runner"] :
    function => "${path.root}/${var.package_dir}/${function}.zip"
  }
}

# --- encryption ------------------------------------------------------------------------------

# The key carries its full policy from creation: a separate aws_kms_key_policy would let the log
# groups (which CloudWatch Logs checks against the policy when they are created) race it.
resource "aws_kms_key" "this" {
  description             = "${var.name}: lake, results, sites, logs, queues, alarms and function settings."
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.key.json
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}

data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_111:In a key policy "*" is the key itself; writes are limited to this account, named services and source ARNs.
  #checkov:skip=CKV_AWS_356:In a key policy "*" is the key itself, not every resource.
  #checkov:skip=CKV_AWS_109:In a key policy "*" is the key itself; only this account's IAM administers it.
  statement {
    sid = "AccountAdministersAndDelegatesThroughIam"
    actions = [
      "kms:CancelKeyDeletion", "kms:CreateAlias", "kms:CreateGrant", "kms:Decrypt", "kms:DeleteAlias",
      "kms:DescribeKey", "kms:DisableKey", "kms:DisableKeyRotation", "kms:EnableKey", "kms:EnableKeyRotation",
      "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:GetKeyPolicy",
      "kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListGrants", "kms:ListKeyPolicies",
      "kms:ListKeyRotations", "kms:ListResourceTags", "kms:PutKeyPolicy", "kms:ReEncryptFrom",
      "kms:ReEncryptTo", "kms:RetireGrant", "kms:RevokeGrant", "kms:RotateKeyOnDemand",
      "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource", "kms:UpdateAlias",
      "kms:UpdateKeyDescription",
    ]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  # No kms:DescribeKey here: it carries no encryption context, so under this condition it would
  # never be granted (tests/terraform/test_iam_lint.py).
  statement {
    sid       = "CloudWatchLogsEncryptsThisStacksLogGroups"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values = [
        "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/${var.name}-*",
        "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/apigateway/${var.name}-*",
        "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/ecs/${var.name}-*",
      ]
    }
  }

  # Scoped to this account's distributions by pattern, not by their ARNs: naming the distributions
  # would make the key policy wait for them, and every user of the key (log groups first) must
  # instead come after the key's full policy (tests/terraform/test_dependencies.py).
  statement {
    sid       = "CloudFrontReadsTheSites"
    actions   = ["kms:Decrypt"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "AWS:SourceArn"
      values   = ["arn:${local.partition}:cloudfront::${local.account_id}:distribution/*"]
    }
  }

  statement {
    sid       = "CloudWatchAlarmsPublishToTheEncryptedTopic"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

# --- storage ---------------------------------------------------------------------------------

module "lake_bucket" {
  source = "./modules/s3_bucket"

  name        = "${var.name}-lake-${local.account_id}"
  kms_key_arn = aws_kms_key.this.arn
  versioning  = true
  expiration_rules = [
    { id = "expire-quarantine", prefix = local.quarantine_prefix, days = var.quarantine_expiration_days },
    # Iceberg snapshot expiry (maintain_tables) deletes the files no snapshot keeps: their
    # noncurrent versions go a day later.
    { id = "expire-replaced-marts", prefix = local.marts_prefix, noncurrent_days = 1 },
  ]
}

module "results_bucket" {
  source = "./modules/s3_bucket"

  name                               = "${var.name}-athena-results-${local.account_id}"
  kms_key_arn                        = aws_kms_key.this.arn
  versioning                         = true
  noncurrent_version_expiration_days = 1
  expiration_rules = [
    { id = "expire-query-results", prefix = "", days = var.athena_results_expiration_days },
  ]
}

# --- catalog and query engines ----------------------------------------------------------------

module "catalog" {
  source = "./modules/glue_catalog"

  raw_database_name   = local.raw_database_name
  marts_database_name = local.marts_database_name
  lake_bucket         = module.lake_bucket.id
  raw_prefix          = "${local.raw_prefix}request_events/"
}

module "dbt_workgroup" {
  source = "./modules/athena_workgroup"

  name                           = "${var.name}-dbt"
  description                    = "The scheduled dbt build: reads raw, writes the marts."
  output_location                = "s3://${module.results_bucket.id}/${local.dbt_results_prefix}"
  kms_key_arn                    = aws_kms_key.this.arn
  bytes_scanned_cutoff_per_query = var.dbt_bytes_scanned_cutoff
  # dbt's CTAS name their location (DBT_ATHENA_S3_DATA_DIR): an enforcing workgroup rejects
  # that, and dbt-athena then omits it, landing tables under the expiring results prefix. The moto gate (tests/dbt/test_athena_gate.py) applies these settings.
  enforce_workgroup_configuration = false
}

# Athena writes and reads query results with the caller's credentials: the callers of each
# workgroup get its results prefix only, and the stack key that encrypts them.
data "aws_iam_policy_document" "query_results" {
  for_each = { dbt = local.dbt_results_prefix }

  statement {
    sid       = "OwnQueryResults"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
    resources = ["${module.results_bucket.arn}/${each.value}*"]
  }

  # GetBucketLocation never carries s3:prefix, so under that condition it would never be granted;
  # Athena calls it with the caller's credentials to check the output location.
  statement {
    sid       = "LocateResultsBucket"
    actions   = ["s3:GetBucketLocation"]
    resources = [module.results_bucket.arn]
  }

  statement {
    sid       = "ListOwnQueryResults"
    actions   = ["s3:ListBucket"]
    resources = [module.results_bucket.arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${each.value}*"]
    }
  }

  statement {
    sid       = "UseTheStackKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.this.arn]
  }
}

# --- failures --------------------------------------------------------------------------------

# Scheduled runs that failed every retry, and schedules that could not invoke their function,
# land here; the alarm in alarms.tf fires on the first message.
resource "aws_sqs_queue" "failures" {
  name                              = "${var.name}-failed-runs"
  kms_master_key_id                 = aws_kms_key.this.arn
  kms_data_key_reuse_period_seconds = 3600
  message_retention_seconds         = 1209600
}

data "aws_iam_policy_document" "failures" {
  statement {
    sid       = "SchedulerDeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.failures.arn]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_sqs_queue_policy" "failures" {
  queue_url = aws_sqs_queue.failures.id
  policy    = data.aws_iam_policy_document.failures.json
}
