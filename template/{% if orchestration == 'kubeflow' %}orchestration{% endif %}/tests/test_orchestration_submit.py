"""`kfp-pipeline submit` against a recording stand-in for the KFP API client (no cluster)."""

from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest
import yaml

from kfp_pipeline import submit as submit_module
from kfp_pipeline.__main__ import main
from kfp_pipeline.pipeline import PIPELINE_NAME
from kfp_pipeline.steps import SERVICES

DIGEST = "sha256:" + "cd" * 32


class RecordingClient:
    """The calls `submit` makes; one pipeline and one recurring run exist already."""

    instances: ClassVar[list["RecordingClient"]] = []

    def __init__(self, host: str, namespace: str | None) -> None:
        self.host, self.namespace = host, namespace
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.uploaded: dict[str, Any] = {}
        RecordingClient.instances.append(self)

    def get_pipeline_id(self, name: str) -> str:
        return "pipeline-1"

    def upload_pipeline_version(self, path: str, **kwargs: Any) -> SimpleNamespace:
        self.uploaded = yaml.safe_load(next(iter(Path(path).read_text().split("\n---\n"))))
        self.calls.append(("upload_pipeline_version", kwargs))
        return SimpleNamespace(pipeline_version_id="version-2")

    def create_experiment(self, name: str, namespace: str | None) -> SimpleNamespace:
        return SimpleNamespace(experiment_id="experiment-1")

    def list_recurring_runs(self, experiment_id: str) -> SimpleNamespace:
        other = SimpleNamespace(display_name="another-job", recurring_run_id="x")
        mine = SimpleNamespace(display_name=f"{PIPELINE_NAME}-dev", recurring_run_id="old")
        return SimpleNamespace(recurring_runs=[other, mine])

    def delete_recurring_run(self, recurring_run_id: str) -> None:
        self.calls.append(("delete_recurring_run", {"recurring_run_id": recurring_run_id}))

    def create_recurring_run(self, **kwargs: Any) -> SimpleNamespace:
        self.calls.append(("create_recurring_run", kwargs))
        return SimpleNamespace(recurring_run_id="new")


def test_submit_uploads_a_version_on_the_digests_and_replaces_the_recurring_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(submit_module.kfp, "Client", RecordingClient)
    images = [f"--image={service}=registry.example/{service}@{DIGEST}" for service in SERVICES]
    argv = [*images, "submit", "--env", "dev", "--host", "https://kfp.example"]
    assert main([*argv, "--lake-uri", "s3://lake/l", "--reports-uri", "s3://lake/r"]) == 0
    [client] = RecordingClient.instances
    assert client.host == "https://kfp.example"
    executors = client.uploaded["deploymentSpec"]["executors"].values()
    assert {executor["container"]["image"].split("@")[1] for executor in executors} == {DIGEST}
    names = [name for name, _ in client.calls]
    # Only this environment's run is replaced; another job of the experiment is left alone.
    assert names == ["upload_pipeline_version", "delete_recurring_run", "create_recurring_run"]
    assert client.calls[1][1] == {"recurring_run_id": "old"}
    run = client.calls[2][1]
    assert run["version_id"] == "version-2"
    assert run["params"] == {"lake_uri": "s3://lake/l", "reports_uri": "s3://lake/r"}
    assert run["max_concurrency"] == 1 and run["no_catchup"] is True
    assert run["enable_caching"] is False
    assert "recurring run new" in capsys.readouterr().out


def test_an_image_for_an_unknown_service_is_refused() -> None:
    with pytest.raises(SystemExit, match="expected one of"):
        main(["--image", "nope=registry.example/x:1", "compile", "--output", "/dev/null"])
