"""The model the API serves, and how a registry version becomes one.

Serving decides how a model is read, never the artifact: only the ONNX export training wrote
at registration (``contracts.artifacts.ONNX_MODEL_FILE``) is loaded, by ONNX Runtime, after
the version's files match the sha256 digest training recorded, and only if it uses standard
operators alone, takes exactly the inputs serving builds, and a smoke prediction succeeds.
ONNX is a protobuf graph of operators: reading it runs no code from the artifact (unlike
pickle), and operators from any domain but the standard ones are refused, so no custom-op
library can be asked for. ``MLmodel`` and ``model.skops`` are never read here.
"""

import hmac
import logging
import math
import operator
import sqlite3
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlparse

import numpy as np

from contracts.artifacts import ARTIFACT_DIGEST_TAG, ONNX_MODEL_FILE, artifact_digest
from contracts.features import (
    CATEGORICAL_FEATURES,
    NUMERIC_FEATURES,
    RAW_NUMERIC,
    model_inputs,
    spend_per_engagement,
    tickets_per_year,
)
from contracts.records import CHANNELS, REGIONS, PredictionInstance
from contracts.settings import Settings
from serving import output
from serving.registry import (
    MLFLOW_ARTIFACTS_SCHEME,
    RestRegistry,
    SqliteRegistry,
    copy_local_artifacts,
    mlflow_client,
    mlflow_download,
)

CHAMPION_ALIAS = "champion"
MODEL_FILE = ONNX_MODEL_FILE
# Operator domains of the ONNX standard (ai.onnx, under its two names) and of its classical-ML
# operators. Anything else would need a custom-op library: refused.
STANDARD_DOMAINS = frozenset({"", "ai.onnx", "ai.onnx.ml"})
# What the model must take: the tensors ``contracts.features.model_inputs`` builds.
EXPECTED_INPUTS = {name: "tensor(float)" for name in NUMERIC_FEATURES} | {
    name: "tensor(string)" for name in CATEGORICAL_FEATURES
}

logger = logging.getLogger(__name__)


class ModelRejected(Exception):
    """A registry version that must not be served: tampered, unsafe format or broken."""


class ServedModel(Protocol):
    """What serving needs from a model: its score per row of the model's inputs
    (``serving.output`` says what the score is for this project's use case)."""

    def scores(self, inputs: Mapping[str, np.ndarray]) -> np.ndarray: ...


class OnnxModel:
    """An ONNX Runtime session over a checked model; one thread per session, as every worker
    process has its own (workers, not threads, use the cores)."""

    def __init__(self, model: bytes) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            model, options, providers=["CPUExecutionProvider"]
        )
        self.read = output.reader(self.session.get_modelmeta().custom_metadata_map)

    def scores(self, inputs: Mapping[str, np.ndarray]) -> np.ndarray:
        (raw,) = self.session.run([output.OUTPUT_NAME], dict(inputs))
        return self.read(raw)


def raw_columns(rows: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """Column arrays of raw attributes from row dictionaries (tests, smoke prediction)."""
    names = (*RAW_NUMERIC, *CATEGORICAL_FEATURES)
    return {name: np.asarray([row[name] for row in rows]) for name in names}


# The raw numeric attributes of an instance, in RAW_NUMERIC order, in one C call.
_numeric = operator.attrgetter(*RAW_NUMERIC)


def instance_columns(instances: Sequence[PredictionInstance]) -> dict[str, np.ndarray]:
    """Raw attribute columns of validated instances: one float64 matrix, sliced per column."""
    numeric = np.array([_numeric(item) for item in instances], dtype=np.float64).reshape(
        -1, len(RAW_NUMERIC)
    )
    columns = {name: numeric[:, index] for index, name in enumerate(RAW_NUMERIC)}
    channel, region = CATEGORICAL_FEATURES
    columns[channel] = np.array([item.channel for item in instances], dtype=object)
    columns[region] = np.array([item.region for item in instances], dtype=object)
    return columns


@dataclass(frozen=True)
class ModelHandle:
    """A loaded model plus the registry coordinates reported in responses and metrics."""

    name: str
    version: str
    model: ServedModel

    def scores(self, columns: Mapping[str, np.ndarray]) -> np.ndarray:
        """The model's score per row, from raw attribute columns (derived features added here).

        The derived features are ``contracts.features``' own functions, the ones training
        used, applied to numpy arrays: training and serving cannot compute them differently.
        """
        tenure = np.asarray(columns["tenure_months"], dtype=np.float64)
        tickets = np.asarray(columns["support_tickets"], dtype=np.float64)
        spend = np.asarray(columns["monthly_spend"], dtype=np.float64)
        engagement = np.asarray(columns["engagement_score"], dtype=np.float64)
        features = {
            **columns,
            "tenure_months": tenure,
            "support_tickets": tickets,
            "monthly_spend": spend,
            "engagement_score": engagement,
            "tickets_per_year": tickets_per_year(tickets, tenure),
            "spend_per_engagement": spend_per_engagement(spend, engagement),
        }
        # Guarded: float rounding just outside the valid range must not break the response schema.
        return output.bounded(self.model.scores(model_inputs(features)))


@dataclass(frozen=True)
class ChampionRef:
    """The version behind the alias and the digest training recorded for it."""

    version: str
    digest: str | None


# The customer's own numeric attributes come first in RAW_NUMERIC.
_CUSTOMER_NUMERIC = 4


@cache
def smoke_instances() -> dict[str, np.ndarray]:
    """Valid requests covering every channel and region, from new to long-standing customers."""
    rows = [
        {
            "tenure_months": 6 * index,
            "monthly_spend": 10.0 + 15 * index,
            "engagement_score": index / 8,
            "support_tickets": index % 5,
            "channel": CHANNELS[index % len(CHANNELS)],
            "region": REGIONS[index % len(REGIONS)],
            # Product columns, where the use case has them (pricing's price and cost).
            **{name: 20.0 + index for name in RAW_NUMERIC[_CUSTOMER_NUMERIC:]},
        }
        for index in range(8)
    ]
    return raw_columns(rows)


def smoke_test(handle: ModelHandle) -> None:
    """A prediction over ``smoke_instances`` must give one valid score per row."""
    columns = smoke_instances()
    rows = len(columns["channel"])
    try:
        scores = handle.scores(columns)
    except Exception as exc:
        raise ModelRejected(f"smoke prediction failed: {type(exc).__name__}") from exc
    if scores.shape != (rows,) or not all(
        math.isfinite(value) and output.valid(value) for value in scores.tolist()
    ):
        raise ModelRejected(f"smoke prediction returned no valid {output.SCORE} per row")


def verify_digest(directory: Path, expected: str | None) -> None:
    if not expected:
        raise ModelRejected(f"the version has no {ARTIFACT_DIGEST_TAG} tag; re-register it")
    try:
        actual = artifact_digest(directory)
    except (OSError, ValueError) as exc:
        raise ModelRejected(f"artifact files unreadable: {exc}") from exc
    if not hmac.compare_digest(actual, expected.lower()):
        raise ModelRejected("artifact files do not match the digest recorded at registration")


def _graphs(graph: Any) -> Any:
    """``graph`` and every subgraph (If/Loop/Scan bodies) below it."""
    yield graph
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.HasField("g"):
                yield from _graphs(attribute.g)
            for subgraph in attribute.graphs:
                yield from _graphs(subgraph)


def check_onnx(model: bytes) -> None:
    """Refuse what could make ONNX Runtime do more than evaluate standard operators: custom
    operator domains, model-local functions and tensors stored in external files."""
    import onnx
    from onnx.external_data_helper import uses_external_data

    try:
        proto = onnx.load_model_from_string(model)
    except Exception as exc:  # not a protobuf ModelProto
        raise ModelRejected(f"{MODEL_FILE} is not an ONNX model: {type(exc).__name__}") from exc
    domains = {entry.domain for entry in proto.opset_import}
    domains |= {node.domain for graph in _graphs(proto.graph) for node in graph.node}
    custom = sorted(domains - STANDARD_DOMAINS)
    if custom:
        raise ModelRejected(f"{MODEL_FILE} uses non-standard operator domains: {custom}")
    if len(proto.functions):
        raise ModelRejected(f"{MODEL_FILE} defines its own functions")
    for graph in _graphs(proto.graph):
        if any(uses_external_data(tensor) for tensor in graph.initializer):
            raise ModelRejected(f"{MODEL_FILE} refers to external tensor files")


def load_onnx(path: Path) -> OnnxModel:
    """The checked ONNX model in ``path`` as an ONNX Runtime session."""
    if not path.is_file():
        raise ModelRejected(f"no {MODEL_FILE} in the artifact; only ONNX models are served")
    model = path.read_bytes()
    check_onnx(model)
    try:
        loaded = OnnxModel(model)
    except Exception as exc:  # invalid graph, missing metadata, ...
        raise ModelRejected(f"{MODEL_FILE} refused by ONNX Runtime: {type(exc).__name__}") from exc
    inputs = {tensor.name: tensor.type for tensor in loaded.session.get_inputs()}
    outputs = {tensor.name for tensor in loaded.session.get_outputs()}
    if inputs != EXPECTED_INPUTS or output.OUTPUT_NAME not in outputs:
        raise ModelRejected(f"{MODEL_FILE} does not take the features serving sends")
    return loaded


def load_verified(directory: Path, ref: ChampionRef, name: str) -> ModelHandle:
    """Verify the files, load the ONNX model safely and smoke-test the result."""
    verify_digest(directory, ref.digest)
    handle = ModelHandle(name=name, version=ref.version, model=load_onnx(directory / MODEL_FILE))
    smoke_test(handle)
    return handle


def _sqlite_path(tracking_uri: str) -> Path | None:
    """The database file of a SQLAlchemy SQLite URL: ``sqlite:///relative.db`` or
    ``sqlite:////absolute.db``."""
    parsed = urlparse(tracking_uri)
    if parsed.scheme != "sqlite":
        return None
    return Path(unquote(parsed.path)[1:])


class ModelRegistry:
    """The MLflow registry as serving sees it: which version is champion, and its files.

    How it is read depends on the tracking URI (``serving.registry``): MLflow's REST API over
    httpx for a tracking server, read-only SQL for the local SQLite store, MLflow otherwise.
    """

    def __init__(self, settings: Settings, transport: Any = None) -> None:
        self.settings = settings
        self.name = settings.model_name
        self.uri = settings.tracking_uri
        scheme = urlparse(self.uri).scheme
        self.rest = RestRegistry(self.uri, transport) if scheme in ("http", "https") else None
        self.store = _sqlite_path(self.uri)
        self._locations: dict[str, str] = {}

    def champion(self) -> ChampionRef | None:
        """The champion's version and digest, or None when there is nothing to serve yet."""
        if self.rest is not None:
            found = self.rest.champion(self.name, CHAMPION_ALIAS, ARTIFACT_DIGEST_TAG)
            return None if found is None else ChampionRef(version=found[0], digest=found[1])
        if self.store is not None:
            if not self.store.exists():
                # Opening a missing SQLite store would create an empty registry.
                logger.debug("no MLflow registry at %s yet", self.store)
                return None
            try:
                row = SqliteRegistry(self.store).champion(
                    self.name, CHAMPION_ALIAS, ARTIFACT_DIGEST_TAG
                )
            except sqlite3.Error as exc:
                logger.info("reading %s through MLflow (%s)", self.store, exc)
            else:
                if row is None:
                    return None
                version, digest, location = row
                self._locations[version] = location
                return ChampionRef(version=version, digest=digest)
        return self._mlflow_champion()

    def _mlflow_champion(self) -> ChampionRef | None:
        from mlflow.exceptions import MlflowException

        client = mlflow_client(self.uri)
        try:
            version = client.get_model_version_by_alias(self.name, CHAMPION_ALIAS)
        except MlflowException as exc:
            logger.debug("no %s@%s yet (%s)", self.name, CHAMPION_ALIAS, exc.error_code)
            return None
        return ChampionRef(
            version=str(version.version), digest=(version.tags or {}).get(ARTIFACT_DIGEST_TAG)
        )

    def _download(self, version: str, scratch: Path) -> Path:
        location = self._locations.get(version)
        if location is not None and urlparse(location).scheme in ("", "file"):
            return copy_local_artifacts(location, scratch)
        if self.rest is not None:
            source = self.rest.download_uri(self.name, version)
            if urlparse(source).scheme == MLFLOW_ARTIFACTS_SCHEME:
                return self.rest.download(source, scratch)
        else:
            source = mlflow_client(self.uri).get_model_version_download_uri(self.name, version)
        return mlflow_download(source, scratch, self.uri)

    def load(self, ref: ChampionRef) -> ModelHandle:
        """Download the version's files, verify, load and smoke-test them."""
        with tempfile.TemporaryDirectory(prefix="serving-model-") as scratch:
            local = self._download(ref.version, Path(scratch))
            handle = load_verified(local, ref, self.name)
        logger.info("loaded %s version %s", self.name, ref.version)
        return handle


def load_champion(settings: Settings) -> ModelHandle | None:
    """The verified champion, or None when there is none yet; ModelRejected if unsafe."""
    registry = ModelRegistry(settings)
    ref = registry.champion()
    return None if ref is None else registry.load(ref)
