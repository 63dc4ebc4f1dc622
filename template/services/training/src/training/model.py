"""The model pipeline and its evaluation: one place defines what "the churn model" is."""

from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, average_precision_score, f1_score, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from contracts import CATEGORICAL_FEATURES, NUMERIC_FEATURES

ModelKind = Literal["logistic_regression", "gradient_boosting"]
MODEL_KINDS: tuple[ModelKind, ...] = ("logistic_regression", "gradient_boosting")

# Types skops refuses to load unless listed. We only list types of models this service trains
# itself, so the allow-list never grows from what an artifact claims about itself.
SKOPS_TRUSTED_TYPES: dict[ModelKind, list[str]] = {
    "logistic_regression": [],
    "gradient_boosting": ["sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"],
}


def build_classifier(kind: ModelKind, seed: int) -> ClassifierMixin:
    if kind == "gradient_boosting":
        # Early stopping on a held-out slice keeps small feature tables from being overfit.
        return HistGradientBoostingClassifier(
            learning_rate=0.05,
            max_iter=300,
            max_leaf_nodes=15,
            min_samples_leaf=20,
            l2_regularization=1.0,
            early_stopping=True,
            random_state=seed,
        )
    return LogisticRegression(C=1.0, max_iter=1_000)


def build_pipeline(kind: ModelKind, seed: int) -> Pipeline:
    """Preprocessing lives inside the pipeline so serving cannot drift from training.

    Trees split on raw values (scaling changes nothing for them): without a scaler, the
    float32 features a tree is trained on are exactly those its ONNX export compares, so
    the export's probabilities equal the pipeline's.
    """
    numeric: StandardScaler | str = (
        "passthrough" if kind == "gradient_boosting" else StandardScaler()
    )
    preprocess = ColumnTransformer(
        [
            ("numeric", numeric, list(NUMERIC_FEATURES)),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), list(CATEGORICAL_FEATURES)),
        ]
    )
    return Pipeline([("preprocess", preprocess), ("classifier", build_classifier(kind, seed))])


def classifier_params(pipeline: Pipeline) -> dict[str, Any]:
    """Scalar hyper-parameters of the classifier step, for MLflow params."""
    params = pipeline.named_steps["classifier"].get_params()
    return {
        f"classifier.{key}": value
        for key, value in sorted(params.items())
        if isinstance(value, str | int | float | bool) or value is None
    }


def churn_probability(model: Any, features: pd.DataFrame) -> np.ndarray:
    """P(churned=True), looked up by class label rather than assuming column order."""
    probabilities = model.predict_proba(features)
    positive = list(model.classes_).index(True)
    return np.asarray(probabilities[:, positive], dtype=float)


def evaluate(model: Any, x_test: pd.DataFrame, y_test: pd.Series) -> dict[str, float]:
    """Held-out metrics; the quality gate reads one of them."""
    truth = y_test.to_numpy(dtype=bool)
    scores = churn_probability(model, x_test)
    predicted = scores >= 0.5
    return {
        "roc_auc": float(roc_auc_score(truth, scores)),
        "average_precision": float(average_precision_score(truth, scores)),
        "f1": float(f1_score(truth, predicted, zero_division=0)),
        "accuracy": float(accuracy_score(truth, predicted)),
    }
