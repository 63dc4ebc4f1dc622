"""Metadata written next to every dataset: manifests and lineage records."""

from datetime import datetime

from pydantic import BaseModel, Field


class DatasetManifest(BaseModel):
    """Describes one written dataset so consumers can verify what they read."""

    dataset: str
    path: str
    row_count: int = Field(ge=0)
    columns: dict[str, str]
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    created_at: datetime
    source: str


class LineageRecord(BaseModel):
    """One run of a pipeline step: what it read, what it wrote, which code did it."""

    run_id: str
    step: str
    started_at: datetime
    finished_at: datetime
    inputs: list[str]
    outputs: list[str]
    code_version: str
    parameters: dict[str, str | int | float | bool] = Field(default_factory=dict)
