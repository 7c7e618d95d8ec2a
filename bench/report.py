"""The run's table: one row per figure with its baseline or limit, the ratio and the target.

Pure functions of the stages' result dictionary, rendered to Markdown for bench/results/latest.md
and the Performance page, and to plain lines on the terminal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bench.targets import (
    API_P99_MAX_OVER_FLOOR_MS,
    ATHENA_MIN_BILLED_BYTES,
    DBT_FULL_MAX_RATIO,
    HOURLY_SCAN_MAX_RATIO,
    INCREMENTAL_MAX_RATIO,
    SERVE_COLD_START_MAX_MS,
    SERVE_MAX_BYTES,
    SERVE_MAX_S3_REQUESTS,
    SERVE_WARM_P95_MAX_MS,
    TYPICAL_ROUTE,
    Check,
    dig,
)

COLUMNS = ("stage", "figure", "baseline or limit (same run)", "ratio", "target")


def human_bytes(n: float | None) -> str:
    if n is None:
        return "-"
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.2f} {unit}"
    return f"{n:.0f} B"


def _num(n: float | None, digits: int = 0) -> str:
    if n is None:
        return "-"
    return f"{n:,.{digits}f}"


def _x(n: float | None) -> str:
    return "-" if n is None else f"{n:.2f}x"


def _dbt_time(run: Mapping[str, Any]) -> str:
    return (
        f"{_num(run.get('seconds'), 1)} s (dbt's own elapsed {_num(run.get('dbt_elapsed_seconds'), 1)} s, "
        f"{_num(run.get('cpu_seconds'), 1)} CPU s)"
    )


def rows(stages: Mapping[str, Any]) -> list[tuple[str, str, str, str, str]]:
    out: list[tuple[str, str, str, str, str]] = []
    data = stages.get("data") or {}
    if data:
        out.append(
            (
                "data generation (simulator)",
                f"{_num(data.get('valid_request_ids'))} requests, {_num(data.get('total_lines'))} lines, "
                f"{data.get('days_simulated')} days in {_num(data.get('seconds'), 1)} s",
                "-",
                "-",
                "-",
            )
        )
    ingest = stages.get("ingest") or {}
    if ingest:
        out.append(
            (
                "ingest (parse + validate + land, one core)",
                f"{_num(ingest.get('events_per_second'))} events/s ({_num(ingest.get('events'))} events "
                f"in {_num(ingest.get('cpu_seconds'), 1)} CPU s, {_num(ingest.get('seconds'), 1)} s wall)",
                f"gzip -{ingest.get('gzip_level')} on the same bytes: "
                f"{_num(ingest.get('gzip_events_per_second'))} events/s (the landing's own compressor, "
                f"{ingest.get('landing_compression')}: "
                f"{_num(ingest.get('landing_compressor_events_per_second'))} events/s)",
                _x(ingest.get("share_of_gzip")),
                f">= {_num(ingest.get('target_events_per_second'))} events/s and >= "
                f"{ingest.get('target_share_of_gzip')}x gzip",
            )
        )
    full = dig(stages, "dbt", "full_build") or {}
    if full:
        out.append(
            (
                "dbt full build (DuckDB, `dbt run`)",
                _dbt_time(full),
                "one DuckDB scan of the same raw files, every column typed: "
                f"{_num(full.get('scan_seconds'), 2)} s "
                f"(one column: {_num(full.get('light_scan_seconds'), 2)} s)",
                f"{_x(full.get('ratio_to_scan'))} (CPU {_x(full.get('cpu_ratio_to_scan'))}; "
                f"{_x(full.get('ratio_to_light_scan'))} of the one-column scan)",
                f"(information; retired target <= {DBT_FULL_MAX_RATIO:g}x)",
            )
        )
    noop = dig(stages, "dbt", "noop") or {}
    if noop:
        out.append(
            (
                "dbt run with nothing new landed (fixed cost per run)",
                _dbt_time(noop),
                "-",
                "-",
                "-",
            )
        )
    inc = dig(stages, "dbt", "incremental") or {}
    if inc:
        out.append(
            (
                "dbt incremental run (day 31 on top of 30, `dbt run`)",
                _dbt_time(inc),
                f"new day's own scan, every column typed: {_num(inc.get('new_day_scan_seconds'), 2)} s; "
                f"full build: {_num(full.get('seconds'), 1)} s",
                f"beyond the fixed cost {_num(inc.get('marginal_seconds'), 2)} s (in dbt's own elapsed "
                f"time {_num(inc.get('marginal_dbt_elapsed_seconds'), 2)} s) = "
                f"{_x(inc.get('marginal_ratio_to_new_day_scan'))} of the scan; whole run "
                f"{_x(inc.get('ratio_to_new_day_scan'))} of the scan, {_x(inc.get('ratio_to_full_build'))} "
                "of the full build",
                f"(information; retired target < {INCREMENTAL_MAX_RATIO:g}x the new day's scan)",
            )
        )
    out.extend(_floor_rows(dig(stages, "dbt", "floor") or {}, full, inc))
    api = stages.get("api") or {}
    floor = api.get("floor") or {}
    for route, fig in (api.get("routes") or {}).items():
        errors = f", {fig['errors']} errors" if fig.get("errors") else ""
        out.append(
            (
                f"API {route}",
                f"p50 {_num(fig.get('p50_ms'), 1)} ms, p99 {_num(fig.get('p99_ms'), 1)} ms "
                f"({fig.get('requests')} requests{errors})",
                f"floor GET /v1/health: p50 {_num(floor.get('p50_ms'), 1)} ms, "
                f"p99 {_num(floor.get('p99_ms'), 1)} ms",
                f"p99 +{_num(fig.get('p99_over_floor_ms'), 1)} ms",
                f"p99 <= floor + {API_P99_MAX_OVER_FLOOR_MS:g} ms",
            )
        )
    athena = stages.get("athena") or {}
    for route, fig in (athena.get("routes") or {}).items():
        at_scale = fig.get("bytes_90d_at_10m_events_per_day")
        several = (fig.get("tries") or 1) > 1
        days = fig.get("days_covered")
        covered = f"{days} day{'' if days == 1 else 's'} of data"
        if not str(fig.get("partition_pruning", "")).startswith("by"):
            covered += ", every partition"
        if several:
            covered += f", the first of {fig['tries']} tries asks for {fig.get('days_asked')} day(s)"
        tries = (
            f"; all {fig['tries']} tries, when the first answer falls short: "
            f"{human_bytes(fig.get('bytes_90d_at_10m_events_per_day_every_try'))}"
            if several
            else ""
        )
        out.append(
            (
                f"Athena bytes {route} (one client, 90 days)",
                f"{human_bytes(fig.get('bytes'))} here ({covered}, "
                f"{_num(fig.get('rows_read_per_day'))} rows read per day); "
                f"{human_bytes(at_scale)} at 10M events/day{tries}",
                f"billing minimum {human_bytes(ATHENA_MIN_BILLED_BYTES)}",
                _x(at_scale / ATHENA_MIN_BILLED_BYTES if at_scale is not None else None),
                f"<= {human_bytes(ATHENA_MIN_BILLED_BYTES)}" if route == TYPICAL_ROUTE else "(information)",
            )
        )
    out.extend(twin_rows(stages.get("twin") or {}))
    out.extend(serve_rows(stages.get("serve") or {}))
    init = dig(stages, "lambda_init", "modules") or {}
    for module, fig in init.items():
        out.append(
            (
                f"Lambda init: import {module}",
                f"{_num(fig.get('median_ms'), 0)} ms median ({_num(fig.get('median_cpu_ms'), 0)} ms CPU)"
                if "median_ms" in fig
                else f"error: {fig.get('error')}",
                f"python start-up {_num(dig(stages, 'lambda_init', 'python_startup_ms'), 0)} ms (subtracted)",
                "-",
                "(information: the serving cold start is the target)",
            )
        )
    for name, fig in (dig(stages, "lambda_init", "api_variants") or {}).items():
        out.append(
            (
                f"Lambda init: {name}",
                f"{_num(fig.get('median_ms'), 0)} ms median ({_num(fig.get('median_cpu_ms'), 0)} ms CPU)"
                if "median_ms" in fig
                else f"error: {fig.get('error')}",
                f"python start-up {_num(dig(stages, 'lambda_init', 'python_startup_ms'), 0)} ms (subtracted)",
                "-",
                "(information: ADR 0007)",
            )
        )
    memory = stages.get("memory") or {}
    for name, value in memory.items():
        out.append((f"memory: peak RSS of {name}", human_bytes(value), "-", "-", "-"))
    return out


def _floor_rows(
    floor: Mapping[str, Any], full: Mapping[str, Any], inc: Mapping[str, Any]
) -> list[tuple[str, str, str, str, str]]:
    """The floors under the two dbt targets (bench/stages/floor.py), beside the same baselines."""
    if not floor:
        return []
    persisted, as_parquet, appended = floor["persist"], floor["parquet"], floor["append"]
    return [
        (
            "floor under the full build: one typed copy of the raw files, no dbt, no model",
            f"DuckDB table: {_num(persisted.get('seconds'), 2)} s ({human_bytes(persisted.get('bytes'))}); "
            f"Parquet file: {_num(as_parquet.get('seconds'), 2)} s ({human_bytes(as_parquet.get('bytes'))}); "
            f"dbt's start-up: {_num(floor.get('dbt_startup_seconds'), 2)} s",
            f"the typed scan: {_num(full.get('scan_seconds'), 2)} s",
            f"start-up + the cheaper copy: {_x(floor.get('full_build_floor_ratio_to_scan'))} "
            f"(table {_x(floor.get('persist_ratio_to_scan'))}, "
            f"Parquet {_x(floor.get('parquet_ratio_to_scan'))})",
            f"(information: the full build's target is <= {DBT_FULL_MAX_RATIO:g}x)",
        ),
        (
            "floor under the increment: the new day appended to that copy, deduplicated on request_id",
            f"{_num(appended.get('seconds'), 2)} s ({_num(appended.get('rows_added'))} rows added)",
            f"the new day's typed scan: {_num(inc.get('new_day_scan_seconds'), 2)} s",
            _x(floor.get("append_ratio_to_new_day_scan")),
            f"(information: the increment's target is < {INCREMENTAL_MAX_RATIO:g}x)",
        ),
    ]


def twin_rows(twin: Mapping[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """The twin stage: Trino's wall times on its subset (information), and Athena bytes."""
    if not twin:
        return []
    subset = (
        f"{twin.get('base_days')} base days from {twin.get('first_day')} + day 31 (a subset; "
        f"Trino's stage limit raised to {twin.get('max_stages')}, see docs/performance.md)"
    )
    out = []
    for key, label in (
        ("full_build", "full build"),
        ("incremental", "incremental run (day 31's hours before its last)"),
        ("incremental_last_hour", "incremental run (day 31's last hour)"),
    ):
        fig = twin.get(key) or {}
        out.append(
            (
                f"twin (Trino over moto S3) {label}, `dbt run`, {subset}",
                f"{_num(dig(fig, 'twin', 'seconds'), 1)} s ({fig.get('queries')} queries)",
                f"DuckDB on the same raw files: {_num(dig(fig, 'duckdb', 'seconds'), 1)} s"
                if dig(fig, "duckdb", "seconds") is not None
                else "-",
                _x(fig.get("twin_to_duckdb")) if fig.get("twin_to_duckdb") is not None else "-",
                "(information)",
            )
        )
    hourly = twin.get("hourly_increment_bytes") or {}
    measured, scaled = hourly.get("measured") or {}, hourly.get("at_10m_events_per_day") or {}
    out.append(
        (
            "Athena bytes scanned by one hourly incremental run (twin: Trino's physical input bytes)",
            f"{human_bytes(scaled.get('scanned_bytes'))} at 10M events/day, the last hour of a day "
            f"(billed with the 10 MB minimum per query: {human_bytes(scaled.get('billed_bytes'))}); measured "
            f"{human_bytes(measured.get('scanned_bytes'))} in {measured.get('queries_reading_data')} "
            f"queries: the run after day 31's last hour landed "
            f"({_num(measured.get('hour_events'))} of the day's {_num(measured.get('day_events'))} events)",
            f"new raw data of the hour {human_bytes(scaled.get('new_raw_bytes'))} + the models' data the run "
            f"wrote {human_bytes(scaled.get('rewritten_bytes'))} (measured: "
            f"{human_bytes(measured.get('new_raw_bytes'))} + {human_bytes(measured.get('rewritten_bytes'))})",
            f"{_x(scaled.get('ratio'))} (as measured: {_x(measured.get('ratio'))})",
            f"<= {HOURLY_SCAN_MAX_RATIO:g}x",
        )
    )
    tests = twin.get("daily_test_bytes") or {}
    tm, ts = tests.get("measured") or {}, tests.get("at_10m_events_per_day") or {}
    out.append(
        (
            f"Athena bytes scanned by the daily `dbt test` run (data_test_days {tm.get('data_test_days')})",
            f"{human_bytes(ts.get('scanned_bytes'))} at 10M events/day (billed with the 10 MB minimum per "
            f"query: {human_bytes(ts.get('billed_bytes'))}); measured {human_bytes(tm.get('scanned_bytes'))} "
            f"in {tm.get('queries_reading_data')} queries",
            "-",
            "-",
            "(information)",
        )
    )
    return out


def markdown_table(stages: Mapping[str, Any]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows(stages):
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    return "\n".join(lines)


def markdown(result: Mapping[str, Any], checks: list[Check]) -> str:
    machine = result.get("machine") or {}
    versions = result.get("versions") or {}
    size = result.get("size") or {}
    lines = [
        f"Run of {result.get('generated_at')} with `{result.get('command')}` "
        f"({_num(size.get('events'))} events over {size.get('days')} days + 1, seed {size.get('seed')}), "
        f"{_num(result.get('total_seconds'), 0)} s in all.",
        "",
        f"Machine: {machine.get('cores')} cores ({machine.get('cpu_model')}), "
        f"{human_bytes(machine.get('memory_bytes'))} RAM, load average at start "
        f"{machine.get('load_average_at_start')}. Versions: "
        + ", ".join(f"{k} {v}" for k, v in versions.items() if v)
        + f". Load average at the end {machine.get('load_average_at_end')}.",
        "",
        "Wall time per stage: "
        + ", ".join(f"{k} {_num(v, 0)} s" for k, v in (result.get("stage_seconds") or {}).items())
        + ".",
        "",
        markdown_table(result.get("stages") or {}),
        "",
        "Targets:",
        "",
        *[f"- {c.line()}" for c in checks],
    ]
    errors = result.get("errors") or {}
    if errors:
        lines += ["", "Stages that failed:", "", *[f"- {k}: {v}" for k, v in errors.items()]]
    return "\n".join(lines) + "\n"


def serve_rows(serve: Mapping[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """The serve stage: the API through the Lambda handler over the published marts on the twin's S3."""
    if not serve:
        return []
    typical = serve.get("typical_call") or {}
    cold, warm = typical.get("cold") or {}, typical.get("warm") or {}
    after = typical.get("after_a_publish") or {}
    scale = typical.get("at_10m_events_per_day") or {}
    layout = serve.get("aggregate_layout") or {}
    measured = (
        f"{serve.get('base_days')} days here ({layout.get('files')} files in "
        f"{layout.get('buckets')} day-grain client buckets, {layout.get('manifests')} manifests)"
    )
    out = [
        (
            "serving: S3 requests of the typical call (90-day daily series, one client)",
            f"warm container {warm.get('s3_requests')}; "
            f"warm container after the next build's publish {after.get('s3_requests')}; "
            f"new container {cold.get('s3_requests')} over {measured}; "
            f"new container at 10M events/day, 90 days: {_num(scale.get('cold_s3_requests'))} "
            f"({_num(scale.get('metadata_requests'))} metadata + "
            f"{_num(scale.get('data_file_requests'))} data files)",
            "-",
            "-",
            f"<= {SERVE_MAX_S3_REQUESTS}",
        ),
        (
            "serving: bytes of the typical call",
            f"warm {human_bytes(warm.get('bytes'))}; new container {human_bytes(cold.get('bytes'))} here, "
            f"{human_bytes(scale.get('cold_bytes'))} at 10M events/day, 90 days",
            "-",
            "-",
            f"<= {human_bytes(SERVE_MAX_BYTES)}",
        ),
    ]
    for route, fig in (serve.get("routes") or {}).items():
        errors = f", {fig['errors']} errors" if fig.get("errors") else ""
        out.append(
            (
                f"serving: {route} through the handler (warm)",
                f"p50 {_num(fig.get('p50_ms'), 1)} ms, p95 {_num(fig.get('p95_ms'), 1)} ms "
                f"({fig.get('calls')} calls, "
                f"{_num(fig.get('s3_requests_mean'), 1)} S3 requests each{errors})",
                "-",
                "-",
                f"p95 <= {SERVE_WARM_P95_MAX_MS:g} ms",
            )
        )
    start = serve.get("cold_start") or {}
    load = serve.get("load") or {}
    out += [
        (
            "serving: cold start (import the handler, then the typical call)",
            f"{_num(start.get('total_ms'), 0)} ms (init {_num(start.get('init_ms'), 0)} ms, "
            f"first call {_num(start.get('first_query_ms'), 0)} ms)",
            "-",
            "-",
            f"<= {SERVE_COLD_START_MAX_MS:g} ms",
        ),
        (
            f"serving: {load.get('users')} simulated users at once, mixed routes (one container)",
            f"{load.get('calls')} calls, {load.get('errors')} errors, p50 {_num(load.get('p50_ms'), 0)} ms, "
            f"p95 {_num(load.get('p95_ms'), 0)} ms",
            "-",
            "-",
            "0 errors; p95 reported",
        ),
    ]
    return out
