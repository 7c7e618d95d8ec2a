# Clients cannot override these settings: results always land encrypted in the given prefix and
# every query is capped in bytes scanned.
resource "aws_athena_workgroup" "this" {
  name          = var.name
  description   = var.description
  force_destroy = false
  tags          = var.tags

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.bytes_scanned_cutoff_per_query

    engine_version {
      selected_engine_version = "Athena engine version 3"
    }

    result_configuration {
      output_location = var.output_location

      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = var.kms_key_arn
      }
    }
  }
}
