"""The same steps run by KFP's local runner: no cluster, no Docker.

The local runner cannot start container components without Docker, so each step here is one
lightweight component that runs the step's console script from the workspace's venv (`make
install`), built from the same packages as the images. KFP runs in this project's own venv, as
on a cluster the steps run apart from it. The step list and its order (`chain`) are the cluster
pipeline's.
"""

from collections.abc import Callable
from pathlib import Path

from kfp import dsl, local

from kfp_pipeline.pipeline import PIPELINE_NAME, chain
from kfp_pipeline.steps import BASE_IMAGE, Step

# The workspace's venv, which holds every service's console script (the project root's .venv).
WORKSPACE_BIN = Path(__file__).resolve().parents[3] / ".venv" / "bin"


@dsl.component(base_image=BASE_IMAGE)
def run_step(command: list, lake_uri: str, reports_uri: str) -> None:
    import os
    import subprocess

    env = {**os.environ, "APP_LAKE_URI": lake_uri, "APP_REPORTS_URI": reports_uri}
    subprocess.run(command, check=True, env=env)  # noqa: S603 - the pipeline's own scripts


@dsl.pipeline(name=f"{PIPELINE_NAME}-local")
def local_pipeline(lake_uri: str, reports_uri: str) -> None:
    def run(step: Step) -> dsl.PipelineTask:
        command = [str(WORKSPACE_BIN / step.command[0]), *step.command[1:]]
        return run_step(command=command, lake_uri=lake_uri, reports_uri=reports_uri)

    chain(run)


def run_locally(lake_uri: str, reports_uri: str, pipeline_root: Path) -> None:
    """Run every step in order, each a subprocess running the workspace venv's script."""
    if not WORKSPACE_BIN.is_dir():
        raise FileNotFoundError(f"{WORKSPACE_BIN} is missing: run `make install` first")
    local.init(
        runner=local.SubprocessRunner(use_venv=False),
        pipeline_root=str(pipeline_root),
        raise_on_error=True,
    )
    pipeline: Callable[..., object] = local_pipeline
    pipeline(lake_uri=lake_uri, reports_uri=reports_uri)
