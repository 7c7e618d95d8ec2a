"""Tenant-scoped analytics API over the marts: FastAPI app, DuckDB (local) and Athena (AWS) backends."""
