variable "name" {
  description = "Prefix of every resource name (lower-case, e.g. `request-analytics` or `ra-prod`)."
  type        = string
  default     = "request-analytics"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name))
    error_message = "Use 3-32 lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "region" {
  description = "AWS region of the stack (the app's CloudWatch log groups must be in it)."
  type        = string
  default     = "eu-west-2"
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "package_dir" {
  description = "Folder holding the zips `make package` builds (relative to this module)."
  type        = string
  default     = "../build"
}

variable "lambda_architecture" {
  description = "Architecture the packages were built for (`make package ARCH=...`)."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "Use arm64 or x86_64."
  }
}

variable "log_retention_days" {
  description = "Days every log group (functions, API access logs) keeps events."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "Use a retention period CloudWatch Logs accepts (e.g. 30, 90, 365)."
  }
}

# --- ingest ---

variable "source_log_group_names" {
  description = "CloudWatch log groups of the app that the ingest reads (LOG_GROUP_NAMES); its role may read these only."
  type        = list(string)

  validation {
    condition     = length(var.source_log_group_names) > 0 && alltrue([for name in var.source_log_group_names : !strcontains(name, ",") && !strcontains(name, "*")])
    error_message = "Name at least one log group, exactly (no commas or wildcards)."
  }
}

variable "ingest_settings" {
  description = "Checkpoint window and validation bounds of the ingest (docs/contracts.md section 2)."
  type = object({
    filter_pattern      = optional(string, "{ $.message = \"analytics.request\" }")
    overlap_minutes     = optional(number, 15)
    settle_lag_minutes  = optional(number, 2)
    max_window_minutes  = optional(number, 360)
    initial_lookback    = optional(number, 60)
    max_event_age_days  = optional(number, 14)
    max_future_minutes  = optional(number, 60)
    max_line_bytes      = optional(number, 262144)
    part_max_bytes      = optional(number, 67108864)
    cloudwatch_max_tps  = optional(number, 5)
    memory_size         = optional(number, 1024)
    timeout_seconds     = optional(number, 600)
    lag_alarm_threshold = optional(number, 3600)
  })
  default = {}

  validation {
    condition     = var.ingest_settings.timeout_seconds <= 600
    error_message = "An ingest run must finish within its 10-minute schedule (timeout_seconds <= 600)."
  }
}

variable "quarantine_expiration_days" {
  description = "Days quarantined lines are kept under quarantine/ before they expire."
  type        = number
  default     = 90

  validation {
    condition     = var.quarantine_expiration_days >= 1
    error_message = "Keep quarantined lines at least a day."
  }
}

# --- dbt ---

variable "dbt_schedule_expression" {
  description = "When the scheduled `dbt build --target athena` runs (EventBridge Scheduler expression)."
  type        = string
  default     = "rate(1 hour)"

  validation {
    condition     = can(regex("^(rate|cron)\\(.+\\)$", var.dbt_schedule_expression))
    error_message = "Use rate(...) or cron(...)."
  }
}

variable "dbt_data_tests_every_run" {
  description = "Run the data tests in every scheduled build too (they scan whole columns over all history on each run)."
  type        = bool
  default     = false
}

variable "dbt_tested_schedule_expression" {
  description = "When the dbt build with every data test runs (daily by default, 02:30 UTC)."
  type        = string
  default     = "cron(30 2 * * ? *)"

  validation {
    condition     = can(regex("^(rate|cron)\\(.+\\)$", var.dbt_tested_schedule_expression))
    error_message = "Use rate(...) or cron(...)."
  }
}

variable "dbt_task" {
  description = "The dbt task on ECS Fargate: public image (the bundle is built for its runtime), size, and the hours after which a run stops itself."
  type = object({
    image         = optional(string, "public.ecr.aws/lambda/python:3.11")
    cpu           = optional(number, 1024)
    memory        = optional(number, 4096)
    timeout_hours = optional(number, 6)
  })
  default = {}

  validation {
    condition     = var.dbt_task.timeout_hours >= 1 && var.dbt_task.timeout_hours <= 24
    error_message = "A run may take 1 to 24 hours (a longer backfill: run it in slices, docs/runbook.md)."
  }
}

variable "jobs_vpc_cidr" {
  description = "CIDR of the small VPC the dbt task runs in (two public subnets, no inbound traffic)."
  type        = string
  default     = "10.42.0.0/24"

  validation {
    condition     = can(cidrsubnet(var.jobs_vpc_cidr, 4, 1))
    error_message = "Give an IPv4 CIDR of /24 or larger (two /28 subnets are cut from it)."
  }
}

variable "dbt_bytes_scanned_cutoff" {
  description = "Bytes one dbt query may scan before Athena cancels it."
  type        = number
  default     = 107374182400
}

# --- API ---

variable "jwt_issuer" {
  description = "Issuer URL (`iss`) of the identity provider that signs the API's tokens, e.g. https://cognito-idp.<region>.amazonaws.com/<pool id>."
  type        = string

  validation {
    condition     = startswith(var.jwt_issuer, "https://")
    error_message = "The issuer is an https:// URL."
  }
}

variable "jwt_audience" {
  description = "Accepted audiences (`aud`, or `client_id` for Cognito access tokens)."
  type        = list(string)
}

variable "api_throttling" {
  description = "Stage-wide throttling of the HTTP API."
  type = object({
    rate_limit  = optional(number, 50)
    burst_limit = optional(number, 100)
  })
  default = {}
}

variable "api_settings" {
  description = "Settings of the API function (docs/contracts.md section 2, docs/serving.md)."
  type = object({
    # A newer published version of the marts is served at most this long after its publish.
    pointer_refresh_seconds = optional(number, 30)
    # All of one request's work (every query); past it the API answers 503 with Retry-After.
    request_budget_seconds = optional(number, 20)
    # DuckDB caches the marts' files in memory; memory also buys the function its CPU share.
    memory_size           = optional(number, 1024)
    reserved_concurrency  = optional(number, 20) # -1: none (an account quota of 10, docs/deploy.md)
    error_alarm_threshold = optional(number, 5)
  })
  default = {}

  validation {
    condition     = var.api_settings.pointer_refresh_seconds >= 1 && var.api_settings.pointer_refresh_seconds <= 60
    error_message = "A published version must be served within a minute: pointer_refresh_seconds is 1 to 60."
  }

  validation {
    condition     = var.api_settings.request_budget_seconds >= 0.1 && var.api_settings.request_budget_seconds <= 28
    error_message = "API Gateway waits 29 s at most; keep the request budget between 0.1 and 28 s."
  }

  validation {
    condition     = var.api_settings.reserved_concurrency == -1 || var.api_settings.reserved_concurrency >= 1
    error_message = "Reserve at least 1 concurrent execution for the API, or -1 for none."
  }
}

variable "cursor_secret" {
  description = "HMAC key of the API's paging cursors (CURSOR_SECRET), shared by every API container. Generate once (`openssl rand -base64 48`) and pass it as TF_VAR_cursor_secret or from a secret store; it is kept in the state and in the function's KMS-encrypted settings. A new value rotates it (open cursors then stop verifying)."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.cursor_secret) >= 32
    error_message = "Use at least 32 characters of random text (e.g. `openssl rand -base64 48`)."
  }
}

variable "viewer_origins" {
  description = "Extra browser origins allowed by CORS (e.g. a custom domain of the viewer); the viewer's CloudFront URL is always allowed."
  type        = list(string)
  default     = []
}

# --- results, alarms ---

variable "athena_results_expiration_days" {
  description = "Days Athena query results are kept."
  type        = number
  default     = 7

  validation {
    condition     = var.athena_results_expiration_days >= 1 && var.athena_results_expiration_days <= 30
    error_message = "Keep query results 1 to 30 days."
  }
}

variable "alarm_email" {
  description = "Email address subscribed to the alarm topic (null: subscribe later)."
  type        = string
  default     = null
}
