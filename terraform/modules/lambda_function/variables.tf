variable "name" {
  description = "Function name; also names its role and its log group."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.name))
    error_message = "A function name is 1-64 letters, digits, hyphens or underscores."
  }
}

variable "description" {
  description = "What the function does."
  type        = string
}

variable "package_path" {
  description = "Path of the deployment zip built by `make package` (build/<name>.zip)."
  type        = string
}

variable "handler" {
  description = "Module path and function of the entry point, e.g. `ingest_lambda.handler.handler`."
  type        = string
}

variable "runtime" {
  description = "Lambda runtime the package was built for."
  type        = string
  default     = "python3.11"

  validation {
    condition     = contains(["python3.11", "python3.12"], var.runtime)
    error_message = "Packages are built for python3.11 or python3.12 (packaging/build_lambdas.py: the API's DuckDB extensions need python3.12's glibc)."
  }
}

variable "architecture" {
  description = "Instruction set the package's wheels were built for."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "Architecture is arm64 or x86_64."
  }
}

variable "memory_size" {
  description = "Memory in MB (CPU scales with it)."
  type        = number
  default     = 512

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "Memory is 128 to 10240 MB."
  }
}

variable "timeout" {
  description = "Seconds one invocation may run."
  type        = number
  default     = 60

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900
    error_message = "Timeout is 1 to 900 seconds."
  }
}

variable "reserved_concurrent_executions" {
  description = "Concurrent executions reserved for (and capping) the function; -1 reserves none. Every reservation needs the account's concurrency quota to stay 100 above the reserved sum."
  type        = number
  default     = -1

  validation {
    condition     = var.reserved_concurrent_executions == -1 || var.reserved_concurrent_executions >= 1
    error_message = "Reserve at least 1, or -1 for none (0 would throttle every invocation)."
  }
}

variable "environment" {
  description = "Environment variables (the settings the code reads; names fixed by docs/contracts.md section 2)."
  type        = map(string)
  default     = {}
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for the environment variables and the log group."
  type        = string
}

variable "log_retention_days" {
  description = "Days the function's log group keeps events."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "Use a retention period CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)."
  }
}

variable "policy_json" {
  description = "The function's own least-privilege IAM policy (JSON); writing its logs and reaching its failure queue are added here."
  type        = string
}

variable "failure_queue_arn" {
  description = "SQS queue that receives asynchronous invocations which failed every retry (null for synchronous-only functions)."
  type        = string
  default     = null
}

variable "maximum_retry_attempts" {
  description = "Retries of a failed asynchronous invocation before it goes to the failure queue."
  type        = number
  default     = 2

  validation {
    condition     = contains([0, 1, 2], var.maximum_retry_attempts)
    error_message = "Lambda retries an asynchronous invocation 0, 1 or 2 times."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
