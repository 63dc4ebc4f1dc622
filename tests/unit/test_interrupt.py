"""A real signal mid-render leaves nothing behind (the process, not a monkeypatch)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from aiarch_scaffold.generate import leftover_staging


def test_sigterm_during_render_removes_the_staging_folder(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "aiarch_scaffold", "new", str(tmp_path / "p"), "--defaults"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not leftover_staging(tmp_path) and process.poll() is None:
        assert time.monotonic() < deadline, "rendering never started"
        time.sleep(0.005)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    if process.returncode == 0:
        # The render won the race; then the project must be complete, never partial.
        assert (tmp_path / "p" / "Makefile").is_file()
        return
    assert process.returncode == 130, stderr
    assert stderr.strip() == "Error: interrupted; nothing was written"
    assert not (tmp_path / "p").exists()
    left = leftover_staging(tmp_path)
    assert not left, [str(p) for p in left[0].rglob("*")][:20]
