"""Fixtures for the viewer's browser tests: a fresh viewer build, the real API over the dbt-built
warehouse, tokens for real tenants of that warehouse, and Debian's headless Chromium.

Everything runs on 127.0.0.1; the API server is a subprocess on a free port, stopped at the end.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[2]
VIEWER = REPO / "viewer"
ARTIFACTS = REPO / "tests" / "artifacts" / "viewer"
CHROMIUM = Path("/usr/bin/chromium")
# Without the networking flags Chromium keeps trying to reach Google's services.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_LIMIT_S = 90


@dataclass(frozen=True)
class Tenants:
    """Real tenants of the warehouse, one per level, and the range that holds their data."""

    client: dict[str, str]
    reseller: dict[str, str]
    user: dict[str, str]
    sibling_reseller: dict[str, str]  # another reseller of the same client
    colliding_reseller: dict[str, str] | None  # the same reseller id under another client, if any
    first_date: str
    last_date: str


@dataclass(frozen=True)
class Api:
    base: str
    tokens: dict[str, str]  # level -> token

    def get(self, path: str, level: str, **params: Any) -> dict[str, Any]:
        """GET a route as the principal of `level`; the numbers the page must show."""
        status, body = self.get_status(path, level, **params)
        assert status == 200, f"{path} {params} as {level}: HTTP {status} {body}"
        return body

    def get_status(self, path: str, level: str | None, **params: Any) -> tuple[int, dict[str, Any]]:
        query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        url = f"{self.base}{path}{'?' + query if query else ''}"
        request = urllib.request.Request(url)  # noqa: S310 - always http://127.0.0.1
        if level is not None:
            request.add_header("Authorization", f"Bearer {self.tokens[level]}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - 127.0.0.1 only
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"{}")


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run `make browser-setup` (installs Debian's chromium) and retry."
        )
    return CHROMIUM


@pytest.fixture(scope="session")
def viewer_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the viewer from its current source into a temp dir (viewer/dist is left alone)."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: the viewer build needs Node.js 18+.")
    if not (VIEWER / "node_modules" / "chart.js").is_dir():
        pytest.fail(
            "viewer/node_modules is missing: run `make viewer` (npm ci of the pinned packages) and retry."
        )
    out = tmp_path_factory.mktemp("viewer") / "dist"
    proc = subprocess.run(
        [node, "build.mjs"],
        cwd=VIEWER,
        env={**os.environ, "VIEWER_OUT": str(out), "VIEWER_API_BASE": ""},
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        pytest.fail(f"viewer build failed:\n{proc.stdout}\n{proc.stderr}")
    return out


@pytest.fixture(scope="session")
def tenants(built_warehouse: Any) -> Tenants:
    """Pick the busiest tenants so every level has sessions, requests and products to show."""
    con = duckdb.connect(str(built_warehouse.warehouse_path), read_only=True)
    try:
        client_id, reseller_id = con.execute(
            """
            with resellers as (
                select client_id, reseller_id, count(*) as n,
                       count(*) over (partition by client_id) as siblings
                from marts.fct_sessions group by client_id, reseller_id
            )
            select client_id, reseller_id from resellers
            where siblings > 1 order by n desc, client_id, reseller_id limit 1
            """
        ).fetchone()
        sibling = con.execute(
            """
            select reseller_id from marts.fct_sessions
            where client_id = ? and reseller_id <> ?
            group by reseller_id order by count(*) desc, reseller_id limit 1
            """,
            [client_id, reseller_id],
        ).fetchone()[0]
        user_id = con.execute(
            """
            select user_id from marts.fct_sessions where client_id = ? and reseller_id = ?
            group by user_id order by count(*) desc, user_id limit 1
            """,
            [client_id, reseller_id],
        ).fetchone()[0]
        colliding = con.execute(
            "select client_id from marts.fct_sessions where reseller_id = ? and client_id <> ? limit 1",
            [reseller_id, client_id],
        ).fetchone()
        first, last = con.execute(
            "select min(event_date), max(event_date) from marts.fct_requests"
        ).fetchone()
    finally:
        con.close()
    return Tenants(
        client={"client_id": client_id},
        reseller={"client_id": client_id, "reseller_id": reseller_id},
        user={"client_id": client_id, "reseller_id": reseller_id, "user_id": user_id},
        sibling_reseller={"client_id": client_id, "reseller_id": sibling},
        colliding_reseller={"client_id": colliding[0], "reseller_id": reseller_id} if colliding else None,
        first_date=str(first),
        last_date=str(last),
    )


@pytest.fixture(scope="session")
def tokens_file(tenants: Tenants, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    principals = {
        "t-viewer-global": {"level": "global"},
        "t-viewer-client": {"level": "client", **tenants.client},
        "t-viewer-reseller": {"level": "reseller", **tenants.reseller},
        "t-viewer-user": {"level": "user", **tenants.user},
    }
    path = tmp_path_factory.mktemp("tokens") / "tokens.json"
    path.write_text(json.dumps(principals, indent=2))
    return path, {principal["level"]: token for token, principal in principals.items()}


@contextmanager
def serve_api(
    warehouse: Path, tokens_path: Path, tokens: dict[str, str], viewer_dist: Path, *, demo_tokens: bool = True
) -> Iterator[Api]:
    """Run `python -m api_lambda` on a free 127.0.0.1 port, serving the viewer build at `/`.

    With `demo_tokens` (as `make demo` runs it) the sign-in page lists the tokens; without it the
    server is the plain `make serve` one, whose page must not ask for them.
    """
    port = free_port()
    env = {
        **os.environ,
        "WAREHOUSE_PATH": str(warehouse),
        "API_TOKENS_FILE": str(tokens_path),
        "VIEWER_DIR": str(viewer_dist),
    }
    command = [sys.executable, "-m", "api_lambda", "--host", "127.0.0.1", "--port", str(port)]
    log = tokens_path.parent / f"api-{port}.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [*command, *(["--demo-tokens", str(tokens_path)] if demo_tokens else [])],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_LIMIT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"the API exited with {proc.returncode} before serving:\n{log.read_text()[-4000:]}"
                )
            try:
                with urllib.request.urlopen(f"{base}/v1/health", timeout=2):  # noqa: S310 - 127.0.0.1 only
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    pytest.fail(f"the API did not answer /v1/health:\n{log.read_text()[-4000:]}")
                time.sleep(0.2)
        yield Api(base=base, tokens=tokens)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def start_api(
    tokens_file: tuple[Path, dict[str, str]], viewer_dist: Path
) -> Callable[..., AbstractContextManager[Api]]:
    """Start another API with the same tokens and viewer over any warehouse path (e.g. a missing one)."""
    path, tokens = tokens_file
    return lambda warehouse, demo_tokens=True: serve_api(
        warehouse, path, tokens, viewer_dist, demo_tokens=demo_tokens
    )


@pytest.fixture(scope="session")
def api(built_warehouse: Any, tokens_file: tuple[Path, dict[str, str]], viewer_dist: Path) -> Iterator[Api]:
    """The real API over the dbt-built warehouse, serving the viewer build at `/`."""
    path, tokens = tokens_file
    with serve_api(built_warehouse.warehouse_path, path, tokens, viewer_dist) as served:
        yield served


@pytest.fixture(scope="session")
def browser(chromium_path: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# How Chromium reports a response with an error status in the console (fetch included).
FAILED_LOAD = re.compile(r"Failed to load resource: the server responded with a status of (\d{3})")


@dataclass
class Console:
    """What a page wrote to its console as errors, and the HTTP errors the test provokes on purpose.

    A test that makes the API refuse something (a bad token, another tenant's view, a warehouse
    that is down) names those statuses with `expect_http_errors`; any other console error fails it.
    """

    errors: list[str] = field(default_factory=list)
    expected_statuses: set[int] = field(default_factory=set)

    def record(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def expect_http_errors(self, *statuses: int) -> None:
        self.expected_statuses.update(statuses)

    def unexpected(self) -> list[str]:
        def expected(text: str) -> bool:
            failed = FAILED_LOAD.search(text)
            return failed is not None and int(failed.group(1)) in self.expected_statuses

        return [text for text in self.errors if not expected(text)]


@pytest.fixture
def console() -> Console:
    return Console()


@contextmanager
def open_page(browser: Any, console: Console, width: int = 1280, height: int = 900) -> Iterator[Any]:
    """A page in a fresh browser context (its own sessionStorage, so sign-in starts clean).

    On leaving, the page must have had no JavaScript error, no console error the test did not
    provoke on purpose, and no request to a host other than the local server.
    """
    viewport = {"width": width, "height": height}
    context = browser.new_context(viewport=viewport, locale="en-US", timezone_id="UTC")
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", console.record)
    # Nothing may load from a CDN or any other host: every request stays on the local server.
    foreign: list[str] = []
    page.on(
        "request",
        lambda request: (
            None if request.url.startswith(("http://127.0.0.1:", "data:")) else foreign.append(request.url)
        ),
    )
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
    assert not console.unexpected(), f"console errors on the page: {console.unexpected()}"
    assert not foreign, f"the page requested other hosts: {foreign}"


@pytest.fixture
def page(browser: Any, console: Console) -> Iterator[Any]:
    """A desktop-sized page; see `open_page` for what it must not do."""
    with open_page(browser, console) as opened:
        yield opened


@pytest.fixture(scope="session")
def axe_script() -> str:
    """axe-core (pinned in viewer/package-lock.json), injected into pages to check accessibility."""
    path = VIEWER / "node_modules" / "axe-core" / "axe.min.js"
    if not path.is_file():
        pytest.fail("viewer/node_modules/axe-core is missing: run `make viewer` (npm ci) and retry.")
    return path.read_text()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
