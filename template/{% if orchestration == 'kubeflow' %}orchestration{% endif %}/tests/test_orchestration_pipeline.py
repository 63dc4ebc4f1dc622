"""The compiled Kubeflow pipeline: its steps, their order and hardening, and the committed copy."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from kfp_pipeline.__main__ import DEFAULT_OUTPUT, DEFAULT_PREFIX, DEFAULT_TAG, images_from
from kfp_pipeline.pipeline import CONTAINER_STEPS, RETRIES, RUN_AS_USER, compile_pipeline
from kfp_pipeline.steps import SERVICES, STEPS

DIGEST = "sha256:" + "ab" * 32


def _compile(tmp_path: Path, images: dict[str, str]) -> list[dict[str, Any]]:
    """The pipeline spec and its Kubernetes platform spec (two YAML documents)."""
    path = compile_pipeline(images, tmp_path / "pipeline.yaml")
    return list(yaml.safe_load_all(path.read_text()))


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    images = {service: f"registry.example/{service}@{DIGEST}" for service in SERVICES}
    return _compile(tmp_path_factory.mktemp("kfp"), images)


def test_the_committed_pipeline_is_the_one_the_code_compiles(tmp_path: Path) -> None:
    assert DEFAULT_OUTPUT.is_file(), "orchestration/pipeline.yaml missing: run `make kfp-compile`"
    fresh = compile_pipeline(images_from(DEFAULT_PREFIX, DEFAULT_TAG, []), tmp_path / "p.yaml")
    assert fresh.read_text() == DEFAULT_OUTPUT.read_text(), (
        "orchestration/pipeline.yaml is out of date: run `make kfp-compile` and commit it"
    )


def test_one_component_per_step_chained_in_order(compiled: list[dict[str, Any]]) -> None:
    spec = compiled[0]
    assert len(spec["components"]) == len(STEPS)
    tasks = spec["root"]["dag"]["tasks"]
    # step name (the task's display name) -> task name
    by_step = {task["taskInfo"]["name"]: name for name, task in tasks.items()}
    assert sorted(by_step) == sorted(step.name for step in STEPS)
    previous = None
    for step in STEPS:
        task = tasks[by_step[step.name]]
        assert task.get("dependentTasks", []) == ([by_step[previous]] if previous else [])
        # Caching is off, explicitly: every run must read the lake's newest partition.
        assert task["cachingOptions"] == {}
        assert task["retryPolicy"]["maxRetryCount"] == RETRIES
        previous = step.name


def test_each_step_runs_its_service_image_pinned_by_digest(compiled: list[dict[str, Any]]) -> None:
    executors = compiled[0]["deploymentSpec"]["executors"]
    for step in CONTAINER_STEPS:
        container = executors[f"exec-{step.name}"]["container"]
        assert container["image"] == f"registry.example/{step.service}@{DIGEST}"
        assert container["command"][-len(step.command) :] == list(step.command)
        resources = container["resources"]
        assert resources["resourceCpuRequest"] == step.cpu_request
        assert resources["resourceMemoryLimit"] == step.memory_limit


def test_an_image_per_step_is_required(tmp_path: Path) -> None:
    images = {service: f"registry.example/{service}:1" for service in SERVICES[1:]}
    with pytest.raises(ValueError, match=SERVICES[0]):
        compile_pipeline(images, tmp_path / "p.yaml")


def test_steps_run_as_non_root_with_their_labels(compiled: list[dict[str, Any]]) -> None:
    executors = compiled[1]["platforms"]["kubernetes"]["deploymentSpec"]["executors"]
    for step in CONTAINER_STEPS:
        config = executors[f"exec-{step.name}"]
        assert config["securityContext"] == {
            "runAsUser": str(RUN_AS_USER),
            "runAsGroup": str(RUN_AS_USER),
            "runAsNonRoot": True,
        }
        assert config["activeDeadlineSeconds"] == "3600"
        assert config["podMetadata"]["labels"]["app.kubernetes.io/name"] == step.service
        # The pseudonymisation key reaches the features step only.
        secrets = [item["secretName"] for item in config.get("secretAsEnv", [])]
        assert secrets == (["features-pseudonymisation-key"] if step.service == "features" else [])
