"""Ingest: app request logs (CloudWatch Logs or local files) into the raw lake of Contract 2."""
