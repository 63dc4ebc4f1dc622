"""Training logic that needs no MLflow: data checks, model quality, the gate, the reference."""

from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from contracts import FEATURE_COLUMNS, LABEL_COLUMN, Settings
from contracts.cli import EXIT_DATA_ERROR
from training.__main__ import main
from training.data import load_dataset, resolve_features_path, split_dataset
from training.errors import TrainingInputError
from training.gate import Champion, Evaluation, GatePolicy, decide, pr_auc_floor
from training.model import MODEL_KINDS, build_pipeline, churn_probability, evaluate
from training.reference import write_reference


def _settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, environment="test", mlflow_tracking_uri=None)


def test_latest_partition_is_used_unless_a_path_is_given(
    tmp_path: Path, make_features, write_features
) -> None:
    features_dir = _settings(tmp_path).features_dir
    old = write_features(features_dir, make_features(rows=200), date(2024, 1, 1))
    new = write_features(features_dir, make_features(rows=300), date(2024, 2, 1))

    assert resolve_features_path(features_dir, None) == new
    assert resolve_features_path(features_dir, old.parent) == old
    assert len(load_dataset(resolve_features_path(features_dir, None)).frame) == 300


def test_missing_partition_is_a_clear_input_error(tmp_path: Path) -> None:
    with pytest.raises(TrainingInputError, match="run the features step first"):
        resolve_features_path(_settings(tmp_path).features_dir, None)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda f: f.drop(columns=["engagement_score"]), "missing columns engagement_score"),
        (lambda f: f.assign(monthly_spend=None), "missing values in monthly_spend"),
        (lambda f: f.assign(churned="yes"), "must be boolean"),
        (lambda f: f.assign(churned=False), "rows of each class"),
        (lambda f: f.assign(monthly_spend=float("inf")), "infinite values in monthly_spend"),
        (lambda f: f.assign(tenure_months="12"), "non-numeric values in tenure_months"),
    ],
)
def test_untrainable_tables_are_rejected(tmp_path: Path, make_features, mutate, message) -> None:
    path = tmp_path / "features.parquet"
    mutate(make_features(rows=100)).to_parquet(path, index=False)
    with pytest.raises(TrainingInputError, match=message):
        load_dataset(path)


def test_integer_labels_are_accepted(tmp_path: Path, make_features) -> None:
    path = tmp_path / "features.parquet"
    frame = make_features(rows=100)
    frame.assign(churned=frame[LABEL_COLUMN].astype(int)).to_parquet(path, index=False)
    assert load_dataset(path).frame[LABEL_COLUMN].dtype == bool


def test_cli_without_features_exits_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("APP_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("APP_MLFLOW_TRACKING_URI", raising=False)
    assert main([]) == EXIT_DATA_ERROR
    assert "train: error: no feature partition" in capsys.readouterr().err
    assert not (tmp_path / "mlflow").exists(), "no MLflow store may be created for bad input"


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_models_learn_the_signal_and_not_the_noise(
    tmp_path: Path, kind, good_features, noisy_features
) -> None:
    def fit_and_score(frame: pd.DataFrame) -> dict[str, float]:
        path = tmp_path / f"{kind}-{id(frame)}.parquet"
        frame.to_parquet(path, index=False)
        split = split_dataset(load_dataset(path), test_size=0.2, seed=42)
        model = build_pipeline(kind, seed=42).fit(split.x_train, split.y_train)
        probabilities = churn_probability(model, split.x_test)
        assert ((probabilities >= 0) & (probabilities <= 1)).all()
        return evaluate(model, split.x_test, split.y_test)

    good = fit_and_score(good_features)
    noisy = fit_and_score(noisy_features)
    assert all(0 <= value <= 1 for value in [*good.values(), *noisy.values()])
    assert good["roc_auc"] > 0.8  # clears the default quality gate (0.75) with margin
    assert noisy["roc_auc"] < 0.65


def test_split_is_stratified_and_reproducible(tmp_path: Path, good_features) -> None:
    path = tmp_path / "features.parquet"
    good_features.to_parquet(path, index=False)
    dataset = load_dataset(path)
    first = split_dataset(dataset, test_size=0.25, seed=7)
    second = split_dataset(dataset, test_size=0.25, seed=7)

    assert first.x_test.index.equals(second.x_test.index)
    assert list(first.x_train.columns) == list(FEATURE_COLUMNS)
    assert first.y_test.mean() == pytest.approx(dataset.frame[LABEL_COLUMN].mean(), abs=0.02)


@pytest.mark.parametrize(
    ("value", "champion", "promote"),
    [
        (0.80, None, True),
        (0.70, None, False),
        (float("nan"), None, False),
        (0.84, Champion("3", 0.845), True),  # within tolerance of the champion
        (0.80, Champion("3", 0.85), False),  # real regression
        (0.80, Champion("3", None), True),  # champion never logged this metric
        (0.70, Champion("3", 0.60), False),  # beating a weak champion is not enough
    ],
)
def test_gate(value: float, champion: Champion | None, promote: bool) -> None:
    decision = decide(_evaluation(roc_auc=value), POLICY, champion)
    assert decision.promote is promote
    assert "roc_auc" in decision.reason


POLICY = GatePolicy(
    metric="roc_auc", threshold=0.75, max_regression=0.01, min_class_count=20, min_pr_auc_lift=1.5
)


def _evaluation(
    *, roc_auc: float = 0.9, pr_auc: float = 0.6, positives: int = 80, negatives: int = 320
) -> Evaluation:
    return Evaluation(
        metrics={"roc_auc": roc_auc, "average_precision": pr_auc},
        positives=positives,
        negatives=negatives,
    )


@pytest.mark.parametrize(("positives", "negatives"), [(1, 399), (19, 381), (380, 19)])
def test_gate_refuses_an_evaluation_split_too_small_to_judge(
    positives: int, negatives: int
) -> None:
    # One positive gives a ROC AUC near 1 by luck: the classic degenerate test set.
    decision = decide(
        _evaluation(roc_auc=0.99, positives=positives, negatives=negatives), POLICY, None
    )
    assert not decision.promote
    assert f"{positives} positive and {negatives} negative" in decision.reason
    assert "at least 20 of each" in decision.reason


@pytest.mark.parametrize(
    ("pr_auc", "promote"),
    [(0.29, False), (0.31, True), (float("nan"), False)],
)
def test_gate_needs_pr_auc_above_the_positive_rate(pr_auc: float, promote: bool) -> None:
    # Positive rate 0.2, lift 1.5: PR AUC must reach 0.3 even when ROC AUC looks fine.
    decision = decide(_evaluation(roc_auc=0.9, pr_auc=pr_auc), POLICY, None)
    assert decision.promote is promote
    if not promote:
        assert "PR AUC" in decision.reason and "positive rate 0.2000" in decision.reason


def test_pr_auc_floor_stays_reachable_for_a_common_class() -> None:
    assert pr_auc_floor(0.2, 1.5) == pytest.approx(0.3)
    assert pr_auc_floor(0.8, 1.5) == pytest.approx(0.9)


def test_reference_write_is_atomic_and_self_describing(tmp_path: Path, good_features) -> None:
    path = tmp_path / "reference" / "features.parquet"
    write_reference(good_features, path, {"model_version": "7"})
    write_reference(good_features.head(10), path, {"model_version": "8"})

    assert [p.name for p in path.parent.iterdir()] == ["features.parquet"]
    assert len(pd.read_parquet(path)) == 10
    assert pq.read_schema(path).metadata[b"reference.model_version"] == b"8"
