"""Build one deployable zip per Lambda and the dbt task's bundle (`make package`), reproducibly.

The dbt runner's zip is not a Lambda package any more: the ECS Fargate task fetches it from S3
and runs it in AWS's Lambda Python 3.11 base image (docs/adr/0005-where-dbt-runs.md), the same
runtime and boto3, so it is built and checked exactly like the two functions.

    python packaging/build_lambdas.py [--arch arm64|x86_64] [--out build] [--only ingest_lambda ...]

For each function: `pip install --platform manylinux2014_<arch> --only-binary=:all:
--python-version <its runtime's> --implementation cp` of its requirements.txt into a staging folder,
minus what the Lambda runtime already has (boto3, botocore, s3transfer) and caches, plus the
function's own code; then a zip with sorted entries, 1980-01-01 timestamps and 0644 modes, so
the same inputs give the same SHA-256. Each zip is checked against Lambda's limits and the
wheels' machine code against the architecture. Writes build/<name>.zip and build/manifest.json.
Not a package (no __init__.py): the folder name must never shadow PyPI's `packaging`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The DuckDB the API pins (api_lambda/requirements.txt): its extensions live under this version.
DUCKDB_VERSION = "1.5.5"
PYTHON_VERSION = "3.11"
RUNTIME = "python3.11"
# The glibc of each runtime's OS (Amazon Linux 2: 2.26; Amazon Linux 2023: 2.34): a binary that
# needs a newer one fails to load there, whatever its wheel's tag says (DuckDB's httpfs and
# iceberg extensions need 2.28, so the API runs on python3.12).
RUNTIME_GLIBC = {"python3.11": (2, 26), "python3.12": (2, 34)}
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644

# Lambda quotas: a zip uploaded directly is at most 50 MB; code and layers unzipped at most 250 MB.
MAX_ZIPPED_BYTES = 50 * 1024 * 1024
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024

# In the python3.11 runtime already; shipping them would only add weight and version skew.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")
PRUNED_DIRS = {"__pycache__", "bin", ".pytest_cache", "target", "logs", "dbt_packages", "tests"}
PRUNED_SUFFIXES = (".pyc", ".pyo")

PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}
# Wheels built on a newer glibc that the runtime still has (DuckDB's is manylinux_2_26 / 2_28).
NEWER_PLATFORMS = {"arm64": "manylinux_2_28_aarch64", "x86_64": "manylinux_2_28_x86_64"}
ELF_MACHINES = {"arm64": 0xB7, "x86_64": 0x3E}
# Machine code besides shared objects: DuckDB's extensions, loaded by the API from its zip.
BINARY_SUFFIXES = (".duckdb_extension",)


@dataclass(frozen=True)
class Function:
    name: str
    requirements: Path
    sources: tuple[Path, ...]
    # Modules (relative to the function's package) that only run on a laptop: left out of the zip.
    local_only: tuple[str, ...] = ()
    runtime: str = RUNTIME
    # Files the zip must hold (paths inside it), beyond the function's own code.
    required: tuple[str, ...] = ()

    @property
    def python_version(self) -> str:
        return self.runtime.removeprefix("python")


FUNCTIONS = {
    "ingest_lambda": Function(
        "ingest_lambda", REPO / "ingest_lambda/requirements.txt", (REPO / "ingest_lambda",)
    ),
    "api_lambda": Function(
        "api_lambda",
        REPO / "api_lambda/requirements.txt",
        (REPO / "api_lambda", REPO / "serving"),
        # The local server (its CLI and ASGI adapter), the tokens-file tool and the DuckDB backend's
        # warehouse-file snapshots: the Lambda takes API Gateway events and its JWT authorizer's claims.
        local_only=("__main__.py", "asgi.py", "tokens.py", "backends/duckdb.py"),
        runtime="python3.12",
        # DuckDB's S3 and Iceberg readers, loaded from the zip (the Lambda never downloads them).
        required=tuple(
            f"duckdb_extension_{name}/extensions/v{DUCKDB_VERSION}/{name}.duckdb_extension"
            for name in ("httpfs", "avro", "iceberg")
        ),
    ),
    "dbt_runner": Function(
        "dbt_runner",
        REPO / "dbt_runner/requirements.txt",
        (REPO / "dbt_runner", REPO / "serving", REPO / "dbt_project", REPO / "profiles.yml"),
    ),
}


@dataclass(frozen=True)
class ZipStats:
    name: str
    path: str
    sha256: str
    zipped_bytes: int
    unzipped_bytes: int
    files: int
    runtime: str = RUNTIME


class PackagingError(RuntimeError):
    """A package could not be built or breaks a Lambda limit."""


def log(message: str) -> None:
    print(f"[package] {message}", file=sys.stderr, flush=True)


def install_requirements(
    requirements: Path, target: Path, arch: str, python_version: str = PYTHON_VERSION
) -> None:
    """pip-install the Lambda platform's wheels (never sdists, never this machine's wheels)."""
    if not requirements.is_file():
        raise PackagingError(f"{requirements} is missing")
    cmd = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
        "--platform", PLATFORMS[arch], "--platform", NEWER_PLATFORMS[arch], "--only-binary=:all:",
        "--python-version", python_version, "--implementation", "cp", "--target", str(target),
        "-r", str(requirements),
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise PackagingError(
            f"pip could not install {requirements} for {PLATFORMS[arch]}:\n{proc.stderr[-4000:]}"
        )


def remove_runtime_provided(target: Path) -> None:
    for item in list(target.iterdir()):
        stem = item.name.split("-")[0].lower() if item.name.endswith(".dist-info") else item.name.lower()
        if stem in RUNTIME_PROVIDED:
            shutil.rmtree(item)


def copy_sources(sources: tuple[Path, ...], target: Path) -> None:
    for source in sources:
        if source.is_file():
            shutil.copy2(source, target / source.name)
        else:
            shutil.copytree(source, target / source.name, dirs_exist_ok=True)


def remove_local_only(package: Path, local_only: tuple[str, ...]) -> None:
    """Leave the laptop-only modules out; a name that no longer exists is a stale list."""
    for relative in local_only:
        path = package / relative
        if not path.is_file():
            raise PackagingError(f"{package.name}: local-only module {relative} is gone (update local_only)")
        path.unlink()


def prune(target: Path) -> None:
    """Drop caches, console scripts (absolute shebangs) and build leftovers."""
    for path in sorted(target.rglob("*"), reverse=True):
        top_level_leftover = path.is_dir() and path.parent == target and path.name in PRUNED_DIRS
        if top_level_leftover or path.name == "__pycache__":
            shutil.rmtree(path, ignore_errors=True)
        elif path.is_file() and path.suffix in PRUNED_SUFFIXES:
            path.unlink()
    for stale in ("target", "logs", "dbt_packages"):
        shutil.rmtree(target / "dbt_project" / stale, ignore_errors=True)


def binaries(root: Path) -> list[Path]:
    """Shared objects and DuckDB extensions under root."""
    found = [*root.rglob("*.so*"), *(p for suffix in BINARY_SUFFIXES for p in root.rglob(f"*{suffix}"))]
    return sorted(p for p in found if p.is_file())


def foreign_binaries(root: Path, arch: str) -> list[str]:
    """Shared objects (and DuckDB extensions) whose ELF machine is not the target architecture's."""
    wrong = []
    for path in binaries(root):
        head = path.read_bytes()[:20]
        if head[:4] == b"\x7fELF" and int.from_bytes(head[18:20], "little") != ELF_MACHINES[arch]:
            wrong.append(str(path.relative_to(root)))
    return wrong


def glibc_needed(path: Path) -> tuple[int, int]:
    """The newest glibc symbol version an ELF file names (its dynamic string table holds them)."""
    versions = [(2, int(minor)) for minor in re.findall(rb"GLIBC_2\.(\d+)", path.read_bytes())]
    return max(versions, default=(2, 0))


def too_new_for_the_runtime(root: Path, runtime: str) -> list[str]:
    """Binaries needing a newer glibc than the runtime's OS has: they would fail to load there."""
    limit = RUNTIME_GLIBC[runtime]
    return [
        f"{path.relative_to(root)} needs GLIBC_{'.'.join(map(str, needed))}"
        for path in binaries(root)
        if (needed := glibc_needed(path)) > limit
    ]


def write_reproducible_zip(root: Path, zip_path: Path) -> tuple[int, int]:
    """Zip every file under root, sorted, with fixed dates and modes; return (files, unzipped bytes)."""
    files = sorted((p for p in root.rglob("*") if p.is_file()), key=lambda p: p.relative_to(root).as_posix())
    unzipped = 0
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w") as archive:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(root).as_posix(), date_time=ZIP_DATE)
            info.external_attr = FILE_MODE << 16
            info.create_system = 3
            info.compress_type = zipfile.ZIP_DEFLATED
            data = path.read_bytes()
            unzipped += len(data)
            archive.writestr(info, data, compresslevel=9)
    return len(files), unzipped


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_limits(
    stats: ZipStats, max_zipped: int = MAX_ZIPPED_BYTES, max_unzipped: int = MAX_UNZIPPED_BYTES
) -> None:
    problems = []
    if stats.zipped_bytes > max_zipped:
        problems.append(
            f"zipped {stats.zipped_bytes / 2**20:.1f} MB > {max_zipped / 2**20:.0f} MB direct-upload limit"
        )
    if stats.unzipped_bytes > max_unzipped:
        problems.append(
            f"unzipped {stats.unzipped_bytes / 2**20:.1f} MB > {max_unzipped / 2**20:.0f} MB limit"
        )
    if problems:
        raise PackagingError(f"{stats.name}: " + "; ".join(problems) + " (trim requirements.txt)")


def build_function(function: Function, out_dir: Path, arch: str) -> ZipStats:
    with tempfile.TemporaryDirectory(prefix=f"pkg-{function.name}-") as tmp:
        staging = Path(tmp)
        log(f"{function.name}: installing {function.requirements.relative_to(REPO)} for {PLATFORMS[arch]}")
        install_requirements(function.requirements, staging, arch, function.python_version)
        remove_runtime_provided(staging)
        copy_sources(function.sources, staging)
        remove_local_only(staging / function.name, function.local_only)
        prune(staging)
        if wrong := foreign_binaries(staging, arch):
            raise PackagingError(f"{function.name}: binaries not built for {arch}: {wrong[:5]}")
        if too_new := too_new_for_the_runtime(staging, function.runtime):
            raise PackagingError(f"{function.name}: binaries too new for {function.runtime}: {too_new[:5]}")
        if missing := [name for name in function.required if not (staging / name).is_file()]:
            raise PackagingError(f"{function.name}: the zip lacks {missing}")
        zip_path = out_dir / f"{function.name}.zip"
        files, unzipped = write_reproducible_zip(staging, zip_path)
    stats = ZipStats(
        name=function.name,
        runtime=function.runtime,
        path=zip_path.relative_to(REPO).as_posix() if REPO in zip_path.parents else str(zip_path),
        sha256=sha256_of(zip_path),
        zipped_bytes=zip_path.stat().st_size,
        unzipped_bytes=unzipped,
        files=files,
    )
    log(
        f"{function.name}: {stats.files} files, {stats.zipped_bytes / 2**20:.1f} MB zipped, "
        f"{stats.unzipped_bytes / 2**20:.1f} MB unzipped, sha256 {stats.sha256[:12]}"
    )
    check_limits(stats)
    return stats


def write_manifest(out_dir: Path, arch: str, built: list[ZipStats]) -> Path:
    """Record every zip; a partial build (--only) keeps the entries of the others of the same arch."""
    path = out_dir / "manifest.json"
    functions = {}
    if path.is_file():
        previous = json.loads(path.read_text())
        if previous.get("architecture") == arch:
            functions = previous.get("functions", {})
    functions.update({stats.name: asdict(stats) for stats in built})
    manifest = {
        "runtime": RUNTIME,
        "architecture": arch,
        "platform": PLATFORMS[arch],
        "limits": {"max_zipped_bytes": MAX_ZIPPED_BYTES, "max_unzipped_bytes": MAX_UNZIPPED_BYTES},
        "functions": dict(sorted(functions.items())),
    }
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", choices=sorted(PLATFORMS), default="arm64", help="Lambda architecture")
    parser.add_argument("--out", type=Path, default=REPO / "build", help="output folder (default build/)")
    parser.add_argument("--only", nargs="+", choices=sorted(FUNCTIONS), help="build only these functions")
    args = parser.parse_args(argv)
    out_dir = args.out.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        built = [build_function(FUNCTIONS[name], out_dir, args.arch) for name in args.only or FUNCTIONS]
    except PackagingError as exc:
        log(f"FAILED: {exc}")
        return 1
    log(f"manifest: {write_manifest(out_dir, args.arch, built)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
