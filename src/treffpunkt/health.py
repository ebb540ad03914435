from __future__ import annotations

from litestar import Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from treffpunkt import db


@get(
    "/health",
    operation_id="health",
    tags=["system"],
    cache=False,
    responses={503: ResponseSpec(dict[str, str], description="the database does not answer")},
)
async def health() -> Response[dict[str, str]]:
    """200 when the service and its database answer, 503 when the database does not."""
    try:
        await db.ping()
    except Exception as error:
        body = {"status": "unavailable", "database": type(error).__name__}
        return Response(body, status_code=HTTP_503_SERVICE_UNAVAILABLE)
    return Response({"status": "ok", "database": "ok"}, status_code=HTTP_200_OK)
