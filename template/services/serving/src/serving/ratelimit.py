"""Per-key rate limit: an in-process token bucket per caller identity.

Each replica limits on its own, so the cluster-wide rate is this limit times the replicas; the
ingress controller (nginx ``limit-rps``) or an API gateway can add a global limit in front.
"""

import math
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from serving.auth import require_api_key
from serving.errors import APIError


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """``rate`` tokens per second refill up to ``burst``; a request takes one token.

    Used from the event loop only, so no lock. Buckets are keyed by the identity of a
    configured key, so their number is bounded by the number of keys.
    """

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, _Bucket] = {}

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def retry_after(self, identity: str, now: float | None = None) -> int | None:
        """None when the request may go ahead, else whole seconds until a token is back."""
        if not self.enabled:
            return None
        now = time.monotonic() if now is None else now
        bucket = self._buckets.get(identity)
        if bucket is None:
            bucket = self._buckets[identity] = _Bucket(tokens=float(self.burst), updated=now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return max(1, math.ceil((1 - bucket.tokens) / self.rate))


async def enforce_rate_limit(
    request: Request, identity: Annotated[str, Depends(require_api_key)]
) -> str:
    limiter: RateLimiter = request.app.state.rate_limiter
    wait = limiter.retry_after(identity)
    if wait is not None:
        raise APIError(
            429,
            "rate_limited",
            "too many requests for this API key",
            headers={"Retry-After": str(wait)},
        )
    return identity
