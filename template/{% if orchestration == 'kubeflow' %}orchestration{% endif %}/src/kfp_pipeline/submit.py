"""Upload the compiled pipeline to a cluster's KFP API and (re)create its recurring run."""

import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import kfp

from kfp_pipeline.pipeline import PIPELINE_NAME, compile_pipeline


def submit(
    images: Mapping[str, str],
    *,
    env: str,
    host: str,
    namespace: str | None,
    parameters: Mapping[str, object],
    schedule: str,
) -> str:
    """A new pipeline version on these images; the environment's one recurring run uses it."""
    client = kfp.Client(host=host, namespace=namespace)
    name = f"{PIPELINE_NAME}-{env}"
    with tempfile.TemporaryDirectory() as folder:
        package = compile_pipeline(images, Path(folder) / "pipeline.yaml")
        version_name = f"{name}-{datetime.now(UTC):%Y%m%d-%H%M%S}"
        pipeline_id = client.get_pipeline_id(name)
        if pipeline_id is None:
            pipeline = client.upload_pipeline(str(package), pipeline_name=name, namespace=namespace)
            pipeline_id = pipeline.pipeline_id
            version_id = client.list_pipeline_versions(pipeline_id).pipeline_versions[0]
            version_id = version_id.pipeline_version_id
        else:
            version = client.upload_pipeline_version(
                str(package), pipeline_version_name=version_name, pipeline_id=pipeline_id
            )
            version_id = version.pipeline_version_id
    experiment = client.create_experiment(name, namespace=namespace)
    jobs = client.list_recurring_runs(experiment_id=experiment.experiment_id).recurring_runs
    for job in jobs or []:
        if job.display_name == name:
            client.delete_recurring_run(job.recurring_run_id)
    run = client.create_recurring_run(
        experiment_id=experiment.experiment_id,
        job_name=name,
        cron_expression=schedule,
        max_concurrency=1,
        no_catchup=True,
        params=dict(parameters),
        pipeline_id=pipeline_id,
        version_id=version_id,
        enable_caching=False,
    )
    return str(run.recurring_run_id)
