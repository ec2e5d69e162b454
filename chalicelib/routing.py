"""The route table: each route is declared once with its HTTP contract (query and body models, response model,
roles, error statuses); declaring it registers the Chalice route and gives the OpenAPI document its entry
(chalicelib/openapi.py), so no route exists without one.

A route's handler receives its path parameters and, as declared, `caller` (the authenticated Principal, after
the role check), `query` and `body` (parsed models); it returns a response model (dumped as JSON with the
declared status) or a chalice Response (CSV, text, no content).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable

from chalice import Chalice, Response
from pydantic import BaseModel

from . import auth
from .validation import parse_json, parse_query, require_json

JSON, TEXT, CSV = "application/json", "text/plain", "text/csv"
ANY_CONTENT_TYPE = ["*/*"]  # content types are checked by the domain code, which answers in our error shape
EVERY_ROLE = auth.ROLES
PUBLIC = None


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    handler: Callable[..., Any]
    response: Any  # a model; {media type: model or JSON schema}; None: no content
    status: int = 200
    errors: tuple[int, ...] = ()  # beyond those the contract implies (401, 403, 400, 413)
    roles: tuple[str, ...] | None = EVERY_ROLE  # None: public (no API key)
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    body_required: bool = True
    webhook: str | None = None  # the platform whose adapter documents the payload, headers and handshake query

    @property
    def public(self) -> bool:
        return self.roles is None

    @property
    def statuses(self) -> tuple[int, ...]:
        """Every error status this operation can answer."""
        implied = set(self.errors)
        if not self.public:
            implied.add(401)
            if set(self.roles) != set(EVERY_ROLE):
                implied.add(403)
        if self.query is not None or self.body is not None:
            implied.add(400)
        if self.body is not None:
            implied |= {413, 415}
        return tuple(sorted(implied))


class RouteTable:
    """The app's routes; `route(...)` declares one (a decorator) and registers it with Chalice."""

    def __init__(self, app: Chalice, around: Callable[[Callable[..., Any]], Callable[..., Any]] | None = None):
        self.app = app
        self.around = around  # wraps every handler call, e.g. to answer the domain's refusals as HTTP errors
        self.operations: list[Operation] = []

    def route(self, method: str, path: str, summary: str, **contract: Any) -> Callable:
        def declare(handler: Callable[..., Any]) -> Callable[..., Any]:
            operation = Operation(method, path, summary, self.around(handler) if self.around else handler,
                                  **contract)
            self.operations.append(operation)

            @functools.wraps(handler)
            def view(**path_parameters: str) -> Any:
                return self._serve(operation, path_parameters)

            self.app.route(path, methods=[method], content_types=ANY_CONTENT_TYPE)(view)
            return handler

        return declare

    def _serve(self, operation: Operation, arguments: dict[str, Any]) -> Any:
        request = self.app.current_request
        if not operation.public:
            caller = auth.authenticate(request.headers)
            auth.require_role(caller, *operation.roles)
            arguments["caller"] = caller
        if operation.query is not None:
            arguments["query"] = parse_query(request.query_params, operation.query)
        if operation.body is not None:
            if request.raw_body:
                require_json(request.headers.get("content-type"))
            arguments["body"] = parse_json(request.raw_body, operation.body, empty={})  # empty: {}
        result = operation.handler(**arguments)
        if isinstance(result, BaseModel):
            return Response(body=result.model_dump(mode="json", by_alias=True), status_code=operation.status,
                            headers={"Content-Type": JSON})
        return result
