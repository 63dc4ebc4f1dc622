from app import app


def test_index() -> None:
    assert app.test_client().get("/").status_code == 200
