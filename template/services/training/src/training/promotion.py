"""Promotion as one step: champion alias and drift reference, all or nothing.

The alias is the commit point. Before it moves, the new reference folder is written to a hidden
staging path and a journal names it; after it moves, the staged folder is renamed into place
and the journal removed (the run's COMPLETE lineage event follows, see ``trainer``). A run
killed anywhere in between is repaired by ``recover`` at the start of the next run: rolled
forward if the alias moved, rolled back (staged files deleted) if it did not. Model versions a
killed run registered without a gate decision are tagged as failed, so the registry never holds
an undecided version.
"""

import json
import logging
import re
import uuid
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime

import pandas as pd
from mlflow import MlflowClient

from contracts import Settings, lineage
from contracts.features import ID_COLUMN
from contracts.lake import MANIFEST_FILE
from contracts.lineage import DatasetManifest, UpstreamRef
from contracts.storage import (
    LakePath,
    lake_path,
    move_dir,
    remove_tree,
    sha256_file,
    write_text_atomic,
)
from training import tracking
from training.reference import write_reference

logger = logging.getLogger(__name__)

REFERENCE_DATASET = "reference/customers"
INTERRUPTED_REASON = "interrupted before the quality gate decision"
LINEAGE_JOB = "training"


@dataclass(frozen=True)
class Journal:
    """What a promotion in progress staged and where it goes once the alias moved."""

    model_name: str
    version: str
    staged_reference: str
    reference_dir: str
    # The training's OpenLineage run: recovery emits its last event (COMPLETE or FAIL).
    lineage_run_id: str = ""

    @classmethod
    def read(cls, path: LakePath) -> "Journal":
        # Journals of older releases named a staged lineage record (ignored) and no run id.
        content = json.loads(path.read_text())
        return cls(
            **{item.name: content[item.name] for item in fields(cls) if item.name in content}
        )


def journal_path(settings: Settings) -> LakePath:
    return settings.reference_root / f".promotion-{settings.model_name}.json"


def publish(
    client: MlflowClient,
    settings: Settings,
    *,
    version: str,
    frame: pd.DataFrame,
    metadata: dict[str, str],
    features: UpstreamRef | None,
    lineage_run_id: str = "",
) -> LakePath:
    """Make ``version`` the champion together with its drift reference.

    The reference keeps the training features without the customer pseudonyms: drift needs
    the distributions, not who they came from (data minimisation).
    """
    frame = frame.drop(columns=[ID_COLUMN], errors="ignore")
    reference_dir = settings.reference_path.parent
    staged = reference_dir.with_name(f".staging-{reference_dir.name}-{uuid.uuid4().hex}")
    staged.mkdir(parents=True, exist_ok=True)
    data_path = staged / settings.reference_path.name
    write_reference(frame, data_path, metadata)
    manifest = DatasetManifest(
        dataset=f"{REFERENCE_DATASET}/{settings.model_name}",
        path=str(settings.reference_path),
        row_count=len(frame),
        columns={str(column): str(dtype) for column, dtype in frame.dtypes.items()},
        sha256=sha256_file(data_path),
        created_at=datetime.now(UTC),
        source=f"models:/{settings.model_name}/{version}",
        upstream=[features] if features is not None else [],
    )
    (staged / MANIFEST_FILE).write_text(manifest.model_dump_json(indent=2) + "\n")

    journal = Journal(
        model_name=settings.model_name,
        version=version,
        staged_reference=str(staged),
        reference_dir=str(reference_dir),
        lineage_run_id=lineage_run_id,
    )
    write_text_atomic(json.dumps(asdict(journal), indent=2) + "\n", journal_path(settings))
    tracking.promote(client, settings.model_name, version)  # the commit point
    _complete(journal, journal_path(settings), settings, recovered=False)
    return settings.reference_path


def _complete(journal: Journal, path: LakePath, settings: Settings, *, recovered: bool) -> None:
    """Roll forward: move the staged reference into place, drop the journal; a recovery also
    completes the killed run's lineage (the run itself emits it otherwise)."""
    staged = lake_path(journal.staged_reference)
    if staged.exists():
        move_dir(staged, lake_path(journal.reference_dir))
    if recovered and journal.lineage_run_id:
        lineage.close_run(
            LINEAGE_JOB,
            journal.lineage_run_id,
            settings=settings,
            outputs=[
                lineage.DatasetRef(
                    namespace="mlflow", name=f"models:/{journal.model_name}/{journal.version}"
                ),
                lineage.partition(lake_path(journal.reference_dir)),
            ],
            parameters={"promoted": True, "completed_by_recovery": True},
        )
    path.unlink(missing_ok=True)


def _discard(journal: Journal, path: LakePath, settings: Settings) -> None:
    """Roll back: the alias never moved, so nothing staged may become visible."""
    remove_tree(lake_path(journal.staged_reference))
    if journal.lineage_run_id:
        lineage.close_run(
            LINEAGE_JOB,
            journal.lineage_run_id,
            settings=settings,
            error=f"killed before promoting version {journal.version}; rolled back",
        )
    path.unlink(missing_ok=True)


def recover(client: MlflowClient, settings: Settings) -> list[str]:
    """Repair what a killed run of this model left behind; return one line per repair."""
    repairs: list[str] = []
    path = journal_path(settings)
    if path.is_file():
        journal = Journal.read(path)
        champion = tracking.champion_version(client, settings.model_name)
        if champion == journal.version:
            _complete(journal, path, settings, recovered=True)
            repairs.append(f"completed the promotion of version {journal.version}")
        else:
            _discard(journal, path, settings)
            repairs.append(f"rolled back the unfinished promotion of version {journal.version}")
    repairs += _clean_reference_leftovers(settings)
    for version in tracking.fail_undecided_versions(
        client, settings.model_name, INTERRUPTED_REASON
    ):
        repairs.append(f"tagged version {version} as failed: {INTERRUPTED_REASON}")
    for message in repairs:
        logger.warning("recovered from an interrupted run: %s", message)
    return repairs


def _clean_reference_leftovers(settings: Settings) -> list[str]:
    """Staged or retired reference folders of this model (never another model's) that a killed
    run left; a retired folder whose replacement never arrived is put back.
    """
    target = settings.reference_path.parent
    pattern = re.compile(rf"\.(staging|retired)-{re.escape(target.name)}-[0-9a-f]{{32}}")
    repairs: list[str] = []
    if not settings.reference_root.is_dir():
        return repairs
    for path in sorted(settings.reference_root.iterdir()):
        match = pattern.fullmatch(path.name)
        if match is None:
            continue
        if match.group(1) == "retired" and not target.exists():
            path.rename(target)
            repairs.append(f"restored {target} from {path.name}")
        else:
            remove_tree(path)
            repairs.append(f"removed {path}")
    return repairs
