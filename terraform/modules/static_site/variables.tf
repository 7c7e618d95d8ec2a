variable "name" {
  description = "Name of the site; names its bucket (with the suffix) and its CloudFront resources."
  type        = string
}

variable "bucket_name" {
  description = "Globally unique name of the site's private bucket."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key encrypting the site's objects (its key policy must let this distribution decrypt)."
  type        = string
}

variable "default_root_object" {
  description = "Object served for the root URL."
  type        = string
  default     = "index.html"
}

variable "single_page_app" {
  description = "Serve the root object for unknown paths (client-side routing)."
  type        = bool
  default     = true
}

variable "price_class" {
  description = "CloudFront price class (which edge locations serve the site)."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.price_class)
    error_message = "Use PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "connect_src" {
  description = "Origins the pages may call (Content-Security-Policy connect-src), e.g. the API endpoint."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
