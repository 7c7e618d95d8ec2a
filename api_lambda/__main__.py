"""Serve the API locally: `python -m api_lambda --host 127.0.0.1 --port 8000 [--demo-tokens PATH]`.

`--check-port` only says whether the port is free (exit 0), taken by another program (exit 1) or
by this API already running (exit 3, with where to find it); it needs nothing but the standard
library, so `make demo` runs it before installing or building anything.
"""

from __future__ import annotations

import argparse
import errno
import json
import signal
import socket
import sys
import urllib.request
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

ALREADY_RUNNING = 3  # exit status of --check-port when this API already serves on the port
AsgiApp = Callable[[MutableMapping[str, Any], Any, Any], Awaitable[None]]


def base_url(host: str, port: int) -> str:
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def port_taken_by(host: str, port: int) -> str | None:
    """None when `host:port` is free; "api" when this API answers there; "other" otherwise."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # Same option as uvicorn: a port left in TIME_WAIT by a stopped server counts as free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                return None  # e.g. a host name that does not resolve: uvicorn says so itself
        else:
            return None
    try:
        health = f"{base_url(host, port)}/v1/health"
        with urllib.request.urlopen(health, timeout=2) as response:  # noqa: S310 - always http://
            body = json.loads(response.read())
    except (OSError, ValueError):
        return "other"
    return "api" if isinstance(body, dict) and body.get("status") == "ok" else "other"


def port_message(host: str, port: int, taken_by: str) -> str:
    if taken_by == "api":
        return (
            f"==> The API and viewer are already running on {base_url(host, port)}/ (API under /v1).\n"
            "    Open that address, or stop that server (Ctrl-C in its terminal) to start a fresh one,\n"
            "    or serve a second one on another port (--port, or API_PORT=... with make)."
        )
    return (
        f"==> Port {port} on {host} is taken by another program (it does not answer /v1/health).\n"
        "    Stop it, or serve on another port (--port, or API_PORT=... with make)."
    )


def with_demo_config(app: AsgiApp, viewer_dir: Path) -> AsgiApp:
    """Answer the viewer's `config.json` with `demoTokens: true` added to the built one.

    Only this local server has `GET /v1/demo/tokens`; the flag tells the sign-in page to ask
    for the list, and every other page (S3, a server without `--demo-tokens`) never requests it.
    """

    async def app_with_config(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        asked = scope["type"] == "http" and scope["path"] == "/config.json"
        if not asked or scope["method"] not in ("GET", "HEAD"):
            await app(scope, receive, send)
            return
        try:
            config = json.loads((viewer_dir / "config.json").read_text())
        except (OSError, ValueError):
            config = {}
        config = config if isinstance(config, dict) else {}
        body = json.dumps({"apiBase": "", **config, "demoTokens": True}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})

    return app_with_config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api_lambda", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument(
        "--demo-tokens",
        type=Path,
        default=None,
        help="expose GET /v1/demo/tokens listing this tokens file (for the local viewer only)",
    )
    parser.add_argument(
        "--metrics",
        action="store_true",
        help="print the per-route CloudWatch EMF metric records on stdout, as the Lambda does",
    )
    parser.add_argument(
        "--check-port",
        action="store_true",
        help="only check the port: exit 0 when free, 3 when this API already serves there, 1 otherwise",
    )
    args = parser.parse_args(argv)
    # Before anything slow (the warehouse snapshot): a port already taken is said plainly here,
    # instead of uvicorn's "address already in use" after the server has been set up.
    taken_by = port_taken_by(args.host, args.port)
    if taken_by is not None:
        print(port_message(args.host, args.port, taken_by), file=sys.stderr)
        return ALREADY_RUNNING if args.check_port and taken_by == "api" else 1
    if args.check_port:
        return 0

    from api_lambda.asgi import create_app
    from api_lambda.auth import TokensFileAuthenticator
    from api_lambda.backends import make_backend
    from api_lambda.errors import SERVICE
    from api_lambda.metrics import RouteMetrics
    from api_lambda.settings import Settings, SettingsError

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        parser.error(str(exc))
    import uvicorn

    viewer = settings.viewer_dir if settings.viewer_dir.is_dir() else None
    backend = make_backend(settings)
    prepare = getattr(backend, "prepare", None)
    if prepare is not None:
        prepare()
    app: AsgiApp = create_app(
        settings,
        backend,
        TokensFileAuthenticator(settings.tokens_file),
        demo_tokens=args.demo_tokens,
        viewer_dir=viewer,
        metrics=RouteMetrics(settings.metrics_namespace, SERVICE) if args.metrics else None,
    )
    if viewer is not None and args.demo_tokens is not None:
        app = with_demo_config(app, viewer)
    marts = settings.marts_pointer if settings.backend == "lake" else f"warehouse {settings.warehouse_path}"
    print(
        f"==> API on http://{args.host}:{args.port}/v1 (backend {settings.backend}, "
        f"{marts}, tokens {settings.tokens_file})" + (f"; viewer {viewer} at /" if viewer else ""),
        file=sys.stderr,
    )
    # uvicorn re-raises SIGTERM/SIGINT after its graceful shutdown; exiting through SystemExit
    # instead lets the backend's atexit clean-up (the warehouse snapshot) run.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: sys.exit(0))
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
