# The raw table is declared here (not crawled): partition projection finds every ingest_date
# prefix from the template, so neither a crawler nor MSCK REPAIR ever runs.
resource "aws_glue_catalog_database" "raw" {
  name        = var.raw_database_name
  description = "Raw request events landed by the ingest Lambda (gzip NDJSON, docs/contracts.md section 1)."
}

resource "aws_glue_catalog_database" "marts" {
  name        = var.marts_database_name
  description = "Models built by the scheduled dbt run (Parquet); the API reads only this database."
}

locals {
  raw_location = "s3://${var.lake_bucket}/${var.raw_prefix}"

  # The one declaration of the raw table (columns, partition key, OpenX JSON SerDe), which the
  # moto Athena gate and the AWS twin (twin/raw_table.py) read too; tests/terraform checks the
  # columns against the ingest code.
  raw_table   = jsondecode(file("${path.module}/raw_request_events.json"))
  raw_columns = local.raw_table.columns
}

resource "aws_glue_catalog_table" "request_events" {
  name          = local.raw_table.name
  database_name = aws_glue_catalog_database.raw.name
  description   = local.raw_table.table_description
  table_type    = "EXTERNAL_TABLE"

  parameters = {
    "classification"                       = "json"
    "compressionType"                      = "gzip"
    "projection.enabled"                   = "true"
    "projection.ingest_date.type"          = "date"
    "projection.ingest_date.format"        = "yyyy-MM-dd"
    "projection.ingest_date.range"         = "${var.projection_start_date},NOW"
    "projection.ingest_date.interval"      = "1"
    "projection.ingest_date.interval.unit" = "DAYS"
    "storage.location.template"            = "${local.raw_location}ingest_date=$${ingest_date}/"
  }

  dynamic "partition_keys" {
    for_each = local.raw_table.partition_keys

    content {
      name    = partition_keys.value.name
      type    = partition_keys.value.type
      comment = partition_keys.value.comment
    }
  }

  storage_descriptor {
    location      = local.raw_location
    input_format  = local.raw_table.input_format
    output_format = local.raw_table.output_format

    ser_de_info {
      name                  = local.raw_table.serde.name
      serialization_library = local.raw_table.serde.serialization_library
      parameters            = local.raw_table.serde.parameters
    }

    dynamic "columns" {
      for_each = local.raw_columns

      content {
        name = columns.value.name
        type = columns.value.type
      }
    }
  }
}
