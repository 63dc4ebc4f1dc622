"""A hook `aiarch add --from` must never run (accept_hooks=False): it would mark the project."""

from pathlib import Path

Path("HOOK_RAN").write_text("a third-party hook ran\n")
