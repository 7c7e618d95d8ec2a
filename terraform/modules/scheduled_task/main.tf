# A container job on ECS Fargate, started by EventBridge Scheduler: one task definition per run
# mode (each mode's settings in its own environment, so a schedule needs no overrides), its own
# cluster, roles, encrypted log group, and success/failure metrics read from its JSON logs.
data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  account_id = data.aws_caller_identity.current.account_id
  log_group  = "/aws/ecs/${var.name}"
  family_arn = "arn:${local.partition}:ecs:${data.aws_region.current.name}:${local.account_id}:task-definition/${var.name}-*"
}

resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_ecs_cluster" "this" {
  name = var.name
  tags = var.tags

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

# --- roles -------------------------------------------------------------------------------------

data "aws_iam_policy_document" "assume_task" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

# The agent's role: it pulls a public image (no registry permission) and ships the logs.
resource "aws_iam_role" "execution" {
  name               = "${var.name}-execution"
  description        = "Lets ECS start the ${var.name} task and write its logs."
  assume_role_policy = data.aws_iam_policy_document.assume_task.json
  tags               = var.tags
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "WriteTaskLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "${var.name}-execution"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# The job's own role: what the code inside the container may do.
resource "aws_iam_role" "task" {
  name               = "${var.name}-task"
  description        = "Role of the ${var.name} job's code only."
  assume_role_policy = data.aws_iam_policy_document.assume_task.json
  tags               = var.tags
}

data "aws_iam_policy_document" "task" {
  source_policy_documents = [var.task_policy_json]
}

resource "aws_iam_role_policy" "task" {
  name   = "${var.name}-least-privilege"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}

# --- task definitions (one per run mode) --------------------------------------------------------

resource "aws_ecs_task_definition" "this" {
  for_each = var.runs

  family                   = "${var.name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(var.cpu)
  memory                   = tostring(var.memory)
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  tags                     = var.tags

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.architecture == "arm64" ? "ARM64" : "X86_64"
  }

  ephemeral_storage {
    size_in_gib = var.ephemeral_storage_gib
  }

  # The root file system stays read-only; the job writes only to /tmp, a task-scoped volume.
  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([{
    name                   = var.container_name
    image                  = var.image
    essential              = true
    entryPoint             = var.entry_point
    command                = []
    readonlyRootFilesystem = true
    environment = [
      for key, value in merge(var.environment, each.value.environment) : { name = key, value = value }
    ]
    mountPoints = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = each.key
      }
    }
  }])
}

# --- schedules -----------------------------------------------------------------------------------

data "aws_iam_policy_document" "assume_scheduler" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name               = "${var.name}-scheduler"
  description        = "Lets EventBridge Scheduler start the ${var.name} task only."
  assume_role_policy = data.aws_iam_policy_document.assume_scheduler.json
  tags               = var.tags
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "RunThisJobsTasksOnly"
    actions   = ["ecs:RunTask"]
    resources = [local.family_arn, "${local.family_arn}:*"]

    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [aws_ecs_cluster.this.arn]
    }
  }

  # propagate_tags copies the task definition's tags onto the task, and tagging on create needs
  # ecs:TagResource on the new task (granted for RunTask's creation only).
  statement {
    sid       = "TagTheTasksItStarts"
    actions   = ["ecs:TagResource"]
    resources = ["arn:${local.partition}:ecs:${data.aws_region.current.name}:${local.account_id}:task/${var.name}/*"]

    condition {
      test     = "StringEquals"
      variable = "ecs:CreateAction"
      values   = ["RunTask"]
    }
  }

  statement {
    sid       = "HandTheTaskItsRoles"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.execution.arn, aws_iam_role.task.arn]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }

  statement {
    sid       = "DeadLetter"
    actions   = ["sqs:SendMessage"]
    resources = [var.dead_letter_queue_arn]
  }

  statement {
    sid       = "EncryptedInputAndQueue"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "${var.name}-run-task"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}

resource "aws_scheduler_schedule" "this" {
  for_each = var.runs

  name                = "${var.name}-${each.key}"
  description         = each.value.description
  schedule_expression = each.value.schedule_expression
  kms_key_arn         = var.kms_key_arn

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_ecs_cluster.this.arn
    role_arn = aws_iam_role.scheduler.arn

    ecs_parameters {
      task_definition_arn = aws_ecs_task_definition.this[each.key].arn_without_revision
      launch_type         = "FARGATE"
      task_count          = 1
      propagate_tags      = "TASK_DEFINITION"

      network_configuration {
        subnets          = var.subnet_ids
        security_groups  = var.security_group_ids
        assign_public_ip = var.assign_public_ip
      }
    }

    # A start that fails (capacity, throttling) is retried, then dead-lettered; the run itself
    # reports through the metrics below.
    retry_policy {
      maximum_retry_attempts       = 2
      maximum_event_age_in_seconds = 600
    }

    dead_letter_config {
      arn = var.dead_letter_queue_arn
    }
  }
}

# --- outcome metrics -----------------------------------------------------------------------------

# The job logs one JSON line per run with `message` = var.finished_message and a boolean `success`.
resource "aws_cloudwatch_log_metric_filter" "outcome" {
  for_each = { Succeeded = "true", Failed = "false" }

  name           = "${var.name}-runs-${lower(each.key)}"
  log_group_name = aws_cloudwatch_log_group.this.name
  pattern        = "{ ($.message = \"${var.finished_message}\") && ($.success IS ${each.value}) }"

  metric_transformation {
    name          = "${var.metric_prefix}Runs${each.key}"
    namespace     = var.metric_namespace
    value         = "1"
    default_value = "0"
  }
}
