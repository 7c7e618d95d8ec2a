variable "name" {
  description = "Prefix of the job's cluster, task families, roles, schedules and log group."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name))
    error_message = "Use 2-41 lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "image" {
  description = "Public container image the job runs in (pulled anonymously; pin a tag or a digest)."
  type        = string
}

variable "entry_point" {
  description = "Entry point of the container; the run modes add no command, a manual run may (`--overrides`)."
  type        = list(string)
}

variable "container_name" {
  description = "Name of the job's container (what a manual run's overrides refer to)."
  type        = string
  default     = "job"
}

variable "architecture" {
  description = "CPU architecture of the task (the bundle's wheels must match)."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "Use arm64 or x86_64."
  }
}

variable "cpu" {
  description = "Fargate CPU units of one task (1024 = 1 vCPU)."
  type        = number
  default     = 1024

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.cpu)
    error_message = "Fargate CPU is 256, 512, 1024, 2048, 4096, 8192 or 16384."
  }
}

variable "memory" {
  description = "Memory in MiB of one task (must be a Fargate combination with cpu)."
  type        = number
  default     = 4096

  validation {
    condition     = var.memory >= 512 && var.memory <= 122880
    error_message = "Fargate memory is 512 to 122880 MiB."
  }
}

variable "ephemeral_storage_gib" {
  description = "Task-scoped disk in GiB (the unpacked bundle and dbt's target/ live there)."
  type        = number
  default     = 21

  validation {
    condition     = var.ephemeral_storage_gib >= 21 && var.ephemeral_storage_gib <= 200
    error_message = "Fargate ephemeral storage is 21 to 200 GiB."
  }
}

variable "environment" {
  description = "Environment of every run mode (the settings the code reads)."
  type        = map(string)
  default     = {}
}

variable "runs" {
  description = "Run modes by key: each gets a task definition (its environment merged over `environment`) and a schedule."
  type = map(object({
    description         = string
    schedule_expression = string
    environment         = optional(map(string), {})
  }))

  validation {
    condition     = alltrue([for run in values(var.runs) : can(regex("^(rate|cron|at)\\(.+\\)$", run.schedule_expression))])
    error_message = "Each schedule_expression is rate(...), cron(...) or at(...)."
  }
}

variable "task_policy_json" {
  description = "The job's own least-privilege IAM policy (JSON)."
  type        = string
}

variable "subnet_ids" {
  description = "Subnets the tasks run in (they need a route to the AWS APIs and to the image registry)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) > 0
    error_message = "Name at least one subnet."
  }
}

variable "security_group_ids" {
  description = "Security groups of the tasks."
  type        = list(string)
}

variable "assign_public_ip" {
  description = "Give each task a public IP (a public subnet without NAT needs it to reach the APIs)."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key of the log group and the schedules' input."
  type        = string
}

variable "log_retention_days" {
  description = "Days the job's log group keeps events."
  type        = number
}

variable "dead_letter_queue_arn" {
  description = "SQS queue receiving task starts the scheduler could not make."
  type        = string
}

variable "finished_message" {
  description = "`message` of the JSON log line the job writes once per run, with a boolean `success`."
  type        = string
}

variable "metric_namespace" {
  description = "CloudWatch namespace of the job's outcome metrics."
  type        = string
}

variable "metric_prefix" {
  description = "Prefix of the outcome metrics' names (<prefix>RunsSucceeded, <prefix>RunsFailed)."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
