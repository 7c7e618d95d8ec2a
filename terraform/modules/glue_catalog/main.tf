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

  # docs/contracts.md section 1, in its order; tests/terraform checks these against the ingest code.
  raw_columns = [
    { name = "schema_version", type = "int" },
    { name = "request_id", type = "string" },
    { name = "session_id", type = "string" },
    { name = "client_id", type = "string" },
    { name = "reseller_id", type = "string" },
    { name = "user_id", type = "string" },
    { name = "occurred_at", type = "string" },
    { name = "method", type = "string" },
    { name = "path", type = "string" },
    { name = "status", type = "int" },
    { name = "duration_ms", type = "bigint" },
    { name = "products", type = "array<struct<product_id:string,name:string,category:string,unit_price:double,currency:string,quantity:bigint>>" },
    { name = "service", type = "string" },
    { name = "ingested_at", type = "string" },
    { name = "log_group", type = "string" },
    { name = "log_stream", type = "string" },
    { name = "event_id", type = "string" },
  ]
}

resource "aws_glue_catalog_table" "request_events" {
  name          = "request_events"
  database_name = aws_glue_catalog_database.raw.name
  description   = "One validated request event per line; partitioned by the UTC date it landed."
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

  partition_keys {
    name    = "ingest_date"
    type    = "string"
    comment = "UTC date of ingested_at (yyyy-MM-dd)."
  }

  storage_descriptor {
    location      = local.raw_location
    input_format  = "org.apache.hadoop.mapred.TextInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"

    ser_de_info {
      name                  = "request_events_json"
      serialization_library = "org.openx.data.jsonserde.JsonSerDe"

      parameters = {
        "ignore.malformed.json" = "false"
        "dots.in.keys"          = "false"
        "case.insensitive"      = "true"
      }
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
