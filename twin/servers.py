"""Start, check and stop the twin's two servers on loopback: moto (S3) and Trino.

Everything the twin holds lives in moto's memory, the Trino file metastore included (it is kept
beside the marts in the lake bucket, as Glue's metadata would be in AWS): when moto restarts,
buckets, tables and metadata start empty together, so they never disagree.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
from botocore.client import BaseClient
from botocore.config import Config

from twin.distribution import trino_home
from twin.settings import TwinSettings
from twin.terraform_names import terraform_names

CATALOG = "hive"
REGION = "us-east-1"
# moto accepts any key; these only have to be the same for boto3 and Trino.
ACCESS_KEY, SECRET_KEY = "twin", "twin-secret"
START_TIMEOUT_S = 240


class TwinError(RuntimeError):
    """The twin could not start or answer."""


def s3_client(settings: TwinSettings) -> BaseClient:
    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(s3={"addressing_style": "path"}),
    )


def _pid_alive(pid_file: Path) -> int | None:
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def _port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def moto_pid(settings: TwinSettings) -> int | None:
    return _pid_alive(settings.state_dir / "moto.pid")


def start_moto(settings: TwinSettings) -> bool:
    """Start moto's server unless ours is running; True when it was started now (S3 is empty)."""
    if moto_pid(settings) is not None and _port_open(settings.s3_port):
        return False
    if _port_open(settings.s3_port):
        raise TwinError(f"port {settings.s3_port} is taken by another process: set TWIN_S3_PORT")
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    log = (settings.state_dir / "moto.log").open("ab")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(settings.s3_port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    (settings.state_dir / "moto.pid").write_text(str(server.pid))
    deadline = time.monotonic() + 30
    while not _port_open(settings.s3_port):
        if server.poll() is not None or time.monotonic() > deadline:
            raise TwinError(f"moto_server did not start; see {settings.state_dir / 'moto.log'}")
        time.sleep(0.1)
    # A new moto holds nothing: any record of a lake built before is void.
    (settings.state_dir / "lake_key.json").unlink(missing_ok=True)
    return True


def ensure_buckets(settings: TwinSettings) -> None:
    s3 = s3_client(settings)
    names = terraform_names()
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if names.lake_bucket not in existing:
        s3.create_bucket(Bucket=names.lake_bucket)


def trino_config(settings: TwinSettings) -> dict[str, str]:
    """The files of Trino's etc/ folder: one node on loopback, Hive and Iceberg catalogs over moto's S3."""
    names = terraform_names()
    heap = settings.heap_gb
    # Glue's stand-in, shared by both catalogs. The file metastore only accepts managed tables
    # under its own directory, so it is dbt's data directory.
    metastore = [
        f"hive.metastore.catalog.dir={names.marts_data_dir}",
        "fs.native-s3.enabled=true",
        f"s3.endpoint={settings.s3_endpoint}",
        "s3.path-style-access=true",
        f"s3.region={REGION}",
        f"s3.aws-access-key={ACCESS_KEY}",
        f"s3.aws-secret-key={SECRET_KEY}",
    ]
    return {
        "node.properties": "\n".join(
            [
                "node.environment=twin",
                "node.id=twin",
                f"node.data-dir={settings.state_dir / 'trino' / 'data'}",
                "node.bind-ip=127.0.0.1",
                "node.internal-address=127.0.0.1",
            ]
        ),
        "jvm.config": "\n".join(
            [
                "-server",
                f"-Xmx{heap}G",
                "-XX:+UseG1GC",
                "-XX:+ExitOnOutOfMemoryError",
                "-XX:ReservedCodeCacheSize=256M",
                "-XX:+EnableDynamicAgentLoading",
                "-Djdk.attach.allowAttachSelf=true",
                "-Dfile.encoding=UTF-8",
                "--enable-native-access=ALL-UNNAMED",
            ]
        ),
        "config.properties": "\n".join(
            [
                "coordinator=true",
                "node-scheduler.include-coordinator=true",
                f"http-server.http.port={settings.trino_port}",
                f"discovery.uri={settings.trino_endpoint}",
                f"query.max-memory={max(1, heap // 2)}GB",
                f"query.max-memory-per-node={max(1, heap // 2)}GB",
                # Every query of a dbt run stays listed (/v1/query) for `make bench` to read its bytes.
                "query.max-history=10000",
                f"query.max-stage-count={settings.max_stages}",
            ]
        ),
        "log.properties": "io.trino=WARN",
        "catalog/hive.properties": "\n".join(
            [
                "connector.name=hive",
                "hive.metastore=file",
                *metastore,
                # Athena writes into external tables too (the raw table is one).
                "hive.non-managed-table-writes-enabled=true",
                "hive.timestamp-precision=MILLISECONDS",
                # One Glue catalog holds both kinds on AWS: an Iceberg table named through the
                # hive catalog is read through the iceberg one, and the other way round.
                "hive.iceberg-catalog-name=iceberg",
            ]
        ),
        # Every model is an Iceberg table (docs/adr/0003), as on Athena.
        "catalog/iceberg.properties": "\n".join(
            [
                "connector.name=iceberg",
                # The file metastore (Glue's stand-in, as for the hive catalog) is this type in Trino.
                "iceberg.catalog.type=TESTING_FILE_METASTORE",
                *metastore,
                "iceberg.file-format=PARQUET",
                "iceberg.hive-catalog-name=hive",
                # As dbt-athena's schema_table_unique naming: a table's folder is new each time
                # it is created (<marts_data_dir>/<schema>/<table>-<uuid>/).
                "iceberg.unique-table-location=true",
                f"parquet.small-file-threshold={settings.parquet_small_file_kb}kB",
            ]
        ),
    }


def _trino_info(settings: TwinSettings) -> dict | None:
    try:
        with urllib.request.urlopen(f"{settings.trino_endpoint}/v1/info", timeout=2) as response:  # noqa: S310
            return json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _launcher(settings: TwinSettings, home: Path, command: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JAVA_HOME": str(settings.java_home)}
    env["PATH"] = f"{settings.java_home / 'bin'}:{env.get('PATH', '')}"
    etc, data = settings.state_dir / "trino" / "etc", settings.state_dir / "trino" / "data"
    return subprocess.run(
        [str(home / "bin" / "launcher"), command, f"--etc-dir={etc}", f"--data-dir={data}"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def trino_pid(settings: TwinSettings) -> int | None:
    return _pid_alive(settings.state_dir / "trino" / "data" / "var" / "run" / "launcher.pid")


def start_trino(settings: TwinSettings) -> None:
    """Write etc/ and start Trino unless it runs with that very configuration; wait until it serves."""
    home = trino_home(settings)
    config = trino_config(settings)
    digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()
    stamp = settings.state_dir / "trino" / "config.sha256"
    running = trino_pid(settings) is not None
    if running and stamp.exists() and stamp.read_text() == digest:
        return wait_for_trino(settings)
    if running:
        stop_trino(settings)
    if _port_open(settings.trino_port):
        raise TwinError(f"port {settings.trino_port} is taken by another process: set TWIN_TRINO_PORT")
    etc = settings.state_dir / "trino" / "etc"
    for name, text in config.items():
        (etc / name).parent.mkdir(parents=True, exist_ok=True)
        (etc / name).write_text(text + "\n")
    stamp.write_text(digest)
    proc = _launcher(settings, home, "start")
    if proc.returncode != 0:
        raise TwinError(f"Trino's launcher failed:\n{proc.stdout}{proc.stderr}")
    wait_for_trino(settings)


def wait_for_trino(settings: TwinSettings) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    log = settings.state_dir / "trino" / "data" / "var" / "log" / "server.log"
    while True:
        info = _trino_info(settings)
        if info is not None and not info.get("starting", True):
            return
        if trino_pid(settings) is None:
            raise TwinError(f"Trino exited while starting; see {log}")
        if time.monotonic() > deadline:
            raise TwinError(f"Trino did not start within {START_TIMEOUT_S} s; see {log}")
        time.sleep(0.5)


def stop_trino(settings: TwinSettings) -> None:
    if trino_pid(settings) is None:
        return
    _launcher(settings, trino_home(settings), "stop")
    deadline = time.monotonic() + 30
    while trino_pid(settings) is not None and time.monotonic() < deadline:
        time.sleep(0.2)


def stop_moto(settings: TwinSettings) -> None:
    pid = moto_pid(settings)
    if pid is not None:
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while _pid_alive(settings.state_dir / "moto.pid") is not None and time.monotonic() < deadline:
            time.sleep(0.1)
    (settings.state_dir / "moto.pid").unlink(missing_ok=True)
    (settings.state_dir / "lake_key.json").unlink(missing_ok=True)


def up(settings: TwinSettings) -> float:
    """Start whatever is not running (idempotent); the seconds it took."""
    started = time.monotonic()
    start_moto(settings)
    ensure_buckets(settings)
    start_trino(settings)
    return time.monotonic() - started


def down(settings: TwinSettings) -> None:
    stop_trino(settings)
    stop_moto(settings)


def running(settings: TwinSettings) -> bool:
    return (
        moto_pid(settings) is not None
        and trino_pid(settings) is not None
        and _trino_info(settings) is not None
    )
