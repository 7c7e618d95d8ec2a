output "name" {
  description = "Name of the workgroup."
  value       = aws_athena_workgroup.this.name
}

output "arn" {
  description = "ARN of the workgroup (scopes athena:* permissions)."
  value       = aws_athena_workgroup.this.arn
}
