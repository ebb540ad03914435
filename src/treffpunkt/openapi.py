"""The OpenAPI description at /schema, exact: what each operation accepts and answers.

Litestar builds the paths and parameters. The schemas of bodies and answers come from
pydantic itself (Litestar's own rendering shows a dict keyed by locale as an array and a
wall time as a duration), and every operation lists the errors it can give, in the one
error format. The page at /schema is Swagger UI from a pinned Python package
(swagger-ui-py), served from here: it works offline and loads nothing from elsewhere.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from litestar import Litestar, MediaType, Request
from litestar.openapi import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import JsonRenderPlugin, OpenAPIRenderPlugin
from litestar.openapi.spec import Components, OpenAPIType, SecurityScheme
from litestar.plugins import OpenAPISchemaPlugin
from litestar.serialization import encode_json
from litestar.typing import FieldDefinition
from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema

COMPONENTS = "#/components/schemas/"
SWAGGER_UI = Path(str(files("swagger_ui") / "static"))


class Error(BaseModel):
    """Every error answer of the API."""

    error: str = Field(description="a code, e.g. not_found, invalid_input, conflict")
    detail: str = Field(description="what went wrong, in a sentence")
    fields: dict[str, str] = Field(description="field → what is wrong with it")


_WHY = {
    401: "no login, or one that expired",
    403: "logged in, but not allowed to do this",
    404: "no such object here",
    409: "the object's state does not allow it",
    413: "the body is too large",
    422: "invalid input; `fields` names each field at fault",
    429: "too many attempts; try again after `Retry-After` seconds",
    503: "the database is unavailable",
}
_HEADERS = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}, "required": True}},
    429: {"Retry-After": {"schema": {"type": "string"}, "required": True}},
}


def errors(*codes: int) -> dict[int, ResponseSpec]:
    """The error answers an operation can give besides the ones every operation of its
    kind has (see `_error_codes`): e.g. errors(409) where a state conflict is possible."""
    return {
        code: ResponseSpec(data_container=Error, generate_examples=False, description=_WHY[code])
        for code in codes
    }


def _error_codes(operation: dict[str, Any]) -> set[int]:
    """What any operation can answer, from what it is."""
    codes = {int(code) for code in operation.get("responses", {}) if int(code) >= 400}
    codes.discard(400)  # bad input is 422 here
    if operation.get("security"):
        codes |= {401, 403}
    parameters = operation.get("parameters", [])
    if any(p["in"] == "path" for p in parameters):
        codes.add(404)
    if operation.get("requestBody") or any(p["in"] == "query" for p in parameters):
        codes.add(422)
    if operation.get("requestBody"):
        codes.add(413)  # app.MAX_BODY_BYTES
    return codes


def _not_modified(operation: dict[str, Any]) -> None:
    """Calendar files answer 304 to a client whose copy is current (calendars/routes.py)."""
    success = operation["responses"].get("200", {})
    if any(media.startswith("text/calendar") for media in success.get("content", {})):
        operation["responses"]["304"] = {
            "description": "the copy named by If-None-Match or If-Modified-Since is current"
        }


def _in_error_format(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return bool(schema.get("$ref") == f"{COMPONENTS}Error")


def _error_response(code: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _WHY[code],
        "content": {"application/json": {"schema": {"$ref": f"{COMPONENTS}Error"}}},
    }
    if code in _HEADERS:
        response["headers"] = _HEADERS[code]
    return response


# --- schemas from pydantic ----------------------------------------------------------------


class ModelReferences(OpenAPISchemaPlugin):
    """Litestar only names the models; `exact` puts pydantic's schemas behind the names."""

    @staticmethod
    def is_plugin_supported_type(value: Any) -> bool:
        return isinstance(value, type) and issubclass(value, BaseModel)

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Any:
        registry = schema_creator.schema_registry
        registry.get_schema_for_field_definition(field_definition).type = OpenAPIType.OBJECT
        return registry.get_reference_for_field_definition(field_definition)


def _models(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for argument in get_args(annotation):
        yield from _models(argument)
    origin = get_origin(annotation)
    if origin is not None and origin is not annotation:
        yield from _models(origin)


def _handler_models(app: Litestar) -> tuple[set[type[BaseModel]], set[type[BaseModel]]]:
    """The models of request bodies, and of answers, of every documented operation."""
    bodies: set[type[BaseModel]] = set()
    answers: set[type[BaseModel]] = {Error}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            signature = handler.parsed_fn_signature
            if "data" in signature.parameters:
                bodies.update(_models(signature.parameters["data"].annotation))
            answers.update(_models(signature.return_type.annotation))
    return bodies, answers


def _walk_refs(node: Any, rename: dict[str, str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(COMPONENTS):
            node["$ref"] = rename.get(ref, ref)
        for value in node.values():
            _walk_refs(value, rename)
    elif isinstance(node, list):
        for value in node:
            _walk_refs(value, rename)


def exact(app: Litestar, document: dict[str, Any]) -> dict[str, Any]:
    """Litestar's description with pydantic's schemas and every operation's errors."""
    document = copy.deepcopy(document)
    bodies, answers = _handler_models(app)
    keys: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = [
        (model, "validation") for model in sorted(bodies, key=lambda m: m.__name__)
    ]
    keys += [(model, "serialization") for model in sorted(answers, key=lambda m: m.__name__)]
    refs, definitions = models_json_schema(keys, ref_template=COMPONENTS + "{model}")
    # Litestar names a model's component after the class; point each use at pydantic's.
    as_body = {f"{COMPONENTS}{m.__name__}": refs[(m, "validation")]["$ref"] for m in bodies}
    as_answer = {f"{COMPONENTS}{m.__name__}": refs[(m, "serialization")]["$ref"] for m in answers}
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in [n for n in schemas if f"{COMPONENTS}{n}" in as_body | as_answer]:
        del schemas[name]
    schemas.update(definitions.get("$defs", {}))
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            _walk_refs(operation.get("requestBody"), as_body)
            codes = _error_codes(operation)
            responses = operation["responses"]
            for code in list(responses):
                if int(code) >= 400 and (code == "400" or _in_error_format(responses[code])):
                    del responses[code]
            _walk_refs(responses, as_answer)
            for code in sorted(codes):
                responses.setdefault(str(code), _error_response(code))
            _not_modified(operation)
    document.pop("security", None)  # only the operations that need a login say so
    return document


# --- serving it ---------------------------------------------------------------------------


class _Exact:
    """Renders the exact description, built once per app."""

    def _document(self, request: Request[Any, Any, Any], schema: dict[str, Any]) -> dict[str, Any]:
        state = request.app.state
        if getattr(state, "openapi_document", None) is None:
            state.openapi_document = exact(request.app, schema)
        document: dict[str, Any] = state.openapi_document
        return document


class ExactJson(_Exact, JsonRenderPlugin):
    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return encode_json(self._document(request, openapi_schema))


class SwaggerPage(_Exact, OpenAPIRenderPlugin):
    """Swagger UI from local files, without inline script (a strict CSP may apply)."""

    def __init__(self) -> None:
        super().__init__(path="/", media_type=MediaType.HTML)

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = openapi_schema["info"]["title"]
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} API</title>
<link rel="icon" href="/static/favicon-32x32.png">
<link rel="stylesheet" href="/static/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-url="/schema/openapi.json"></div>
<script src="/static/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script>
</body>
</html>
""".encode()


def openapi_config(version: str) -> OpenAPIConfig:
    return OpenAPIConfig(
        title="treffpunkt",
        version=version,
        description="Events, registrations, calendars and mail for municipal integration work.",
        path="/schema",
        render_plugins=[SwaggerPage(), ExactJson()],
        components=Components(
            security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}
        ),
    )
