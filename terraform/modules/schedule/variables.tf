variable "name" {
  description = "Schedule name; also names the role the scheduler assumes."
  type        = string
}

variable "description" {
  description = "What the schedule starts."
  type        = string
}

variable "schedule_expression" {
  description = "EventBridge Scheduler expression, e.g. `rate(10 minutes)` or `cron(5 * * * ? *)`."
  type        = string

  validation {
    condition     = can(regex("^(rate|cron|at)\\(.+\\)$", var.schedule_expression))
    error_message = "Use rate(...), cron(...) or at(...)."
  }
}

variable "function_arn" {
  description = "ARN of the Lambda function the schedule invokes."
  type        = string
}

variable "input" {
  description = "JSON event passed to the function on every run."
  type        = string
  default     = "{}"
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key that encrypts the schedule's input."
  type        = string
}

variable "dead_letter_queue_arn" {
  description = "SQS queue receiving invocations the scheduler could not deliver."
  type        = string
}

variable "tags" {
  description = "Tags added to the scheduler's role."
  type        = map(string)
  default     = {}
}
