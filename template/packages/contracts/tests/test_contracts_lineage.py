"""OpenLineage run events: START/COMPLETE/FAIL with datasets and schemas, the lake transport
by default and HTTP when configured; a code version that never fails."""

import json
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

from contracts import Settings, lineage
from contracts.lake import write_dataset_partition


@pytest.fixture()
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in (*lineage.TRANSPORT_ENVIRONMENT, "OPENLINEAGE_DISABLED"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("APP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("APP_CODE_VERSION", "abc1234")
    return Settings()


def _partition(settings: Settings) -> Path:
    target = settings.lake_dir / "features" / "customers" / "ingestion_date=2024-01-01"
    frame = pd.DataFrame({"customer_id": ["a", "b"], "monthly_spend": [1.5, 2.0]})
    write_dataset_partition(
        frame, target, "features.parquet", dataset="features/customers", source="t"
    )
    return target


def test_a_run_emits_start_then_complete_with_datasets_and_schema(settings: Settings) -> None:
    source = _partition(settings)
    with lineage.run("demo", [lineage.partition(source)], settings=settings) as run:
        run.outputs.append(lineage.dataset(settings.reports_dir / "out.json"))
        run.parameters["rows"] = 2
        run.parameters["score"] = float("nan")

    [[start, complete]] = lineage.job_runs(settings.lineage_dir, "demo")
    assert (start["eventType"], complete["eventType"]) == ("START", "COMPLETE")
    assert start["run"]["runId"] == complete["run"]["runId"] == run.run_id
    assert (settings.lineage_dir / f"{run.run_id}.jsonl").is_file()
    [read] = complete["inputs"]
    assert read["namespace"] == settings.lake_dir.resolve().as_uri()
    assert read["name"] == "features/customers/ingestion_date=2024-01-01"
    assert read["facets"]["schema"]["fields"] == [
        # The dtype of a string column: "str" with pandas 3, "object" with pandas 2 (spark).
        {"name": "customer_id", "type": str(pd.Series(["c"]).dtype), "fields": []},
        {"name": "monthly_spend", "type": "float64", "fields": []},
    ]
    [written] = complete["outputs"]
    # Outside the lake: a local file in the "file" namespace, named by its absolute path.
    assert (written["namespace"], written["name"]) == (
        "file",
        (settings.reports_dir / "out.json").resolve().as_posix(),
    )
    parameters = complete["run"]["facets"]["executionParameters"]["parameters"]
    assert {"key": "code_version", "value": "abc1234"} in parameters
    assert {"key": "score", "value": "nan"} in parameters
    assert start["job"]["namespace"] == lineage.NAMESPACE
    assert complete["producer"] == lineage.PRODUCER


def test_a_raising_job_emits_fail_with_the_error_and_reraises(settings: Settings) -> None:
    with pytest.raises(ValueError, match="boom"), lineage.run("demo", settings=settings):
        raise ValueError("boom")

    [[start, fail]] = lineage.job_runs(settings.lineage_dir, "demo")
    assert (start["eventType"], fail["eventType"]) == ("START", "FAIL")
    assert fail["run"]["facets"]["errorMessage"]["message"] == "ValueError: boom"


def test_complete_inside_the_block_is_not_turned_into_fail(settings: Settings) -> None:
    with pytest.raises(KeyboardInterrupt), lineage.run("demo", settings=settings) as run:
        run.complete()
        raise KeyboardInterrupt

    [[_, complete]] = lineage.job_runs(settings.lineage_dir, "demo")
    assert complete["eventType"] == "COMPLETE"


def test_each_event_rewrites_the_run_file_atomically(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_text = Path.write_text

    def half_then_crash(self: Path, data: str, *args: object, **kwargs: object) -> int:
        write_text(self, data[: len(data) // 2], *args, **kwargs)  # type: ignore[arg-type]
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"), lineage.run("demo", settings=settings) as run:
        path = settings.lineage_dir / f"{run.run_id}.jsonl"
        before = path.read_text()
        monkeypatch.setattr(Path, "write_text", half_then_crash)
    monkeypatch.undo()
    # The COMPLETE write died half-way: the file still holds the START event, whole.
    assert path.read_text() == before
    assert lineage.job_runs(settings.lineage_dir, "demo")[0][0]["eventType"] == "START"
    # ... and no temporary file behind.
    assert sorted(p.name for p in settings.lineage_dir.iterdir()) == [path.name]


def test_openlineage_url_selects_the_http_transport(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert lineage.client(settings).transport.kind == "lake"
    monkeypatch.setenv("OPENLINEAGE_URL", "http://marquez.invalid:5000")
    transport = lineage.client(settings).transport
    assert transport.kind == "http"
    assert transport.url == "http://marquez.invalid:5000"


@pytest.fixture()
def lineage_server() -> Iterator[tuple[str, list[dict]]]:
    """A local stand-in for Marquez: records what is POSTed to /api/v1/lineage."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.path == "/api/v1/lineage":
                received.append(json.loads(body))
            self.send_response(201 if self.path == "/api/v1/lineage" else 404)
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()


def test_events_reach_a_lineage_server_over_http(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    lineage_server: tuple[str, list[dict]],
) -> None:
    url, received = lineage_server
    monkeypatch.setenv("OPENLINEAGE_URL", url)
    source = _partition(settings)

    with lineage.run("demo", [lineage.partition(source)], settings=settings):
        pass

    assert [event["eventType"] for event in received] == ["START", "COMPLETE"]
    assert received[1]["inputs"][0]["name"] == "features/customers/ingestion_date=2024-01-01"
    assert not settings.lineage_dir.exists(), "with a server configured, nothing goes to the lake"


def test_openlineage_config_file_selects_its_transport(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "openlineage.yml"
    config.write_text("transport:\n  type: http\n  url: http://lineage.invalid\n")
    monkeypatch.setenv("OPENLINEAGE_CONFIG", str(config))
    assert lineage.client(settings).transport.kind == "http"


def test_openlineage_disabled_emits_nothing(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENLINEAGE_DISABLED", "true")
    with lineage.run("demo", settings=settings):
        pass
    assert lineage.read_events(settings.lineage_dir) == []


def test_object_store_datasets_are_named_in_the_lake_namespace(tmp_path: Path) -> None:
    from upath import UPath

    root = UPath("memory://bucket/lake")
    ref = lineage.dataset(root / "raw" / "customers" / "ingestion_date=2024-01-01")
    assert lineage.dataset_identity(ref, root) == (
        "memory://bucket/lake",
        "raw/customers/ingestion_date=2024-01-01",
    )
    other = lineage.dataset(UPath("memory://other/reports/x.json"))
    assert lineage.dataset_identity(other, root) == ("memory://other", "reports/x.json")


def test_code_version_prefers_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_CODE_VERSION", " abc1234 ")
    monkeypatch.setattr(lineage.shutil, "which", lambda _: pytest.fail("git must not run"))
    assert lineage.code_version(Settings()) == "abc1234"


def test_code_version_without_setting_or_git_is_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APP_CODE_VERSION", raising=False)
    monkeypatch.setattr(lineage.shutil, "which", lambda _: None)
    assert lineage.code_version(Settings()) == "unknown"


def test_code_version_falls_back_to_git(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_CODE_VERSION", "unknown")
    monkeypatch.setattr(lineage.shutil, "which", lambda _: "/usr/bin/git")

    def git(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        assert argv[1:] == ["rev-parse", "--short", "HEAD"]
        return subprocess.CompletedProcess(argv, 0, stdout="1a2b3c4\n", stderr="")

    monkeypatch.setattr(lineage.subprocess, "run", git)
    assert lineage.code_version(Settings()) == "1a2b3c4"


@pytest.mark.parametrize(
    "failure",
    [subprocess.TimeoutExpired(cmd="git", timeout=5), OSError("exec format error")],
)
def test_code_version_survives_a_failing_git(
    monkeypatch: pytest.MonkeyPatch, failure: Exception
) -> None:
    monkeypatch.delenv("APP_CODE_VERSION", raising=False)
    monkeypatch.setattr(lineage.shutil, "which", lambda _: "/usr/bin/git")

    def broken_git(*args: object, **kwargs: object) -> None:
        raise failure

    monkeypatch.setattr(lineage.subprocess, "run", broken_git)
    assert lineage.code_version(Settings()) == "unknown"


def test_code_version_ignores_git_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APP_CODE_VERSION", raising=False)
    monkeypatch.setattr(lineage.shutil, "which", lambda _: "/usr/bin/git")
    monkeypatch.setattr(
        lineage.subprocess,
        "run",
        lambda argv, **kwargs: subprocess.CompletedProcess(argv, 128, stdout="", stderr="fatal"),
    )
    assert lineage.code_version(Settings()) == "unknown"
