"""The fitted pipeline as ONNX, the format serving runs: exported and checked at registration.

Serving runs the model in ONNX Runtime (no scikit-learn, no unpickling, a fraction of the
latency), so the export must answer exactly as the pipeline that passed the quality gate: the
probabilities of both on held-out rows must agree within ``PARITY_TOLERANCE``, or the version
is not registered at all.
"""

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from contracts.artifacts import ONNX_POSITIVE_INDEX_KEY
from contracts.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES, model_inputs
from training.errors import ExportError

PARITY_TOLERANCE = 1e-5
ONNX_FILE_NAME = "model.onnx"
PROBABILITIES_OUTPUT = "probabilities"


def to_onnx(pipeline: Any) -> bytes:
    """Serialized ONNX of ``pipeline``: one named input per feature column, and the positive
    class's column of the ``probabilities`` output recorded in the model's metadata."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    initial_types = [(name, FloatTensorType([None, 1])) for name in NUMERIC_FEATURES] + [
        (name, StringTensorType([None, 1])) for name in CATEGORICAL_FEATURES
    ]
    positive = list(pipeline.classes_).index(True)
    # skl2onnx writes class labels as int64 or strings; boolean labels (churned) break its tree
    # converters. Convert a copy whose labels are 0/1: the same probability columns.
    exported = copy.deepcopy(pipeline)
    classifier = exported.steps[-1][1]
    classifier.classes_ = np.asarray(classifier.classes_).astype(np.int64)
    try:
        with _integer_missing_flags():
            model = convert_sklearn(
                exported, initial_types=initial_types, options={id(exported): {"zipmap": False}}
            )
    except Exception as exc:  # an estimator without a converter, an unsupported option...
        raise ExportError(f"the pipeline cannot be exported to ONNX: {exc}") from exc
    entry = model.metadata_props.add()
    entry.key = ONNX_POSITIVE_INDEX_KEY
    entry.value = str(positive)
    return bytes(model.SerializeToString())


@contextmanager
def _integer_missing_flags() -> Iterator[None]:
    """skl2onnx (1.20) passes Python ``False`` as a tree leaf's ``missing_value_tracks_true``
    flag, which onnx (1.19+) refuses in an integer list: pass it as the 0/1 it stands for.
    Only during this conversion; the parity check proves the result."""
    from skl2onnx.common import tree_ensemble

    original = tree_ensemble.add_node

    def add_node(*args: Any, **kwargs: Any) -> Any:
        flag = kwargs.get("nodes_missing_value_tracks_true")
        if flag is not None:
            kwargs["nodes_missing_value_tracks_true"] = int(flag)
        return original(*args, **kwargs)

    tree_ensemble.add_node = add_node
    try:
        yield
    finally:
        tree_ensemble.add_node = original


def onnx_churn_probability(onnx_model: bytes, features: pd.DataFrame) -> np.ndarray:
    """P(churned=True) per row of ``features`` as ONNX Runtime computes it."""
    import onnxruntime

    session = onnxruntime.InferenceSession(onnx_model, providers=["CPUExecutionProvider"])
    positive = int(session.get_modelmeta().custom_metadata_map[ONNX_POSITIVE_INDEX_KEY])
    inputs = model_inputs({name: features[name].to_numpy() for name in features.columns})
    (probabilities,) = session.run([PROBABILITIES_OUTPUT], inputs)
    return np.asarray(probabilities, dtype=float)[:, positive]


def check_parity(
    pipeline: Any, onnx_model: bytes, holdout: pd.DataFrame, tolerance: float = PARITY_TOLERANCE
) -> float:
    """Largest difference between scikit-learn's and ONNX Runtime's probabilities on
    ``holdout``; ``ExportError`` when it exceeds ``tolerance`` (or the export cannot run)."""
    from training.model import churn_probability

    expected = churn_probability(pipeline, holdout)
    try:
        actual = onnx_churn_probability(onnx_model, holdout)
    except Exception as exc:
        raise ExportError(f"the ONNX export does not run: {exc}") from exc
    if actual.shape != expected.shape:
        raise ExportError(f"the ONNX export gave {actual.shape} probabilities for {expected.shape}")
    difference = float(np.max(np.abs(actual - expected)))
    if not difference <= tolerance:  # NaN fails too
        raise ExportError(
            f"the ONNX export differs from the pipeline by {difference:.2e} "
            f"(tolerance {tolerance:.0e}) on {len(holdout)} held-out rows; not registering it"
        )
    return difference


def export_checked(pipeline: Any, holdout: pd.DataFrame, directory: Path) -> Path:
    """Write ``model.onnx`` of ``pipeline`` to ``directory`` after the parity check passed."""
    onnx_model = to_onnx(pipeline)
    check_parity(pipeline, onnx_model, holdout)
    path = directory / ONNX_FILE_NAME
    path.write_bytes(onnx_model)
    return path
