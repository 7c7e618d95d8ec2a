"""`make package`: reproducible zips within Lambda's limits, the right content in each."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from terraform_helpers import REPO, function_modules

SCRIPT = REPO / "packaging" / "build_lambdas.py"


def load_builder():
    # A file import, not `import packaging`: that name belongs to PyPI's packaging library.
    spec = importlib.util.spec_from_file_location("build_lambdas", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_lambdas"] = module
    spec.loader.exec_module(module)
    return module


builder = load_builder()


def make_tree(root: Path, mtime: int, mode: int) -> None:
    for rel, text in {
        "pkg/__init__.py": "",
        "pkg/mod.py": "X = 1\n",
        "z.txt": "z",
        "a/b/c.json": "{}",
    }.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(mode)
        os.utime(path, (mtime, mtime))


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_zip_is_byte_identical_whatever_the_file_times_and_modes(tmp_path: Path):
    # Given the same files written twice with different times and permissions
    make_tree(tmp_path / "one", mtime=1_700_000_000, mode=0o600)
    make_tree(tmp_path / "two", mtime=1_800_000_000, mode=0o755)
    # When both are zipped
    builder.write_reproducible_zip(tmp_path / "one", tmp_path / "one.zip")
    files, unzipped = builder.write_reproducible_zip(tmp_path / "two", tmp_path / "two.zip")
    # Then the zips are identical, sorted, dated 1980-01-01 and mode 0644
    assert sha(tmp_path / "one.zip") == sha(tmp_path / "two.zip")
    assert (files, unzipped) == (4, len("X = 1\n") + 1 + 2)
    with zipfile.ZipFile(tmp_path / "two.zip") as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == ["a/b/c.json", "pkg/__init__.py", "pkg/mod.py", "z.txt"]
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}


def test_limits_fail_clearly():
    # Given a package over the direct-upload size and one over the unzipped size
    big_zip = builder.ZipStats("api_lambda", "build/api_lambda.zip", "0" * 64, 60 * 2**20, 100 * 2**20, 10)
    big_tree = builder.ZipStats("dbt_runner", "build/dbt_runner.zip", "0" * 64, 40 * 2**20, 300 * 2**20, 10)
    # Then each is refused with the function's name and the numbers
    with pytest.raises(builder.PackagingError, match=r"api_lambda: zipped 60\.0 MB > 50 MB"):
        builder.check_limits(big_zip)
    with pytest.raises(builder.PackagingError, match=r"dbt_runner: unzipped 300\.0 MB > 250 MB"):
        builder.check_limits(big_tree)
    # And a package within both passes
    builder.check_limits(builder.ZipStats("ingest_lambda", "x", "0" * 64, 2**20, 5 * 2**20, 10))


def test_foreign_machine_code_is_found(tmp_path: Path):
    # Given an x86-64 and an aarch64 ELF header
    (tmp_path / "x86.so").write_bytes(b"\x7fELF" + b"\0" * 14 + (0x3E).to_bytes(2, "little"))
    (tmp_path / "arm.so").write_bytes(b"\x7fELF" + b"\0" * 14 + (0xB7).to_bytes(2, "little"))
    # Then building for arm64 flags only the x86 one
    assert builder.foreign_binaries(tmp_path, "arm64") == ["x86.so"]
    assert builder.foreign_binaries(tmp_path, "x86_64") == ["arm.so"]


def test_runtime_provided_libraries_and_caches_are_dropped(tmp_path: Path):
    # Given a pip --target folder with boto3, a cache and console scripts
    for rel in (
        "boto3/__init__.py",
        "boto3-1.0.dist-info/RECORD",
        "botocore/x.py",
        "bin/dbt",
        "fastapi/__init__.py",
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    (tmp_path / "fastapi/__pycache__").mkdir()
    (tmp_path / "fastapi/__pycache__/a.cpython-311.pyc").write_text("")
    # When pruned
    builder.remove_runtime_provided(tmp_path)
    builder.prune(tmp_path)
    # Then only the function's own dependency is left
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "fastapi",
        "fastapi/__init__.py",
    ]


def build(out: Path, *names: str, arch: str = "arm64") -> dict:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out), "--arch", arch, "--only", *names],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads((out / "manifest.json").read_text())


# What the python3.11 Lambda runtime provides besides the standard library.
RUNTIME_LIBRARIES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py")


# What Terraform and the runtime give each function that its import reads (the API builds its
# backend at import: DuckDB with its extensions loaded from the zip, its S3 secret made).
DEPLOYED_ENV = {
    "api_lambda": {
        "API_MARTS_POINTER": "s3://lake/marts/_serving/current.json",
        "AWS_REGION": "eu-west-2",
        "AWS_ACCESS_KEY_ID": "role-key",
        "AWS_SECRET_ACCESS_KEY": "role-secret",
        "AWS_SESSION_TOKEN": "role-token",
    },
}


def interpreter(runtime: str) -> str | None:
    """A working interpreter of a Lambda runtime's Python on this machine (PATH, then pyenv's)."""
    if runtime == f"python{sys.version_info.major}.{sys.version_info.minor}":
        return sys.executable
    version = runtime.removeprefix("python")
    candidates = [
        shutil.which(runtime),
        *sorted(Path.home().glob(f".pyenv/versions/{version}*/bin/{runtime}")),
    ]
    for candidate in filter(None, candidates):
        if subprocess.run([str(candidate), "-c", "pass"], capture_output=True).returncode == 0:
            return str(candidate)
    return None


def import_in_a_bare_interpreter(
    code_dir: Path,
    runtime_dir: Path,
    modules: list[str],
    env: dict[str, str] | None = None,
    python: str = sys.executable,
) -> subprocess.CompletedProcess:
    """Import modules with only the stdlib, the runtime's libraries and the unzipped package on the path."""
    code = (
        f"import sys; sys.path[:0] = [{str(code_dir)!r}, {str(runtime_dir)!r}]; "
        + "; ".join(f"import {m}" for m in modules)
        + "; print('imported')"
    )
    return subprocess.run(
        [python, "-S", "-I", "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "HOME": str(code_dir.parent), **(env or {})},
    )


def runtime_like(tmp_path: Path) -> Path:
    site = Path(next(p for p in sys.path if p.endswith("site-packages")))
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    for name in RUNTIME_LIBRARIES:
        (runtime / name).symlink_to(site / name)
    return runtime


@pytest.mark.slow
def test_arm64_package_is_reproducible(tmp_path: Path):
    # Given the ingest built twice from PyPI wheels for arm64 (the default)
    first = build(tmp_path / "one", "ingest_lambda")
    second = build(tmp_path / "two", "ingest_lambda")
    # Then the same inputs gave the same bytes, and the manifest records the file's hash
    stats = first["functions"]["ingest_lambda"]
    assert first["platform"] == "manylinux2014_aarch64"
    assert stats["sha256"] == second["functions"]["ingest_lambda"]["sha256"]
    assert sha(tmp_path / "one" / "ingest_lambda.zip") == stats["sha256"]


@pytest.mark.slow
def test_real_packages_are_small_lean_and_import_on_their_own(tmp_path: Path):
    # Given the ingest and API built for this machine's architecture, so that they can be imported
    manifest = build(tmp_path / "out", "ingest_lambda", "api_lambda", arch="x86_64")
    runtime = runtime_like(tmp_path)
    for name, stats in manifest["functions"].items():
        # Then each is within Lambda's limits
        assert stats["zipped_bytes"] <= builder.MAX_ZIPPED_BYTES, name
        assert stats["unzipped_bytes"] <= builder.MAX_UNZIPPED_BYTES, name
        zip_path = tmp_path / "out" / f"{name}.zip"
        assert sha(zip_path) == stats["sha256"]
        with zipfile.ZipFile(zip_path) as archive:
            names = archive.namelist()
            archive.extractall(tmp_path / name)
        top = {n.split("/")[0] for n in names}
        # And holds its code but neither the runtime's boto3 nor caches
        assert f"{name}/handler.py" in names
        assert not top & {"boto3", "botocore", "s3transfer", "bin", "__pycache__"}, name
        assert not any(n.endswith(".pyc") for n in names)
        # And its handler imports with nothing but the runtime's libraries beside it, in its
        # runtime's Python (the API's DuckDB loads its extensions from the zip, offline)
        python = interpreter(stats["runtime"])
        assert python is not None, f"{stats['runtime']} is needed to import {name}"
        proc = import_in_a_bare_interpreter(
            tmp_path / name, runtime, [f"{name}.handler"], DEPLOYED_ENV.get(name), python
        )
        assert proc.stdout.strip().endswith("imported"), proc.stderr[-3000:]
    # And the API, which reads the marts with DuckDB, carries its S3 and Iceberg extensions but no
    # dataframe weight, nor the laptop's modules (the local server, the tokens file tool,
    # warehouse snapshots)
    with zipfile.ZipFile(tmp_path / "out" / "api_lambda.zip") as archive:
        api_names = set(archive.namelist())
    top = {n.split("/")[0] for n in api_names}
    assert not top & {"pandas", "pyarrow", "numpy"}, sorted(top)
    assert {"duckdb", "serving", "duckdb_extension_httpfs", "duckdb_extension_iceberg"} <= top
    assert set(builder.FUNCTIONS["api_lambda"].required) <= api_names
    assert manifest["functions"]["api_lambda"]["runtime"] == "python3.12"
    local_only = {f"api_lambda/{m}" for m in builder.FUNCTIONS["api_lambda"].local_only}
    assert local_only == {
        "api_lambda/__main__.py",
        "api_lambda/asgi.py",
        "api_lambda/tokens.py",
        "api_lambda/backends/duckdb.py",
    }
    assert not api_names & local_only, sorted(api_names & local_only)


@pytest.mark.slow
def test_dbt_task_bundle_runs_its_entry_point_with_only_the_image_libraries(tmp_path: Path):
    # Given the dbt runner's bundle built for this machine's architecture, unpacked
    manifest = build(tmp_path / "out", "dbt_runner", arch="x86_64")
    stats = manifest["functions"]["dbt_runner"]
    with zipfile.ZipFile(tmp_path / "out" / "dbt_runner.zip") as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "bundle")
    # Then it holds the runner, the project and the profiles, but not the image's boto3
    assert {"dbt_runner/__main__.py", "dbt_runner/bootstrap.py", "profiles.yml"} <= set(names)
    assert "dbt_project/dbt_project.yml" in names
    assert not {n.split("/")[0] for n in names} & {"boto3", "botocore", "s3transfer"}
    assert stats["unzipped_bytes"] <= builder.MAX_UNZIPPED_BYTES
    # And the task's entry point, dbt and the Athena adapter import with only the bundle and the
    # image's libraries (the same as Lambda's python3.11 runtime) on the path
    modules = ["dbt_runner.__main__", "dbt.cli.main", "dbt.adapters.athena"]
    proc = import_in_a_bare_interpreter(tmp_path / "bundle", runtime_like(tmp_path), modules)
    assert proc.stdout.strip().endswith("imported"), proc.stderr[-3000:]


def test_a_binary_needing_a_newer_glibc_than_the_runtime_is_refused(tmp_path: Path):
    # Given a DuckDB extension that names glibc 2.28 (as httpfs and iceberg 1.5.5 do: fcntl64)
    extension = tmp_path / "duckdb_extension_iceberg" / "iceberg.duckdb_extension"
    extension.parent.mkdir()
    extension.write_bytes(b"\x7fELF" + b"\0" * 16 + b"fcntl64\0GLIBC_2.17\0GLIBC_2.28\0")
    # Then python3.11's Amazon Linux 2 (glibc 2.26) cannot load it, python3.12's AL2023 can
    assert builder.too_new_for_the_runtime(tmp_path, "python3.11") == [
        "duckdb_extension_iceberg/iceberg.duckdb_extension needs GLIBC_2.28"
    ]
    assert builder.too_new_for_the_runtime(tmp_path, "python3.12") == []


def test_local_only_modules_are_left_out_and_a_stale_list_fails(tmp_path: Path):
    # Given a package with a local-only module
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "sub" / "local.py").write_text("")
    (package / "kept.py").write_text("")
    # When it is pruned, then only that module goes
    builder.remove_local_only(package, ("sub/local.py",))
    assert sorted(p.name for p in package.rglob("*.py")) == ["kept.py"]
    # And a name that no longer exists fails, naming it
    with pytest.raises(builder.PackagingError, match=r"gone\.py"):
        builder.remove_local_only(package, ("gone.py",))


def test_each_function_runs_on_the_runtime_its_package_is_built_for(root):
    # Given the functions Terraform deploys and the runtime each package is built for
    calls = {name: call for name, call in function_modules(root).items()}
    for call in calls.values():
        package = call["handler"].split(".")[0]
        # Then the function's runtime is its package's (the module's default is python3.11)
        assert call.get("runtime", "python3.11") == builder.FUNCTIONS[package].runtime, package
