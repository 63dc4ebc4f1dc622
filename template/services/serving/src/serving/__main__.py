"""``serve``: run the prediction API with uvicorn.

Host and port come from ``APP_HOST`` / ``APP_PORT`` (defaults 127.0.0.1:8000); /metrics is
served on the same host at ``APP_METRICS_PORT`` (default 9000); ``APP_WORKERS`` worker
processes (default: one per CPU) each load the model and share the port; every other setting
from the ``APP_*`` variables read by ``contracts.Settings``. The container image sets
``APP_ENVIRONMENT=production``: a key is required and must be strong.
"""

import argparse
import ipaddress
import os
import socket
import sys
import tempfile
from typing import Any

from contracts import Settings
from contracts.cli import (
    EXIT_OK,
    NOISY_LOGGERS,
    CommandError,
    configure_logging,
    load_api_settings,
    port,
    run_command,
)

PROG = "serve"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Serve the champion model (MLflow alias 'champion') over HTTP. "
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
        "--metrics-host",
        default=os.environ.get("APP_METRICS_HOST"),
        help="bind address of the metrics port (env APP_METRICS_HOST, default: --host); "
        "lets a sidecar gateway own the API port while Prometheus still scrapes",
    )
    parser.add_argument(
        "--port",
        type=port,
        default=os.environ.get("APP_PORT", "8000"),
        help="port (env APP_PORT, default 8000)",
    )
    parser.add_argument(
        "--workers",
        type=worker_count,
        default=os.environ.get("APP_WORKERS", str(default_workers())),
        help="worker processes, each with its own copy of the model (env APP_WORKERS, "
        "default: the CPUs this process may use, %(default)s here)",
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


def default_workers() -> int:
    """One worker per CPU this process may run on (the affinity mask, where there is one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def worker_count(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if not 1 <= number <= 64:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of workers from 1 to 64")
    return number


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


def start_metrics_server(metrics_app: Any, host: str, port: int) -> None:
    """Serve /metrics on its own port in a background thread (not routed by the ingress)."""
    import threading

    import uvicorn

    config = uvicorn.Config(
        metrics_app,
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


def _prepare_process() -> None:
    tune_for_latency()
    # Serving never unpickles; should anything call MLflow's own loaders, they refuse too.
    os.environ["MLFLOW_ALLOW_PICKLE_DESERIALIZATION"] = "false"


def worker_app() -> Any:
    """The app of one worker process (uvicorn's factory when ``--workers`` > 1)."""
    from serving.app import create_app

    _prepare_process()
    return create_app(load_api_settings())


MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
# uvicorn kills a worker that does not answer its supervisor's ping within this time. Its
# default (5 s) kills workers still importing on a busy machine (imports hold the GIL), over
# and over; a stuck worker is still replaced, just later.
WORKER_HEALTHCHECK_SECONDS = 60


def multiprocess_metrics_app() -> Any:
    """/metrics adding up what every worker wrote to ``PROMETHEUS_MULTIPROC_DIR``."""
    from prometheus_client import make_asgi_app

    from serving.worker_metrics import workers_registry

    return make_asgi_app(registry=workers_registry())


def run_workers(app: str, **options: Any) -> None:
    """``uvicorn.run(app, workers=N, ...)``, on a listening socket from ``tcp_listener``."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(app, **options)
    Multiprocess(config, sockets=[tcp_listener(config.bind_socket())]).run()


def tcp_listener(bound: socket.socket) -> socket.socket:
    """``bound``, re-declared as a TCP socket so the connections it accepts turn Nagle off.

    uvicorn binds the workers' shared socket with protocol 0, and asyncio sets TCP_NODELAY
    only on connections accepted from a socket that says IPPROTO_TCP: each response (headers,
    then body) then waited for the client's delayed ACK, about 40 ms per request.
    """
    listener = socket.socket(bound.family, bound.type, socket.IPPROTO_TCP, fileno=bound.detach())
    listener.set_inheritable(True)
    return listener


def _serve(args: argparse.Namespace) -> int:
    settings = load_api_settings()
    check_exposure(settings, args.host)
    metrics_host = args.metrics_host or args.host
    _prepare_process()
    # Imported late so `serve --help` stays fast and config errors surface first.
    import uvicorn

    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "proxy_headers": args.proxy_headers,
        "server_header": False,
        "log_level": args.log_level,
    }
    if args.workers == 1:
        from serving.app import create_app, create_metrics_app

        app = create_app(settings)
        if settings.metrics_port:
            start_metrics_server(create_metrics_app(app), metrics_host, settings.metrics_port)
        uvicorn.run(app, **options)
        return EXIT_OK
    with tempfile.TemporaryDirectory(prefix="serving-metrics-") as metrics_dir:
        # Set before any worker starts (they inherit the environment, and prometheus_client
        # reads it when first imported there): each worker writes its values to this folder,
        # and /metrics, served here by the supervising process, adds them up.
        os.environ[MULTIPROCESS_ENV] = metrics_dir
        try:
            if settings.metrics_port:
                start_metrics_server(
                    multiprocess_metrics_app(), metrics_host, settings.metrics_port
                )
            run_workers(
                "serving.__main__:worker_app",
                factory=True,
                workers=args.workers,
                timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
                **options,
            )
        finally:
            del os.environ[MULTIPROCESS_ENV]
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level.upper(), quiet=NOISY_LOGGERS)
    return run_command(PROG, lambda: _serve(args))


if __name__ == "__main__":
    sys.exit(main())
