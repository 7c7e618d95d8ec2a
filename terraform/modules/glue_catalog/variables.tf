variable "raw_database_name" {
  description = "Glue database holding the raw table (dbt's source schema, DBT_ATHENA_RAW_SCHEMA)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9_]{1,255}$", var.raw_database_name))
    error_message = "Athena database names are lower-case letters, digits and underscores."
  }
}

variable "marts_database_name" {
  description = "Glue database dbt builds its models in (DBT_ATHENA_SCHEMA); the API reads only this one."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9_]{1,255}$", var.marts_database_name))
    error_message = "Athena database names are lower-case letters, digits and underscores."
  }
}

variable "lake_bucket" {
  description = "Name of the lake bucket."
  type        = string
}

variable "raw_prefix" {
  description = "Key prefix of the raw table inside the lake (docs/contracts.md section 1), ending in a slash."
  type        = string
  default     = "raw/request_events/"

  validation {
    condition     = endswith(var.raw_prefix, "/")
    error_message = "The raw prefix ends with a slash."
  }
}

variable "projection_start_date" {
  description = "First ingest_date partition Athena projects (yyyy-MM-dd); projection runs from it to today."
  type        = string
  default     = "2024-01-01"

  validation {
    condition     = can(regex("^\\d{4}-\\d{2}-\\d{2}$", var.projection_start_date))
    error_message = "Use yyyy-MM-dd."
  }
}
