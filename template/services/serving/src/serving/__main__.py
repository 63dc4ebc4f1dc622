"""``serve``: run the prediction API with uvicorn.

Host and port come from ``APP_HOST`` / ``APP_PORT`` (defaults 127.0.0.1:8000); every other
setting from the ``APP_*`` variables read by ``contracts.Settings``.
"""

import argparse
import os
import sys

from contracts.cli import (
    EXIT_OK,
    NOISY_LOGGERS,
    configure_logging,
    load_settings,
    port,
    run_command,
)

PROG = "serve"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Serve the champion churn model (MLflow alias 'champion') over HTTP. "
            "Endpoints: POST /v1/predict, GET /healthz, GET /readyz, GET /metrics."
        ),
    )
    parser.add_argument(
        "--host",
        default=os.environ.get("APP_HOST", "127.0.0.1"),
        help="bind address (env APP_HOST, default 127.0.0.1; use 0.0.0.0 in containers)",
    )
    parser.add_argument(
        "--port",
        type=port,
        default=os.environ.get("APP_PORT", "8000"),
        help="port (env APP_PORT, default 8000)",
    )
    parser.add_argument(
        "--proxy-headers",
        action="store_true",
        help="trust X-Forwarded-* headers (only behind a proxy you control; see "
        "uvicorn's FORWARDED_ALLOW_IPS)",
    )
    parser.add_argument(
        "--log-level",
        default="info",
        choices=("critical", "error", "warning", "info", "debug"),
        help="log level (default: %(default)s)",
    )
    return parser


def _serve(args: argparse.Namespace) -> int:
    settings = load_settings()
    # Imported late so `serve --help` stays fast and config errors surface first.
    import uvicorn

    from serving.app import create_app

    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        proxy_headers=args.proxy_headers,
        server_header=False,
        log_level=args.log_level,
    )
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level.upper(), quiet=NOISY_LOGGERS)
    return run_command(PROG, lambda: _serve(args))


if __name__ == "__main__":
    sys.exit(main())
