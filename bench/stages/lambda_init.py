"""Lambda init: the cold import time of each handler module in a fresh Python process.

Each sample is `python -c "import <module>"` in a new process, minus the median of a bare
`python -c pass`: what an import adds to a Lambda cold start. One untimed import first writes the
.pyc files, as a deployed package ships them. The API handler is imported as it runs in AWS
(the marts on S3: DuckDB with its extensions loaded and its S3 secret made; the pointer is read on
the first request, so not here), with placeholder settings; nothing connects.

Beside the imports, the API's `variants` (same method): its import plus a first request (an HTTP
API event for /v1/health through the handler: the resolver's first dispatch, the metric record and
the log line), and the alternative ADR 0007 weighed, the handler's import plus a Powertools
resolver with `enable_validation=True` (which loads pydantic and the validation middleware).
"""

from __future__ import annotations

import json
from typing import Any

from bench.measure import median, python_cmd, run_child

# dbt runs as an ECS Fargate task (docs/adr/0005-where-dbt-runs.md): no Lambda cold start to measure.
HANDLERS = ("ingest_lambda.handler", "api_lambda.handler")
_HEALTH_EVENT = {
    "version": "2.0",
    "routeKey": "GET /v1/health",
    "rawPath": "/v1/health",
    "rawQueryString": "",
    "headers": {"host": "bench"},
    "requestContext": {
        "http": {"method": "GET", "path": "/v1/health"},
        "requestId": "bench",
        "stage": "$default",
    },
    "isBase64Encoded": False,
}
_CONTEXT = (
    "class C:\n"
    "    function_name = 'api'; aws_request_id = 'bench'; memory_limit_in_mb = 512\n"
    "    invoked_function_arn = 'arn:aws:lambda:eu-west-1:1:function:api'\n"
)
API_VARIANTS = {
    "api_lambda.handler, import and a first request": (
        f"import api_lambda.handler as h\n{_CONTEXT}"
        f"assert h.handler({_HEALTH_EVENT!r}, C())['statusCode'] == 200"
    ),
    "api_lambda.handler, import plus Powertools validation (not used)": (
        "import api_lambda.handler\n"
        "from aws_lambda_powertools.event_handler import APIGatewayHttpResolver\n"
        "APIGatewayHttpResolver(enable_validation=True)"
    ),
}
HEAVY = ("pandas", "pyarrow")
SAMPLES = 5
LAMBDA_ENV = {
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_REGION": "eu-west-1",
    "API_MARTS_POINTER": "s3://bench-lake/marts/_serving/current.json",
    "CURSOR_SECRET": "bench",
    "LAKE_BUCKET": "bench",
    "LOG_GROUP_NAMES": "/bench",
    "DOCS_BUCKET": "bench",
    "POWERTOOLS_METRICS_NAMESPACE": "bench",
}


def _sample(code: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one fresh `python -c code`."""
    child = run_child(python_cmd("-c", code), env=LAMBDA_ENV).check()
    return child.seconds, child.cpu_seconds


def _figures(code: str, samples: int, base: float, base_cpu: float) -> dict[str, Any]:
    """Median, min and max wall ms (and median CPU ms) of `code`, Python's start-up subtracted."""
    try:
        _sample(code)  # writes the .pyc files, as a deployed package ships them
    except RuntimeError as exc:
        return {"error": str(exc).splitlines()[-1][:300]}
    runs = [_sample(code) for _ in range(samples)]
    wall = [r[0] - base for r in runs]
    return {
        "median_ms": round(median(wall) * 1000, 1),
        "min_ms": round(min(wall) * 1000, 1),
        "max_ms": round(max(wall) * 1000, 1),
        # CPU time of the same work: close to the wall time on an idle core.
        "median_cpu_ms": round((median(r[1] for r in runs) - base_cpu) * 1000, 1),
        "samples": samples,
    }


def loaded_modules(module: str, names: tuple[str, ...]) -> list[str]:
    """Which of `names` are loaded after importing `module` in a fresh process.

    A `None` entry in sys.modules is not a loaded module: it is Python's record that the name
    cannot be imported, which the API writes for pandas when it is not installed
    (`api_lambda.backends.engine.remember_that_pandas_is_missing`).
    """
    code = (
        f"import json, sys, {module}; "
        f"print(json.dumps(sorted(n for n in {names!r} if sys.modules.get(n) is not None)))"
    )
    return json.loads(run_child(python_cmd("-c", code), env=LAMBDA_ENV).check().stdout)


def run_stage(samples: int = SAMPLES) -> dict[str, Any]:
    _sample("pass")
    baseline = [_sample("pass") for _ in range(samples)]
    base, base_cpu = median(b[0] for b in baseline), median(b[1] for b in baseline)
    modules = {module: _figures(f"import {module}", samples, base, base_cpu) for module in HANDLERS}
    variants = {name: _figures(code, samples, base, base_cpu) for name, code in API_VARIANTS.items()}
    return {
        "method": f"fresh `python -c 'import M'` minus a bare `python -c pass`, median of {samples}",
        "python_startup_ms": round(base * 1000, 1),
        "python_startup_cpu_ms": round(base_cpu * 1000, 1),
        "modules": modules,
        "api_variants": variants,
        "api_heavy_modules": loaded_modules("api_lambda.handler", HEAVY),
    }
