"""Fixture repositories live here (audited, rendered): pytest must not collect their tests."""

collect_ignore_glob = ["*"]
