"""Liveness and readiness, the same for every API style. Metrics have their own port."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from serving.auth import optional_identity
from serving.errors import APIError, error_doc
from serving.model import ModelHandle

router = APIRouter()


async def loaded_model(request: Request) -> ModelHandle:
    # Read once: a reload swapping the model mid-request cannot mix two versions.
    handle: ModelHandle | None = request.app.state.model
    if handle is None:
        raise APIError(503, "model_not_loaded", "no champion model is loaded")
    return handle


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process answers. Never depends on the model, so it is not restarted."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: error_doc("No model loaded")})
async def readyz(
    handle: Annotated[ModelHandle, Depends(loaded_model)],
    identity: Annotated[str | None, Depends(optional_identity)],
) -> dict[str, str]:
    """Readiness: 200 once a verified model is loaded. Model details only with a valid key."""
    if identity is None:
        return {"status": "ready"}
    return {"status": "ready", "model_name": handle.name, "model_version": handle.version}
