"""Serve the API locally: `python -m api_lambda --host 127.0.0.1 --port 8000 [--demo-tokens PATH]`."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from api_lambda.asgi import create_app
from api_lambda.auth import TokensFileAuthenticator
from api_lambda.backends import make_backend
from api_lambda.settings import Settings, SettingsError


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
    args = parser.parse_args(argv)
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
    app = create_app(
        settings,
        backend,
        TokensFileAuthenticator(settings.tokens_file),
        demo_tokens=args.demo_tokens,
        viewer_dir=viewer,
    )
    print(
        f"==> API on http://{args.host}:{args.port}/v1 (backend {settings.backend}, "
        f"warehouse {settings.warehouse_path}, tokens {settings.tokens_file})"
        + (f"; viewer {viewer} at /" if viewer else ""),
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
