"""Tenant-scoped analytics API over the marts, with no web framework: a route table and pure
handlers (app.py) behind two thin adapters, the Lambda handler (API Gateway HTTP API events) and
an ASGI adapter for the local server; DuckDB over the marts on S3 (AWS, the twin) or the local warehouse."""
