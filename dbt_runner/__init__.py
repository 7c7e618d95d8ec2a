"""The scheduled dbt build: `dbt build --target athena`, then docs and run artifacts to the docs bucket."""
