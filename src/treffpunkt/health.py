from __future__ import annotations

from litestar import HttpMethod, Response, route
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from treffpunkt import db


def _operation_id(handler: object, method: str, path: object) -> str:
    return "health" if method == HttpMethod.GET else "healthHead"


# HEAD too: load balancers and uptime checks often ask with HEAD.
@route(
    "/health",
    http_method=[HttpMethod.GET, HttpMethod.HEAD],
    operation_id=_operation_id,
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
