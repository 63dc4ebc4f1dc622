"""/metrics of a server with several worker processes: what every worker wrote to
``PROMETHEUS_MULTIPROC_DIR``, added up (the REST and the gRPC supervisors share it)."""

from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, multiprocess

# prometheus_client's mmap files start with the used size (4 bytes) and 4 bytes of padding.
MMAP_HEADER_BYTES = 8


def _started(metrics_file: Path) -> bool:
    try:
        return metrics_file.stat().st_size >= MMAP_HEADER_BYTES
    except OSError:  # the worker that wrote it is gone
        return False


class StartedWorkersCollector(multiprocess.MultiProcessCollector):
    # A worker creates its file before it sizes and maps it: a scrape in between read an
    # empty file and answered 500. Such a file holds no sample yet; skip it.
    def collect(self) -> Any:
        files = [str(path) for path in Path(self._path).glob("*.db") if _started(path)]
        return self.merge(files, accumulate=True)


def workers_registry(path: str | None = None) -> CollectorRegistry:
    """A registry of every started worker's metrics in ``path`` (the environment's folder)."""
    registry = CollectorRegistry()
    StartedWorkersCollector(registry, path=path)
    return registry
