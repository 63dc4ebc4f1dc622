"""The same steps run by KFP's local runner: no cluster, no Docker.

The local runner cannot start container components without Docker, so each step here is one
lightweight component that runs the step's console script, which this venv installs from the
same workspace packages the images are built from. The step list and its order (`chain`) are
the cluster pipeline's.
"""

from collections.abc import Callable
from pathlib import Path

from kfp import dsl, local

from kfp_pipeline.pipeline import PIPELINE_NAME, chain
from kfp_pipeline.steps import BASE_IMAGE, Step


@dsl.component(base_image=BASE_IMAGE)
def run_step(command: list, lake_uri: str, reports_uri: str) -> None:
    import os
    import subprocess

    env = {**os.environ, "APP_LAKE_URI": lake_uri, "APP_REPORTS_URI": reports_uri}
    subprocess.run(command, check=True, env=env)  # noqa: S603 - the pipeline's own scripts


@dsl.pipeline(name=f"{PIPELINE_NAME}-local")
def local_pipeline(lake_uri: str, reports_uri: str) -> None:
    def run(step: Step) -> dsl.PipelineTask:
        return run_step(command=list(step.command), lake_uri=lake_uri, reports_uri=reports_uri)

    chain(run)


def run_locally(lake_uri: str, reports_uri: str, pipeline_root: Path) -> None:
    """Run every step in order in subprocesses of this interpreter's venv."""
    local.init(
        runner=local.SubprocessRunner(use_venv=False),
        pipeline_root=str(pipeline_root),
        raise_on_error=True,
    )
    pipeline: Callable[..., object] = local_pipeline
    pipeline(lake_uri=lake_uri, reports_uri=reports_uri)
