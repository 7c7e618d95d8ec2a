output "arn" {
  description = "ARN of the schedule."
  value       = aws_scheduler_schedule.this.arn
}

output "schedule_expression" {
  description = "When the schedule fires."
  value       = aws_scheduler_schedule.this.schedule_expression
}

output "role_arn" {
  description = "ARN of the role the scheduler assumes."
  value       = aws_iam_role.this.arn
}
