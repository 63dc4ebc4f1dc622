"""The ``serve`` command: configuration is checked before uvicorn starts."""

import asyncio
import os
import socket
from pathlib import Path

import pytest

from serving.__main__ import main

STRONG_KEY = "k" * 32  # pragma: allowlist secret


@pytest.fixture
def metrics_servers(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Record the metrics server start instead of binding its port."""
    import serving.__main__ as cli

    calls: list[tuple[str, int]] = []
    monkeypatch.setattr(
        cli, "start_metrics_server", lambda app, host, port: calls.append((host, port))
    )
    return calls


@pytest.fixture
def uvicorn_calls(
    monkeypatch: pytest.MonkeyPatch, metrics_servers: list[tuple[str, int]]
) -> list[dict[str, object]]:
    """Record the server starts (one worker or several) instead of binding a port."""
    import uvicorn

    # `serve` turns pickle off for its process; setting it here first makes monkeypatch
    # restore the original state for the other tests (delenv of an unset name would not).
    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true")

    import serving.__main__ as cli

    calls: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append(kwargs))
    monkeypatch.setattr(cli, "run_workers", lambda app, **kwargs: calls.append(kwargs))
    return calls


def test_serve_starts_uvicorn_with_the_arguments(
    tmp_path,
    monkeypatch: pytest.MonkeyPatch,
    uvicorn_calls: list[dict[str, object]],
    metrics_servers: list[tuple[str, int]],
) -> None:
    monkeypatch.setenv("APP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("APP_ENVIRONMENT", "production")
    monkeypatch.setenv("APP_API_KEY", STRONG_KEY)
    monkeypatch.setenv("APP_PORT", "8123")
    monkeypatch.setenv("APP_METRICS_PORT", "9123")
    monkeypatch.setenv("APP_WORKERS", "1")

    assert main(["--host", "0.0.0.0", "--log-level", "warning"]) == 0

    [call] = uvicorn_calls
    assert call["host"] == "0.0.0.0"
    assert call["port"] == 8123
    assert call["server_header"] is False
    assert call["proxy_headers"] is False
    assert metrics_servers == [("0.0.0.0", 9123)]
    assert os.environ["MLFLOW_ALLOW_PICKLE_DESERIALIZATION"] == "false"


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.7"])
def test_an_api_without_keys_is_only_served_on_loopback(
    tmp_path,
    monkeypatch: pytest.MonkeyPatch,
    uvicorn_calls: list[dict[str, object]],
    capsys: pytest.CaptureFixture[str],
    host: str,
) -> None:
    monkeypatch.setenv("APP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("APP_ENVIRONMENT", "local")
    monkeypatch.delenv("APP_API_KEY", raising=False)

    assert main(["--host", host]) == 2
    assert "refusing to serve without an API key" in capsys.readouterr().err
    assert uvicorn_calls == []
    assert main(["--host", "127.0.0.1"]) == 0


def test_production_refuses_a_short_key(
    monkeypatch: pytest.MonkeyPatch,
    uvicorn_calls: list[dict[str, object]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("APP_ENVIRONMENT", "production")
    monkeypatch.setenv("APP_API_KEY", "k")

    assert main([]) == 2
    assert "at least 32 characters" in capsys.readouterr().err
    assert uvicorn_calls == []


def test_the_image_runs_in_production_mode_by_default() -> None:
    """Without any env var the container refuses to start keyless (production by default)."""
    dockerfile = (Path(__file__).parents[1] / "Dockerfile").read_text()
    assert "APP_ENVIRONMENT=production" in dockerfile
    assert "MLFLOW_ALLOW_PICKLE_DESERIALIZATION=false" in dockerfile


def test_invalid_configuration_exits_2_before_uvicorn_starts(
    monkeypatch: pytest.MonkeyPatch,
    uvicorn_calls: list[dict[str, object]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("APP_ENVIRONMENT", "production")
    monkeypatch.delenv("APP_API_KEY", raising=False)

    assert main([]) == 2

    err = capsys.readouterr().err.strip()
    assert err.startswith("serve: error: invalid configuration:")
    assert "APP_API_KEY must be set" in err
    assert len(err.splitlines()) == 1
    assert uvicorn_calls == []


@pytest.mark.parametrize("argv", [["--port", "0"], ["--port", "http"], ["--log-level", "loud"]])
def test_invalid_arguments_exit_2(argv: list[str], uvicorn_calls: list[dict[str, object]]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert uvicorn_calls == []


def test_several_workers_share_one_metrics_folder(
    tmp_path, monkeypatch: pytest.MonkeyPatch, metrics_servers: list[tuple[str, int]]
) -> None:
    import serving.__main__ as cli

    monkeypatch.setenv("APP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("APP_ENVIRONMENT", "test")
    monkeypatch.setenv("APP_API_KEY", STRONG_KEY)
    monkeypatch.setenv("APP_WORKERS", "3")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    # `serve` turns pickle off for its process; set it here so monkeypatch restores it.
    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true")
    seen: list[tuple[object, dict[str, object], str | None]] = []

    def run(app: object, **kwargs: object) -> None:
        folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        assert folder is not None and Path(folder).is_dir()
        seen.append((app, kwargs, folder))

    monkeypatch.setattr(cli, "run_workers", run)
    assert main([]) == 0

    [(app, kwargs, folder)] = seen
    # Each worker builds its own app (and loads its own model) from the same environment.
    assert app == "serving.__main__:worker_app"
    assert kwargs["factory"] is True
    assert kwargs["workers"] == 3
    assert metrics_servers == [("127.0.0.1", 9000)]
    # The folder lives as long as the server: removed, and unset, once it stops.
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    assert not Path(folder).exists()


@pytest.mark.parametrize("workers", ["0", "65", "many"])
def test_invalid_worker_counts_exit_2(
    monkeypatch: pytest.MonkeyPatch, uvicorn_calls: list[dict[str, object]], workers: str
) -> None:
    monkeypatch.setenv("APP_WORKERS", workers)
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2
    assert uvicorn_calls == []


def _accepted_nodelay(listener: socket.socket) -> int:
    """TCP_NODELAY of a connection accepted by asyncio from ``listener`` (as uvicorn does)."""

    async def accept_one() -> int:
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            raw = writer.get_extra_info("socket")
            accepted.set_result(raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(connected, sock=listener)
        with socket.create_connection(listener.getsockname()[:2]):
            value = await asyncio.wait_for(accepted, 10)
        server.close()
        return value

    return asyncio.run(accept_one())


def test_workers_socket_accepts_connections_with_nagle_off() -> None:
    import uvicorn

    from serving.__main__ import tcp_listener

    config = uvicorn.Config("serving.__main__:worker_app", host="127.0.0.1", port=0)
    # uvicorn's own socket: asyncio leaves Nagle on, so responses wait for delayed ACKs.
    assert _accepted_nodelay(config.bind_socket()) == 0
    assert _accepted_nodelay(tcp_listener(config.bind_socket())) != 0


def test_metrics_skip_a_worker_file_not_mapped_yet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A worker creates its metrics file before it sizes and maps it; a scrape in that moment
    # read the empty file and answered 500.
    from starlette.testclient import TestClient

    from serving.__main__ import multiprocess_metrics_app

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    (tmp_path / "counter_4242.db").write_bytes(b"")
    response = TestClient(multiprocess_metrics_app()).get("/metrics")
    assert response.status_code == 200
