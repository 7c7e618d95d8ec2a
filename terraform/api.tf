# The API: reads the marts only, through its own Athena workgroup, behind an HTTP API whose JWT
# authorizer checks issuer and audience. The principal comes from the token's claims below.
locals {
  api_name = "${var.name}-api"

  # docs/contracts.md section 4: the IdP puts these claims in every token; the API reads them from
  # requestContext.authorizer.jwt.claims. tests/terraform checks they match api_lambda.
  jwt_claim_names = ["analytics:level", "analytics:client_id", "analytics:reseller_id", "analytics:user_id"]

  api_environment = {
    API_BACKEND                  = "athena"
    ATHENA_WORKGROUP             = module.api_workgroup.name
    ATHENA_DATABASE              = module.catalog.marts_database_name
    ATHENA_RESULT_REUSE_MINUTES  = tostring(var.api_settings.result_reuse_minutes)
    ATHENA_QUERY_TIMEOUT_SECONDS = tostring(var.api_settings.query_timeout_seconds)
    API_REQUEST_BUDGET_SECONDS   = tostring(var.api_settings.request_budget_seconds)
    CURSOR_SECRET                = var.cursor_secret
    POWERTOOLS_SERVICE_NAME      = "api"
    POWERTOOLS_METRICS_NAMESPACE = "RequestAnalytics"
  }
}

data "aws_iam_policy_document" "api" {
  source_policy_documents = [data.aws_iam_policy_document.query_results["api"].json]

  statement {
    sid       = "QueryInTheApiWorkgroupOnly"
    actions   = ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults", "athena:StopQueryExecution", "athena:GetWorkGroup"]
    resources = [module.api_workgroup.arn]
  }

  statement {
    sid       = "ReadTheMartTablesOnly"
    actions   = ["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition"]
    resources = concat([local.glue_catalog_arn], local.glue_marts_arns)
  }

  statement {
    sid       = "ReadTheMartsPrefixOnly"
    actions   = ["s3:GetObject"]
    resources = ["${local.lake_arn}/${local.marts_prefix}*"]
  }

  statement {
    sid       = "LocateTheLake"
    actions   = ["s3:GetBucketLocation"]
    resources = [local.lake_arn]
  }

  statement {
    sid       = "ListTheMartsPrefixOnly"
    actions   = ["s3:ListBucket"]
    resources = [local.lake_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.marts_prefix}*"]
    }
  }
}

module "api_function" {
  source = "./modules/lambda_function"

  name                           = local.api_name
  description                    = "Serves the tenant-scoped analytics API over the marts."
  package_path                   = local.package["api_lambda"]
  handler                        = "api_lambda.handler.handler"
  architecture                   = var.lambda_architecture
  memory_size                    = var.api_settings.memory_size
  timeout                        = 30
  reserved_concurrent_executions = var.api_settings.reserved_concurrency
  environment                    = local.api_environment
  kms_key_arn                    = aws_kms_key.this.arn
  log_retention_days             = var.log_retention_days
  policy_json                    = data.aws_iam_policy_document.api.json
}

module "http_api" {
  source = "./modules/http_api"

  name                = local.api_name
  function_name       = module.api_function.function_name
  function_invoke_arn = module.api_function.invoke_arn
  jwt_issuer          = var.jwt_issuer
  jwt_audience        = var.jwt_audience
  # The routes api_lambda serves without a token (tests/terraform checks they are the same set).
  public_routes          = ["GET /v1/health", "GET /v1/openapi.json"]
  protected_routes       = ["GET /v1/{proxy+}"]
  cors_allowed_origins   = concat([module.viewer_site.url], var.viewer_origins)
  throttling_rate_limit  = var.api_throttling.rate_limit
  throttling_burst_limit = var.api_throttling.burst_limit
  kms_key_arn            = aws_kms_key.this.arn
  log_retention_days     = var.log_retention_days
}
