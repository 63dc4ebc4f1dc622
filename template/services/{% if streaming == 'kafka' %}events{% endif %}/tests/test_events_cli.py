"""``events`` as a user runs it: produce, consume, dead letters, and refused configurations."""

import pytest

from contracts import Settings
from contracts.cli import CommandError
from events.__main__ import main


def test_produce_then_consume_then_replay(settings: Settings, capsys) -> None:
    assert main(["produce", "--count", "40", "--date", "2026-01-05"]) == 0
    assert main(["consume"]) == 0
    out = capsys.readouterr().out
    assert "consumed 40 messages: 40 new events, 0 duplicates, 0 dead letters" in out
    # Producing the same seeded events again sends duplicates: nothing new lands.
    assert main(["produce", "--count", "40", "--date", "2026-01-05"]) == 0
    assert main(["consume"]) == 0
    assert "40 messages: 0 new events, 40 duplicates" in capsys.readouterr().out
    assert main(["dead-letters"]) == 0
    assert capsys.readouterr().out == ""


def test_plaintext_to_a_broker_needs_an_explicit_allowance(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("APP_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9")
    monkeypatch.setenv("APP_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
    assert main(["consume"]) == 2
    assert "APP_KAFKA_ALLOW_PLAINTEXT" in capsys.readouterr().err


def test_a_broker_is_spoken_to_over_tls_with_the_workload_identity_by_default(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from events.auth import oauth_cb
    from events.kafka import client_config

    remote = Settings(kafka_bootstrap_servers="broker.example:9098")
    assert remote.kafka_security_protocol == "SASL_SSL"
    if oauth_cb is None:  # a local project has no cloud identity to sign in with
        with pytest.raises(CommandError, match="SSL"):
            client_config(remote)
    else:
        config = client_config(remote)
        assert config["sasl.mechanisms"] == "OAUTHBEARER"
        assert config["oauth_cb"] is oauth_cb
    assert "sasl.mechanisms" not in client_config(
        Settings(kafka_bootstrap_servers="b:9093", kafka_security_protocol="SSL")
    )
