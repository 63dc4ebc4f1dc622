"""The OpenAPI document of the API, as committed in ``services/serving/openapi.json``.

``make openapi`` (``python -m serving.openapi services/serving/openapi.json``) rewrites the
file from the code; ``--check`` (and the serving tests) fail when the committed file and the
code disagree, so the document clients and the developer portal read is never stale.
"""

import argparse
import json
import secrets
import sys
from pathlib import Path

DEFAULT_PATH = Path("services/serving/openapi.json")


def document() -> str:
    """The document the app generates, in the committed layout (2-space JSON, final newline)."""
    from pydantic import SecretStr

    from contracts.settings import Settings
    from serving.app import create_app

    # Outside production, where the app generates it; no key or model is needed for that (a
    # throwaway pseudonymisation key: this app answers no request).
    settings = Settings(environment="test", pseudonymisation_key=SecretStr(secrets.token_hex(32)))
    schema = create_app(settings).openapi()
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m serving.openapi", description=__doc__)
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the file differs from the code"
    )
    args = parser.parse_args(argv)
    current = document()
    if args.check:
        if not args.path.is_file() or args.path.read_text() != current:
            print(f"{args.path} is out of date: run `make openapi` and commit it", file=sys.stderr)
            return 1
        return 0
    args.path.write_text(current)
    return 0


if __name__ == "__main__":
    sys.exit(main())
