"""`make smoke`: one synthetic request through a deployed stack, from CloudWatch Logs to the API."""
