variable "name" {
  description = "Workgroup name."
  type        = string
}

variable "description" {
  description = "Who runs queries in this workgroup."
  type        = string
}

variable "output_location" {
  description = "s3:// prefix for query results, ending in a slash."
  type        = string

  validation {
    condition     = startswith(var.output_location, "s3://") && endswith(var.output_location, "/")
    error_message = "Use an s3:// prefix ending in a slash."
  }
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key that encrypts query results (SSE_KMS)."
  type        = string
}

variable "bytes_scanned_cutoff_per_query" {
  description = "Athena cancels a query that scans more than this many bytes (at least 10 MB)."
  type        = number

  validation {
    condition     = var.bytes_scanned_cutoff_per_query >= 10485760
    error_message = "Athena's smallest cutoff is 10 MB (10485760 bytes)."
  }
}

variable "enforce_workgroup_configuration" {
  description = "Whether the workgroup's result location and encryption override the client's. False for a workgroup whose clients write tables (CTAS): Athena rejects a CTAS `external_location` in an enforcing workgroup, and without one the table lands under the (expiring) results prefix."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to the workgroup."
  type        = map(string)
  default     = {}
}
