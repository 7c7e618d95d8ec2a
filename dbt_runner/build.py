"""Run dbt in-process and collect what to publish; no AWS calls here (see publish.py)."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

# Copied into the docs site root: dbt's static docs page and the two files it loads.
DOCS_FILES = ("index.html", "manifest.json", "catalog.json")
# Kept per run under runs/<run id>/: what an analyst needs to see what ran and why it failed.
RUN_FILES = ("run_results.json", "manifest.json", "sources.json")


@dataclass(frozen=True)
class StepResult:
    command: str
    success: bool
    error: str | None = None


@dataclass
class BuildOutcome:
    run_id: str
    steps: list[StepResult] = field(default_factory=list)
    results: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return bool(self.steps) and all(step.success for step in self.steps)

    def summary(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "success": self.success,
            "steps": [step.__dict__ for step in self.steps],
            "results": self.results,
            "failures": self.failures,
        }


def run_id_for(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%SZ")


def prepare_project(project_dir: Path, profiles_path: Path, work_dir: Path) -> Path:
    """Copy the (read-only, packaged) project and profiles into a writable folder dbt can use."""
    target = work_dir / "project"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(
        project_dir, target, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", "__pycache__")
    )
    shutil.copy2(profiles_path, work_dir / "profiles.yml")
    return target


def dbt_args(command: list[str], project: Path, profiles_dir: Path, target: str) -> list[str]:
    return [*command, "--project-dir", str(project), "--profiles-dir", str(profiles_dir), "--target", target]


def summarize_run_results(path: Path) -> tuple[dict[str, int], list[str]]:
    """Count node statuses in run_results.json and name the nodes that errored or failed."""
    if not path.is_file():
        return {}, []
    data = json.loads(path.read_text())
    counts: dict[str, int] = {}
    failures: list[str] = []
    for result in data.get("results", []):
        status = str(result.get("status"))
        counts[status] = counts.get(status, 0) + 1
        if status in {"error", "fail", "runtime error"}:
            failures.append(f"{result.get('unique_id')}: {(result.get('message') or '').strip()[:300]}")
    return counts, failures


def files_to_publish(target_dir: Path, run_id: str, include_docs: bool) -> list[tuple[str, Path]]:
    """(key, file) pairs: the run's artifacts under runs/<run id>/ and, after a good build, the docs site."""
    pairs = [
        (f"runs/{run_id}/{name}", target_dir / name) for name in RUN_FILES if (target_dir / name).is_file()
    ]
    if include_docs:
        pairs += [(name, target_dir / name) for name in DOCS_FILES if (target_dir / name).is_file()]
    return pairs


class DbtInvoker(Protocol):
    def __call__(self, args: list[str]) -> tuple[bool, str | None]: ...


def invoke_dbt(args: list[str]) -> tuple[bool, str | None]:
    """Run one dbt command in this process (dbt's programmatic entry point)."""
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke(args)
    error = None if result.exception is None else f"{type(result.exception).__name__}: {result.exception}"
    return bool(result.success), error


def build_command(data_tests: bool, extra: tuple[str, ...] = ()) -> list[str]:
    """`dbt build` without unit tests, and without data tests when asked, plus a manual run's flags.

    Unit tests check the SQL against fixtures: they belong to CI (make test), and on a first run
    they would fail for want of the incremental models' relations. Data tests scan their columns
    over all history on Athena, so the hourly run may leave them to a daily one (cost/model.py).
    `extra` carries a backfill's or a repair's flags (`--full-refresh`, `--select ...`, `--vars ...`).
    """
    excluded = ["unit_test"] if data_tests else ["unit_test", "test"]
    return ["build", *(arg for kind in excluded for arg in ("--exclude-resource-type", kind)), *extra]


def build(
    project: Path,
    profiles_dir: Path,
    target: str,
    run_id: str,
    invoke: DbtInvoker = invoke_dbt,
    data_tests: bool = True,
    extra: tuple[str, ...] = (),
) -> BuildOutcome:
    """`dbt build` (models and, unless skipped, data tests); when it passed, the compaction of the
    aggregates' recent buckets (so the version the caller publishes holds one file per bucket the
    run touched, ADR 0010), the daily run's table maintenance (compaction and snapshot expiry of
    the Iceberg tables, ADR 0009), then `dbt docs generate`."""
    outcome = BuildOutcome(run_id=run_id)
    ok, error = invoke(dbt_args(build_command(data_tests, extra), project, profiles_dir, target))
    outcome.steps.append(StepResult("build", ok, error))
    outcome.results, outcome.failures = summarize_run_results(project / "target" / "run_results.json")
    if not ok:
        return outcome
    # The later commands rewrite run_results.json; keep the build's copy for the run artifacts.
    results = project / "target" / "run_results.json"
    shutil.copy2(results, project / "target" / "build_results.json")
    # Each MERGE added a data and a delete file to every bucket it touched: a new API container
    # would fetch them all. A failure here fails the run, so nothing is published.
    compact = ["run-operation", "compact_served_aggregates"]
    ok, error = invoke(dbt_args(compact, project, profiles_dir, target))
    outcome.steps.append(StepResult("compact served aggregates", ok, error))
    if ok and data_tests:
        # Once a day (the run with data tests): each hourly MERGE adds small files.
        ok, error = invoke(dbt_args(["run-operation", "maintain_tables"], project, profiles_dir, target))
        outcome.steps.append(StepResult("maintain tables", ok, error))
    if ok:
        ok, error = invoke(dbt_args(["docs", "generate"], project, profiles_dir, target))
        outcome.steps.append(StepResult("docs generate", ok, error))
    shutil.move(project / "target" / "build_results.json", results)
    return outcome
