"""End to end: simulator files -> `python -m ingest_lambda --from-dir` -> local lake, against the manifest."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import INGEST_NOW, REPO, SIM_ARGS, BuiltLake
from tests.ingest.conftest import lake_records


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )


def ingest(logs: Path, lake: Path, *extra: str) -> dict:
    proc = cli("ingest_lambda", "--from-dir", str(logs), "--lake-root", str(lake), *extra)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_lake_holds_exactly_what_the_simulator_says_it_wrote(simulated_lake: BuiltLake) -> None:
    # Given the session's simulated logs, ingested once by the CLI (tests/conftest.py)
    manifest = simulated_lake.manifest
    raw = lake_records(simulated_lake.lake_root)
    quarantine = lake_records(simulated_lake.lake_root, "quarantine/request_events")

    # When the lake is compared with the simulator's own counts
    distinct = {r["request_id"]: r for r in raw}

    # Then every valid line landed, every distinct request is there, and every bad line is quarantined
    assert len(raw) == manifest["valid_lines"]
    assert len(distinct) == manifest["valid_request_ids"]
    assert len(raw) - len(distinct) == manifest["duplicate_deliveries"]
    assert len(quarantine) == manifest["invalid_lines"]
    assert Counter(q["reason"].split(":")[0] for q in quarantine) == manifest["invalid_lines_by_kind"]
    assert Counter(r["client_id"] for r in distinct.values()) == manifest["requests_by_client"]
    assert Counter(r["occurred_at"][:10] for r in distinct.values()) == manifest["requests_by_day"]
    assert len({r["session_id"] for r in distinct.values()}) == manifest["sessions"]
    # And everything landed under the run's clock.
    partitions = {p.name for p in (simulated_lake.lake_root / "raw/request_events").iterdir()}
    assert partitions == {f"ingest_date={INGEST_NOW[:10]}"}
    assert {r["ingested_at"] for r in raw} == {"2026-11-21T00:30:00.000000Z"}


def test_cli_counts_match_the_manifest_and_reruns_are_byte_identical(
    simulated_lake: BuiltLake, tmp_path
) -> None:
    # Given the same logs ingested into two new lakes with the fixture's clock
    first = ingest(simulated_lake.logs_dir, tmp_path / "a", "--now", INGEST_NOW)
    second = ingest(simulated_lake.logs_dir, tmp_path / "b", "--now", INGEST_NOW)
    manifest = simulated_lake.manifest

    # Then the CLI's summary accounts for every line the simulator wrote
    assert first["read"] == manifest["total_lines"]
    assert first["landed"] == manifest["valid_lines"]
    assert first["skipped"] == manifest["noise_lines"]
    assert first["quarantined"] == manifest["invalid_lines"]
    assert first["files"] == manifest["days"]
    # And the three lakes (fixture's and these two) are the same keys with the same bytes.
    assert first == {**second, "lake_root": first["lake_root"], "duration_ms": first["duration_ms"]}
    a = tree(tmp_path / "a")
    assert a == tree(tmp_path / "b")
    assert a == tree(simulated_lake.lake_root)


def test_a_rerun_on_the_same_lake_lands_nothing_twice(simulated_lake: BuiltLake, tmp_path) -> None:
    # Given a lake that already holds the logs
    lake = tmp_path / "lake"
    ingest(simulated_lake.logs_dir, lake, "--now", INGEST_NOW)
    before = tree(lake)

    # When the same files are ingested again a day later
    again = ingest(simulated_lake.logs_dir, lake, "--now", "2026-11-22T00:30:00Z")

    # Then no object is added: unchanged files are recognised by their content
    assert (again["landed"], again["files"], again["files_unchanged"]) == (
        0,
        0,
        simulated_lake.manifest["days"],
    )
    assert tree(lake) == before

    # And --force lands them again, under the new run's date, leaving the old objects as they were
    forced = ingest(simulated_lake.logs_dir, lake, "--now", "2026-11-22T00:30:00Z", "--force")
    assert forced["landed"] == simulated_lake.manifest["valid_lines"]
    after = tree(lake)
    assert {k: v for k, v in after.items() if k in before and not k.startswith("_state")} == {
        k: v for k, v in before.items() if not k.startswith("_state")
    }
    assert any("ingest_date=2026-11-22" in k for k in after)


def test_simulated_traffic_has_the_shapes_the_marts_must_handle(simulated_lake: BuiltLake) -> None:
    # Given the landed records and the raw log text
    raw = list({r["request_id"]: r for r in lake_records(simulated_lake.lake_root)}.values())
    text = "\n".join(
        p.read_bytes().decode("utf-8", "replace") for p in sorted(simulated_lake.logs_dir.glob("*.log"))
    )
    manifest = simulated_lake.manifest

    # Then ids are reused under different parents
    clients_of_reseller, resellers_of_user = defaultdict(set), defaultdict(set)
    for r in raw:
        clients_of_reseller[r["reseller_id"]].add(r["client_id"])
        resellers_of_user[r["user_id"]].add((r["client_id"], r["reseller_id"]))
    assert len(clients_of_reseller["north-shop"]) >= 2
    assert len(resellers_of_user["u-1"]) >= 2
    # And each client trades in its own currency
    currencies = {(r["client_id"], p["currency"]) for r in raw for p in r["products"]}
    assert {c: manifest["tenants"][c]["currency"] for c, _ in currencies} == dict(currencies)
    assert len({c for _, c in currencies}) == 3
    # And some requests carry no products, most do
    share_without = sum(1 for r in raw if not r["products"]) / len(raw)
    assert 0.1 < share_without < 0.3
    # And some sessions span UTC midnight, and sessions hold several requests
    days_of_session = defaultdict(set)
    for r in raw:
        days_of_session[r["session_id"]].add(r["occurred_at"][:10])
    assert any(len(days) > 1 for days in days_of_session.values())
    assert len(raw) / len(days_of_session) > 3
    # And traffic follows a daily and weekly rhythm
    by_hour = Counter(int(r["occurred_at"][11:13]) for r in raw)
    assert sum(by_hour[h] for h in range(9, 17)) > 4 * sum(by_hour[h] for h in range(0, 8))
    per_day = manifest["requests_by_day"]
    weekend = [n for d, n in per_day.items() if date.fromisoformat(d).weekday() >= 5]
    weekday = [n for d, n in per_day.items() if date.fromisoformat(d).weekday() < 5]
    assert sum(weekend) / len(weekend) < sum(weekday) / len(weekday)
    # And late events landed in a later day's file than the day they happened
    late = [r for r in raw if r["event_id"][4:14] > r["occurred_at"][:10]]
    assert len(late) >= manifest["late_events"] > 0
    # And the file text mixes bare JSON, the Lambda prefix, and Lambda's own lines
    for marker in (
        "\tINFO\t{",
        '\n{"level":"INFO","message":"analytics.request"',
        "START RequestId:",
        "REPORT RequestId:",
    ):
        assert marker in text


def test_the_simulator_is_deterministic_for_a_seed(tmp_path) -> None:
    # Given the simulator run twice with one seed and once with another
    for name, seed in (("a", "5"), ("b", "5"), ("c", "6")):
        args = ["--seed", seed, "--days", "3", "--sessions", "60", "--end-date", "2026-11-20", "--quiet"]
        proc = cli("ingest_lambda.simulate", "--out", str(tmp_path / name), *args)
        assert proc.returncode == 0, proc.stderr

    # Then the same seed gives the same bytes and another seed does not
    assert tree(tmp_path / "a") == tree(tmp_path / "b")
    assert tree(tmp_path / "a") != tree(tmp_path / "c")
    assert sorted(tree(tmp_path / "a")) == [
        "app-2026-11-18.log", "app-2026-11-19.log", "app-2026-11-20.log", "manifest.json",
    ]  # fmt: skip


def test_backfilling_files_older_than_the_age_bound_keeps_their_events(tmp_path) -> None:
    # Given files delivered in January, ingested in November: older than 14 days by the run's clock
    logs = tmp_path / "logs"
    args = ["--seed", "3", "--days", "4", "--sessions", "80", "--end-date", "2026-01-10", "--quiet"]
    assert cli("ingest_lambda.simulate", "--out", str(logs), *args).returncode == 0
    manifest = json.loads((logs / "manifest.json").read_text())

    # When they are ingested
    summary = ingest(logs, tmp_path / "lake", "--now", INGEST_NOW)

    # Then age is judged from each file's delivery date, so every valid event lands
    assert summary["landed"] == manifest["valid_lines"]
    assert summary["quarantined"] == manifest["invalid_lines"]

    # But the same lines in a file with no date in its name are judged by the run's clock: too old
    (logs / "app-2026-01-10.log").rename(logs / "undated.log")
    for p in logs.glob("app-*.log"):
        p.unlink()
    undated = ingest(logs, tmp_path / "lake2", "--now", INGEST_NOW)
    assert undated["landed"] == 0
    assert undated["quarantine_reasons"]["too_old"] > 0


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--from-dir", "no/such/dir"], {}, "is not a directory"),
        (["--from-dir", "docs"], {}, "no *.log or *.log.gz files"),
        (["--from-dir", "docs", "--now", "tomorrow"], {}, "not an ISO-8601 timestamp"),
        (["--from-dir", "docs", "--now", "2026-11-21T00:30:00"], {}, "--now needs an offset"),
        (["--from-dir", "docs"], {"MAX_LINE_BYTES": "lots"}, "MAX_LINE_BYTES must be an integer"),
        ([], {}, "--from-dir"),
    ],
)
def test_operator_errors_exit_2_with_a_clear_message(args, env, message) -> None:
    # When the CLI is called wrongly, Then it says what is wrong and exits 2 without a traceback
    proc = cli("ingest_lambda", *args, env=env)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_simulator_rejects_bad_arguments(tmp_path) -> None:
    proc = cli("ingest_lambda.simulate", "--out", str(tmp_path), "--days", "0")
    assert proc.returncode == 2
    assert "--days must be >= 1" in proc.stderr
    assert SIM_ARGS  # the fixture's arguments are what the e2e tests above are checked against


def test_the_manifest_counts_each_delivery_days_lines_per_hour_in_file_order(
    simulated_lake: BuiltLake,
) -> None:
    # Given each delivery day's log file and the manifest's lines per hour of delivery
    hours_of_day = simulated_lake.manifest["lines_by_delivery_hour"]
    logged = re.compile(rb'"timestamp": ?"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"')
    for log in sorted(simulated_lake.logs_dir.glob("app-*.log")):
        day = log.stem.removeprefix("app-")
        lines = log.read_bytes().splitlines()
        hours = hours_of_day[day]
        # Then the day's hours count every line of its file
        assert len(hours) == 24
        assert sum(hours) == len(lines)
        # And the file is in delivery order: no line delivered in an hour was logged after that
        # hour ended (the app logs a request before CloudWatch delivers it; the log's own UTC
        # timestamp, since occurred_at carries the client's offset; the invalid lines' bad
        # request ids mark the simulator's deliberately broken events, future ones among them)
        start = 0
        for hour, count in enumerate(hours):
            valid = [line for line in lines[start : start + count] if b'"request_id":"r' in line]
            logged_at = [m.group(1).decode() for m in map(logged.search, valid) if m]
            assert logged_at or count < 20, (day, hour)
            assert all(at < f"{day}T{hour + 1:02d}:00:00" for at in logged_at), (day, hour)
            start += count
    # And traffic arrives around the clock, busier by day
    totals = [sum(day[hour] for day in hours_of_day.values()) for hour in range(24)]
    assert min(totals) > 0
    assert max(totals[9:18]) > 2 * min(totals[0:6])
