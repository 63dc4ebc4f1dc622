"""The ``serve`` command: configuration is checked before uvicorn starts."""

import pytest

from serving.__main__ import main


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """Record uvicorn.run calls instead of binding a port."""
    import uvicorn

    calls: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append(kwargs))
    return calls


def test_serve_starts_uvicorn_with_the_arguments(
    tmp_path, monkeypatch: pytest.MonkeyPatch, uvicorn_calls: list[dict[str, object]]
) -> None:
    monkeypatch.setenv("APP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("APP_ENVIRONMENT", "test")
    monkeypatch.setenv("APP_PORT", "8123")

    assert main(["--host", "0.0.0.0", "--log-level", "warning"]) == 0

    [call] = uvicorn_calls
    assert call["host"] == "0.0.0.0"
    assert call["port"] == 8123
    assert call["server_header"] is False
    assert call["proxy_headers"] is False


def test_invalid_configuration_exits_2_before_uvicorn_starts(
    monkeypatch: pytest.MonkeyPatch,
    uvicorn_calls: list[dict[str, object]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("APP_ENVIRONMENT", "production")
    monkeypatch.delenv("APP_API_KEY", raising=False)

    assert main([]) == 2

    err = capsys.readouterr().err.strip()
    assert err.startswith("serve: error: invalid configuration:")
    assert "APP_API_KEY must be set" in err
    assert len(err.splitlines()) == 1
    assert uvicorn_calls == []


@pytest.mark.parametrize("argv", [["--port", "0"], ["--port", "http"], ["--log-level", "loud"]])
def test_invalid_arguments_exit_2(argv: list[str], uvicorn_calls: list[dict[str, object]]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert uvicorn_calls == []
