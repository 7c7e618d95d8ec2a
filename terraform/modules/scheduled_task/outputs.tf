output "cluster_arn" {
  description = "ARN of the job's ECS cluster."
  value       = aws_ecs_cluster.this.arn
}

output "cluster_name" {
  description = "Name of the job's ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "task_definition_arns" {
  description = "Task definition family ARN (without revision: the latest is run) per run mode."
  value       = { for key, task in aws_ecs_task_definition.this : key => task.arn_without_revision }
}

output "schedule_expressions" {
  description = "When each run mode starts."
  value       = { for key, schedule in aws_scheduler_schedule.this : key => schedule.schedule_expression }
}

output "container_name" {
  description = "Name of the job's container (for a manual run's overrides)."
  value       = var.container_name
}

output "log_group_name" {
  description = "Log group of every run."
  value       = aws_cloudwatch_log_group.this.name
}

output "task_role_arn" {
  description = "ARN of the role the job's code runs with."
  value       = aws_iam_role.task.arn
}

output "metric_names" {
  description = "Outcome metrics (namespace and names) the job's log lines feed."
  value = {
    namespace = var.metric_namespace
    succeeded = "${var.metric_prefix}RunsSucceeded"
    failed    = "${var.metric_prefix}RunsFailed"
  }
}
