"""Fetch the pinned Trino (server core + the Hive and Iceberg plugins) from Maven Central with `mvn`, once.

The unpacked server lives outside the repository clone, under
`${XDG_CACHE_HOME:-$HOME/.cache}/request-analytics/trino-<version>`, so every clone on the
machine (a fresh CI clone too) reuses it; the clone's git-ignored `.twin/dist/` links to it.
Only what the twin needs is fetched: the core tarball, the `trino-hive` plugin zip (the raw
JSON table) and the `trino-iceberg` plugin zip (every model: Iceberg tables, as on Athena).
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from pathlib import Path

from twin.settings import TRINO_VERSION, TwinSettings

# Artifact (group:artifact:version:packaging) -> where it is unpacked inside the server folder.
ARTIFACTS = {
    f"io.trino:trino-server-core:{TRINO_VERSION}:tar.gz": ".",
    f"io.trino:trino-hive:{TRINO_VERSION}:zip": "plugin",
    f"io.trino:trino-iceberg:{TRINO_VERSION}:zip": "plugin",
}


class TrinoFetchError(RuntimeError):
    """Maven could not fetch or unpack a Trino artifact."""


def trino_home(settings: TwinSettings) -> Path:
    """The unpacked server, fetched first if it is not cached yet; linked from the state dir."""
    home = settings.cache_dir / f"trino-{TRINO_VERSION}"
    plugins = home / "plugin"
    if not (home / "bin" / "launcher").exists() or not all(
        any(plugins.glob(f"trino-{name}-*")) for name in ("hive", "iceberg")
    ):
        fetch(home)
    link = settings.state_dir / "dist" / home.name
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.is_symlink() or link.resolve() != home.resolve():
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(home, target_is_directory=True)
    return home


def fetch(home: Path) -> None:
    """Download the artifacts with mvn into a scratch folder, unpack, then move into place."""
    if shutil.which("mvn") is None:
        raise TrinoFetchError("mvn is not on PATH: install Maven (apt-get install maven) to fetch Trino")
    home.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=home.parent, prefix=".fetch-") as scratch_name:
        scratch = Path(scratch_name)
        downloads = scratch / "downloads"
        for artifact in ARTIFACTS:
            print(f"twin: fetching {artifact} from Maven Central (first run only)", flush=True)
            proc = subprocess.run(
                [
                    "mvn",
                    "-q",
                    "-B",
                    "dependency:copy",
                    f"-Dartifact={artifact}",
                    f"-DoutputDirectory={downloads}",
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                raise TrinoFetchError(
                    f"mvn could not fetch {artifact}:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
                )
        server = scratch / "server"
        core = next(downloads.glob("trino-server-core-*.tar.gz"))
        with tarfile.open(core) as archive:
            archive.extractall(scratch / "unpacked", filter="tar")
        next((scratch / "unpacked").iterdir()).rename(server)
        for plugin in downloads.glob("*.zip"):
            with zipfile.ZipFile(plugin) as archive:
                # Maven Central's own artifact, its checksum verified by mvn.
                archive.extractall(server / "plugin")  # noqa: S202
        # zipfile drops the executable bit; the launcher and its native helpers need it.
        for binary in (server / "bin").rglob("*"):
            if binary.is_file():
                binary.chmod(0o755)
        if home.exists():
            shutil.rmtree(home)
        server.rename(home)
