# Results land encrypted in the given prefix and every query is capped in bytes scanned. With
# enforcement (the default) clients cannot override the result settings; a workgroup whose
# client writes tables turns it off (see the variable), and the bytes cutoff applies either way.
resource "aws_athena_workgroup" "this" {
  #checkov:skip=CKV_AWS_82:Enforcement is the caller's choice (default on); only the dbt workgroup turns it off, as its CTAS must name their table location, and results stay SSE_KMS by default.
  name          = var.name
  description   = var.description
  force_destroy = false
  tags          = var.tags

  configuration {
    enforce_workgroup_configuration    = var.enforce_workgroup_configuration
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
