"""The shared command-line helpers: argument types, settings errors, error-to-exit-code mapping."""

import argparse
import logging
from collections.abc import Callable
from datetime import date

import pytest

from contracts import cli


@pytest.mark.parametrize(
    ("parse", "text", "expected"),
    [
        (cli.iso_date, "2024-02-29", date(2024, 2, 29)),
        (cli.fraction, "0", 0.0),
        (cli.fraction, "1", 1.0),
        (cli.open_fraction, "0.2", 0.2),
        (cli.positive_float, "0.001", 0.001),
        (cli.non_negative_float, "0", 0.0),
        (cli.positive_int, "3", 3),
        (cli.port, "65535", 65535),
    ],
)
def test_argument_types_accept_valid_values(
    parse: Callable[[str], object], text: str, expected: object
) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        (cli.iso_date, "2024-13-01", "expected YYYY-MM-DD"),
        (cli.fraction, "1.5", r"within \[0, 1\]"),
        (cli.fraction, "nan", r"within \[0, 1\]"),
        (cli.fraction, "half", "expected a number"),
        (cli.open_fraction, "1", "exclusive"),
        (cli.open_fraction, "0", "exclusive"),
        (cli.positive_float, "0", "> 0"),
        (cli.non_negative_float, "-0.1", ">= 0"),
        (cli.positive_int, "0", "positive"),
        (cli.positive_int, "1.5", "expected an integer"),
        (cli.port, "0", "1-65535"),
        (cli.port, "65536", "1-65535"),
    ],
)
def test_argument_types_reject_invalid_values(
    parse: Callable[[str], object], text: str, message: str
) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        parse(text)


def test_argparse_turns_a_rejected_value_into_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parser = argparse.ArgumentParser(prog="demo")
    parser.add_argument("--date", type=cli.iso_date)
    with pytest.raises(SystemExit) as exit_info:
        parser.parse_args(["--date", "yesterday"])
    assert exit_info.value.code == cli.EXIT_BAD_INPUT
    assert "expected YYYY-MM-DD, got 'yesterday'" in capsys.readouterr().err


def test_load_settings_names_each_invalid_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_N_ROWS", "5")
    monkeypatch.setenv("APP_SEED", "many")
    with pytest.raises(cli.CommandError) as error:
        cli.load_settings()
    message = str(error.value)
    assert message.startswith("invalid configuration: ")
    assert "APP_N_ROWS: " in message
    assert "APP_SEED: " in message
    assert "\n" not in message


def test_load_settings_reports_model_level_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENVIRONMENT", "production")
    monkeypatch.setenv("APP_API_KEY", "short")  # pragma: allowlist secret
    with pytest.raises(cli.CommandError) as error:
        cli.load_settings()
    assert str(error.value) == (
        "invalid configuration: API keys must be at least 32 characters when "
        "APP_ENVIRONMENT=production"
    )
    monkeypatch.setenv("APP_ENVIRONMENT", "test")
    assert cli.load_settings().environment == "test"


def test_only_the_api_needs_a_key_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENVIRONMENT", "production")
    monkeypatch.delenv("APP_API_KEY", raising=False)
    assert cli.load_settings().environment == "production"
    with pytest.raises(cli.CommandError) as error:
        cli.load_api_settings()
    assert str(error.value) == (
        "invalid configuration: APP_API_KEY must be set when APP_ENVIRONMENT=production"
    )


class _Expected(Exception):
    pass


def test_run_command_maps_user_errors_to_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    def fails_with(error: Exception) -> Callable[[], int]:
        def command() -> int:
            raise error

        return command

    assert cli.run_command("demo", lambda: 1) == 1
    assert cli.run_command("demo", fails_with(cli.CommandError("bad input"))) == 2
    assert cli.run_command("demo", fails_with(_Expected("no data")), (_Expected,)) == 2
    assert capsys.readouterr().err.splitlines() == [
        "demo: error: bad input",
        "demo: error: no data",
    ]
    # Anything unexpected is a bug: traceback, and a code no check uses.
    assert cli.run_command("demo", fails_with(KeyError("x"))) == cli.EXIT_INTERNAL_ERROR
    err = capsys.readouterr().err
    assert "Traceback" in err and "demo: error: internal error (KeyError)" in err


def test_exit_codes_are_distinct_and_data_errors_are_not_check_failures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    codes = [code.value for code in cli.ExitCode]
    assert len(codes) == len(set(codes))
    assert cli.EXIT_CHECK_FAILED == 1
    assert cli.EXIT_USAGE == 2 and cli.EXIT_DATA_ERROR == 3

    def data_error() -> int:
        raise cli.DataError("corrupt\nsecond line of a library message")

    assert cli.run_command("demo", data_error) == cli.EXIT_DATA_ERROR
    assert capsys.readouterr().err == "demo: error: corrupt | second line of a library message\n"


def test_sigterm_becomes_terminated_and_deferred_sections_finish_first(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import os
    import signal

    from contracts.termination import deferred_termination

    steps: list[str] = []

    def command() -> int:
        with deferred_termination():
            os.kill(os.getpid(), signal.SIGTERM)
            steps.append("finished the critical section")
        steps.append("never reached")
        return 0

    assert cli.run_command("demo", command) == cli.ExitCode.TERMINATED == 143
    assert steps == ["finished the critical section"]
    assert capsys.readouterr().err.startswith("demo: error: terminated by SIGTERM")
    # The previous handler is back once the command is over.
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_configure_logging_quiets_noisy_libraries() -> None:
    cli.configure_logging(quiet=("contracts-test-noisy",))
    assert logging.getLogger("contracts-test-noisy").level == logging.WARNING
