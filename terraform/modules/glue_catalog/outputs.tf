output "raw_database_name" {
  description = "Name of the raw Glue database."
  value       = aws_glue_catalog_database.raw.name
}

output "marts_database_name" {
  description = "Name of the marts Glue database."
  value       = aws_glue_catalog_database.marts.name
}

output "raw_table_name" {
  description = "Name of the raw table."
  value       = aws_glue_catalog_table.request_events.name
}

output "raw_columns" {
  description = "Columns of the raw table, in order (docs/contracts.md section 1)."
  value       = [for column in local.raw_columns : column.name]
}
