variable "name" {
  description = "Name of the HTTP API."
  type        = string
}

variable "function_name" {
  description = "Name of the Lambda function serving every route."
  type        = string
}

variable "function_invoke_arn" {
  description = "Invoke ARN of that function."
  type        = string
}

variable "jwt_issuer" {
  description = "Issuer URL of the identity provider; tokens must carry it as `iss` (its /.well-known/openid-configuration must be reachable)."
  type        = string

  validation {
    condition     = startswith(var.jwt_issuer, "https://")
    error_message = "The issuer is an https:// URL."
  }
}

variable "jwt_audience" {
  description = "Accepted `aud` (or `client_id`) values of the tokens."
  type        = list(string)

  validation {
    condition     = length(var.jwt_audience) > 0
    error_message = "Name at least one audience."
  }
}

variable "public_routes" {
  description = "Route keys answered without a token (an exact route wins over the protected greedy one)."
  type        = list(string)
  default     = ["GET /v1/health", "GET /v1/openapi.json"]
}

variable "protected_routes" {
  description = "Route keys behind the JWT authorizer."
  type        = list(string)
  default     = ["GET /v1/{proxy+}"]
}

variable "cors_allowed_origins" {
  description = "Origins (scheme://host) allowed to call the API from a browser: the viewer's only."
  type        = list(string)

  validation {
    condition     = alltrue([for origin in var.cors_allowed_origins : origin != "*" && startswith(origin, "https://")])
    error_message = "List https:// origins explicitly; `*` is not allowed."
  }
}

variable "throttling_rate_limit" {
  description = "Steady-state requests per second across the stage's routes."
  type        = number
  default     = 50
}

variable "throttling_burst_limit" {
  description = "Requests allowed in a burst above the steady rate."
  type        = number
  default     = 100
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key encrypting the access log group."
  type        = string
}

variable "log_retention_days" {
  description = "Days the access log group keeps events."
  type        = number
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
