# The API: DuckDB in the Lambda reads the Iceberg marts on S3 (the versions the last successful dbt
# run published in the serving pointer, docs/serving.md), behind an HTTP API whose JWT authorizer
# checks issuer and audience. The principal comes from the token's claims below. No Athena.
locals {
  api_name = "${var.name}-api"

  # docs/contracts.md section 4: the IdP puts these claims in every token; the API reads them from
  # requestContext.authorizer.jwt.claims. tests/terraform checks they match api_lambda.
  jwt_claim_names = ["analytics:level", "analytics:client_id", "analytics:reseller_id", "analytics:user_id"]

  # serving/pointer.py: the dbt runner writes it under the marts prefix after a successful build.
  serving_pointer_key = "${local.marts_prefix}_serving/current.json"

  api_environment = {
    API_MARTS_POINTER            = "s3://${module.lake_bucket.id}/${local.serving_pointer_key}"
    API_POINTER_REFRESH_SECONDS  = tostring(var.api_settings.pointer_refresh_seconds)
    API_REQUEST_BUDGET_SECONDS   = tostring(var.api_settings.request_budget_seconds)
    CURSOR_SECRET                = var.cursor_secret
    POWERTOOLS_SERVICE_NAME      = "api"
    POWERTOOLS_METRICS_NAMESPACE = "RequestAnalytics"
  }
}

# DuckDB reads the pointer, then the metadata, manifests and data files it names: GET (and HEAD,
# which GetObject allows) under the marts prefix, nothing else. The objects' KMS key is granted by
# the function module (kms:Decrypt on the stack key).
data "aws_iam_policy_document" "api" {
  statement {
    sid       = "ReadTheMartsPrefixOnly"
    actions   = ["s3:GetObject"]
    resources = ["${local.lake_arn}/${local.marts_prefix}*"]
  }
}

module "api_function" {
  source = "./modules/lambda_function"

  name         = local.api_name
  description  = "Serves the tenant-scoped analytics API over the marts."
  package_path = local.package["api_lambda"]
  handler      = "api_lambda.handler.handler"
  # Amazon Linux 2023's glibc: DuckDB's httpfs and iceberg extensions need 2.28 (packaging checks it).
  runtime                        = "python3.12"
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
