"""``serve``: run the prediction API with uvicorn.

Host and port come from ``APP_HOST`` / ``APP_PORT`` (defaults 127.0.0.1:8000); /metrics is
served on the same host at ``APP_METRICS_PORT`` (default 9000); every other setting from the
``APP_*`` variables read by ``contracts.Settings``. The container image sets
``APP_ENVIRONMENT=production``: a key is required and must be strong.
"""

import argparse
import ipaddress
import os
import sys

from contracts import Settings
from contracts.cli import (
    EXIT_OK,
    NOISY_LOGGERS,
    CommandError,
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
            "Endpoints: the prediction API (see services/serving/README.md), GET /healthz, "
            "GET /readyz; GET /metrics on APP_METRICS_PORT."
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


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(settings: Settings, host: str) -> None:
    """An API without keys (local development) may only listen on the loopback interface."""
    from serving.auth import auth_is_disabled

    if auth_is_disabled(settings) and not _is_loopback(host):
        raise CommandError(
            f"refusing to serve without an API key on {host}: set APP_API_KEY "
            "(and APP_ENVIRONMENT=production) or bind 127.0.0.1"
        )


def start_metrics_server(app: object, host: str, port: int) -> None:
    """Serve /metrics on its own port in a background thread (not routed by the ingress)."""
    import threading

    import uvicorn

    from serving.app import create_metrics_app

    config = uvicorn.Config(
        create_metrics_app(app),  # type: ignore[arg-type]
        host=host,
        port=port,
        lifespan="off",
        server_header=False,
        log_level="warning",
        access_log=False,
    )
    # uvicorn handles signals in the main thread only: they stay with the API server, and
    # this daemon thread ends with the process.
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, name="metrics", daemon=True).start()


# Worker threads parse and predict while the event loop answers probes; a shorter GIL switch
# interval (default 5 ms) lets the loop in sooner, keeping /healthz fast under load.
GIL_SWITCH_INTERVAL_SECONDS = 0.001


def tune_for_latency() -> None:
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_SECONDS)


def _serve(args: argparse.Namespace) -> int:
    settings = load_settings()
    check_exposure(settings, args.host)
    tune_for_latency()
    # Serving never unpickles; should anything call MLflow's own loaders, they refuse too.
    os.environ["MLFLOW_ALLOW_PICKLE_DESERIALIZATION"] = "false"
    # Imported late so `serve --help` stays fast and config errors surface first.
    import uvicorn

    from serving.app import create_app

    app = create_app(settings)
    if settings.metrics_port:
        start_metrics_server(app, args.host, settings.metrics_port)
    uvicorn.run(
        app,
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
