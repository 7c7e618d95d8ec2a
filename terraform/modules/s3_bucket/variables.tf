variable "name" {
  description = "Globally unique bucket name."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.name))
    error_message = "A bucket name is 3-63 characters of lower-case letters, digits, dots and hyphens."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer-managed KMS key every object is encrypted with (SSE-KMS)."
  type        = string
}

variable "versioning" {
  description = "Keep every version of every object (the lake needs it; scratch buckets do not)."
  type        = bool
  default     = true
}

variable "expiration_rules" {
  description = "Per-prefix rules: objects under `prefix` expire `days` after creation, and/or their old versions `noncurrent_days` after being replaced (e.g. tables rewritten by every dbt run)."
  type = list(object({
    id              = string
    prefix          = string
    days            = optional(number)
    noncurrent_days = optional(number)
  }))
  default = []

  validation {
    condition = alltrue([
      for rule in var.expiration_rules :
      (rule.days != null || rule.noncurrent_days != null) && coalesce(rule.days, 1) >= 1 && coalesce(rule.noncurrent_days, 1) >= 1
    ])
    error_message = "Each rule sets days and/or noncurrent_days, each at least 1."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days an overwritten or deleted object's old version is kept (bounds what versioning costs)."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "Keep old versions at least a day."
  }
}

variable "abort_incomplete_multipart_days" {
  description = "Days after which an unfinished multipart upload is aborted and its parts deleted."
  type        = number
  default     = 7

  validation {
    condition     = var.abort_incomplete_multipart_days >= 1 && var.abort_incomplete_multipart_days <= 7
    error_message = "Abort incomplete multipart uploads within 1 to 7 days."
  }
}

variable "policy_documents" {
  description = "Extra bucket policy documents (JSON) merged with the statement that refuses requests without TLS."
  type        = list(string)
  default     = []
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete a bucket that still holds objects (off: empty it on purpose first)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to the bucket."
  type        = map(string)
  default     = {}
}
