"""`python -m aiarch_scaffold` is the `aiarch` command."""

from aiarch_scaffold.cli import app

app(prog_name="aiarch")
