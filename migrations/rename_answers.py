"""copier migration: rename questions in a project's answers file, keeping their answers.

Used from copier.yml `_migrations` in the "before" stage, so the update that follows
already sees the new names:

    python rename_answers.py .copier-answers.yml old_name=new_name [...]

An answer that already exists under the new name wins (the project answered it already).
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml


def rename(answers_file: Path, renames: dict[str, str]) -> list[str]:
    text = answers_file.read_text(encoding="utf-8")
    header = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))
    answers = yaml.safe_load(text) or {}
    done = []
    for old, new in renames.items():
        if old in answers:
            value = answers.pop(old)
            answers.setdefault(new, value)
            done.append(f"{old} -> {new}")
    answers_file.write_text(
        header + yaml.safe_dump(answers, sort_keys=True, allow_unicode=True), encoding="utf-8"
    )
    return done


def main(argv: list[str]) -> int:
    if len(argv) < 2 or not all("=" in pair for pair in argv[1:]):
        print("usage: rename_answers.py ANSWERS_FILE OLD=NEW [...]", file=sys.stderr)
        return 2
    renames = dict(pair.split("=", 1) for pair in argv[1:])
    for line in rename(Path(argv[0]), renames):
        print(f"renamed answer {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
