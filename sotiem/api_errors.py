"""The API's refusals, declared once: every endpoint lists the ones it can give in its `response={...}`, so the
OpenAPI document names every status a client can see (schemathesis checks that it does)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema

from sotiem.lib.params import ParamError


class Problem(Schema):
    """A refusal with its reason ("vi / en"); `code` is stable where the API gives one."""

    detail: str
    code: str | None = None


class Invalid(Schema):
    """Ninja's own refusal of a parameter or body that does not fit the declared types (422)."""

    detail: list[dict[str, Any]]


PROBLEMS: dict[int, Any] = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 413: Problem, 422: Invalid}


def problems(*codes: int) -> dict[int, Any]:
    """The refusal schemas for a `response={...}` mapping: `{200: Out, **problems(400, 401, 422)}`."""
    return {code: PROBLEMS[code] for code in codes}


def install(api: NinjaAPI) -> None:
    """Turn the typed refusals raised anywhere below an endpoint into their documented answers."""

    def param_error(request: HttpRequest, exc: Any) -> HttpResponse:  # a ParamError
        return api.create_response(request, {"detail": str(exc), "code": exc.code}, status=400)

    api.add_exception_handler(ParamError, param_error)
