from churn import train


def test_module_has_train() -> None:
    assert callable(train.train)
