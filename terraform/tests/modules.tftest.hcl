# The small modules planned alone with a mocked AWS provider: the settings whose values the root
# cannot see (its assertions reach only module outputs).
mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-2" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

# The dbt workgroup as the root declares it (terraform/main.tf, module "dbt_workgroup").
run "workgroup_enforces_its_settings" {
  command = plan

  module {
    source = "./modules/athena_workgroup"
  }

  variables {
    name                           = "request-analytics-dbt"
    description                    = "The scheduled dbt build: reads raw, writes the marts."
    output_location                = "s3://results/dbt/"
    kms_key_arn                    = "arn:aws:kms:eu-west-2:123456789012:key/test"
    bytes_scanned_cutoff_per_query = 107374182400
  }

  assert {
    condition     = aws_athena_workgroup.this.configuration[0].enforce_workgroup_configuration
    error_message = "Clients must not override the workgroup's settings."
  }
  assert {
    condition     = aws_athena_workgroup.this.configuration[0].bytes_scanned_cutoff_per_query == 107374182400
    error_message = "Every query is capped in bytes scanned."
  }
  assert {
    condition     = aws_athena_workgroup.this.configuration[0].engine_version[0].selected_engine_version == "Athena engine version 3"
    error_message = "The dbt project targets Athena engine v3 (Trino SQL)."
  }
  assert {
    condition = (
      aws_athena_workgroup.this.configuration[0].result_configuration[0].output_location == "s3://results/dbt/" &&
      aws_athena_workgroup.this.configuration[0].result_configuration[0].encryption_configuration[0].encryption_option == "SSE_KMS"
    )
    error_message = "Results land in the workgroup's prefix, encrypted with the stack key."
  }
}

run "openapi_document_and_health_are_public_everything_else_needs_a_token" {
  command = plan

  module {
    source = "./modules/http_api"
  }

  variables {
    name                 = "request-analytics-api"
    function_name        = "request-analytics-api"
    function_invoke_arn  = "arn:aws:apigateway:eu-west-2:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-2:123456789012:function:request-analytics-api/invocations"
    jwt_issuer           = "https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_EXAMPLE"
    jwt_audience         = ["1example23456789"]
    cors_allowed_origins = ["https://viewer.example.com"]
    kms_key_arn          = "arn:aws:kms:eu-west-2:123456789012:key/test"
    log_retention_days   = 30
  }

  assert {
    condition     = aws_apigatewayv2_route.public["GET /v1/openapi.json"].authorization_type == "NONE"
    error_message = "The OpenAPI document is public (Contract 3)."
  }
  assert {
    condition     = aws_apigatewayv2_route.public["GET /v1/health"].authorization_type == "NONE"
    error_message = "Health is public."
  }
  assert {
    condition     = aws_apigatewayv2_route.protected["GET /v1/{proxy+}"].authorization_type == "JWT"
    error_message = "Every other route is behind the JWT authorizer."
  }
}

run "scheduled_task_is_read_only_and_runs_each_mode_on_fargate" {
  command = plan

  module {
    source = "./modules/scheduled_task"
  }

  variables {
    name                  = "request-analytics-dbt"
    image                 = "public.ecr.aws/lambda/python:3.11"
    entry_point           = ["python3", "-c", "print('bootstrap')"]
    container_name        = "dbt"
    environment           = { DBT_TARGET = "athena", DBT_DATA_TESTS = "false" }
    task_policy_json      = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    subnet_ids            = ["subnet-1", "subnet-2"]
    security_group_ids    = ["sg-1"]
    kms_key_arn           = "arn:aws:kms:eu-west-2:123456789012:key/test"
    log_retention_days    = 30
    dead_letter_queue_arn = "arn:aws:sqs:eu-west-2:123456789012:failed-runs"
    finished_message      = "dbt build finished"
    metric_namespace      = "RequestAnalytics"
    metric_prefix         = "Dbt"
    runs = {
      build  = { description = "hourly", schedule_expression = "rate(1 hour)" }
      tested = { description = "daily", schedule_expression = "cron(30 2 * * ? *)", environment = { DBT_DATA_TESTS = "true" } }
    }
  }

  assert {
    condition     = alltrue([for t in aws_ecs_task_definition.this : jsondecode(t.container_definitions)[0].readonlyRootFilesystem])
    error_message = "The container's root file system is read-only."
  }
  assert {
    condition = (
      { for e in jsondecode(aws_ecs_task_definition.this["tested"].container_definitions)[0].environment : e.name => e.value }["DBT_DATA_TESTS"] == "true" &&
      { for e in jsondecode(aws_ecs_task_definition.this["build"].container_definitions)[0].environment : e.name => e.value }["DBT_DATA_TESTS"] == "false"
    )
    error_message = "Each mode's environment is merged over the shared one."
  }
  assert {
    condition     = alltrue([for t in aws_ecs_task_definition.this : t.runtime_platform[0].cpu_architecture == "ARM64"])
    error_message = "The task runs on the architecture the bundle was built for."
  }
  assert {
    condition     = alltrue([for s in aws_scheduler_schedule.this : s.target[0].ecs_parameters[0].launch_type == "FARGATE"])
    error_message = "Schedules start Fargate tasks."
  }
  assert {
    condition     = aws_cloudwatch_log_metric_filter.outcome["Failed"].pattern == "{ ($.message = \"dbt build finished\") && ($.success IS false) }"
    error_message = "The failure metric counts the runner's finished line with success false."
  }
}
