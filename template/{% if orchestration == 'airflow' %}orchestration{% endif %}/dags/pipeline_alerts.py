"""Callbacks of the pipeline DAGs, in their own module so the scheduler, the triggerer and the
workers import them by path (a DAG file's own module name is not importable)."""

import logging
from typing import Any

logger = logging.getLogger("airflow.task")


def deadline_missed(**kwargs: Any) -> None:
    """A DAG run is still not done at its deadline: log it loudly (the managed Airflow's logs go
    to the cloud's log service, where an alert on this message pages the owner)."""
    logger.error("PIPELINE DEADLINE MISSED: %s", {key: str(value) for key, value in kwargs.items()})
