"""The AWS twin: Athena's engine (Trino) and S3 (moto's server) on loopback, driven by the same dbt project.

`python -m twin up|build|down|status` (the Makefile's `twin-up`, `twin-build`, `twin-down`).
docs/twin.md says what it proves and what it cannot.
"""
