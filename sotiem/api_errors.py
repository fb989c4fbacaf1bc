"""The API's refusals, declared once: every endpoint lists the ones it can give in its `response={...}`, so the
OpenAPI document names every status a client can see (schemathesis checks that it does)."""

from __future__ import annotations

from typing import Annotated, Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from pydantic import WithJsonSchema

from sotiem.lib.params import ParamError


class Problem(Schema):
    """A refusal with its reason in the client's language (Accept-Language); `code` is the same in every language."""

    detail: str
    code: str | None = None


class Invalid(Schema):
    """Ninja's own refusal of a parameter or body that does not fit the declared types (422)."""

    detail: list[dict[str, Any]]


# A parameter that the endpoint reads with `parse_instant` (it stays text until then, so that a bad one gets the
# helper's 400 with the reason rather than a bare 422), documented as the instant it names.
Instant = Annotated[
    str | None,
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "examples": ["2021-08-01T07:30:00+07:00", "2021-08-01"],
            "description": "ISO 8601 date or date and time, with or without an offset (none means UTC); a date that does "
            "not exist or an instant outside 0001-01-01 – 9999-12-31 in UTC is refused with 400",
        }
    ),
]


PROBLEMS: dict[int, Any] = {
    400: Problem,
    401: Problem,
    403: Problem,
    404: Problem,
    413: Problem,
    422: Invalid,
}


def problems(*codes: int) -> dict[int, Any]:
    """The refusal schemas for a `response={...}` mapping: `{200: Out, **problems(400, 401, 422)}`."""
    return {code: PROBLEMS[code] for code in codes}


def install(api: NinjaAPI) -> None:
    """Turn the typed refusals raised anywhere below an endpoint into their documented answers."""

    def param_error(request: HttpRequest, exc: Any) -> HttpResponse:  # a ParamError
        return api.create_response(request, {"detail": str(exc), "code": exc.code}, status=400)

    api.add_exception_handler(ParamError, param_error)

    def too_big(request: HttpRequest, exc: Any) -> HttpResponse:  # Django refused to read the body
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        return api.create_response(
            request,
            {
                "detail": _("The body is too large (at most %(limit)s MB)") % {"limit": limit},
                "code": "too_large",
            },
            status=413,
        )

    api.add_exception_handler(RequestDataTooBig, too_big)

    def unauthorized(request: HttpRequest, exc: Any) -> HttpResponse:  # ninja's own answer is English only
        return api.create_response(
            request,
            {
                "detail": _("No valid credential: send the key or token as Authorization: Bearer <key>"),
                "code": "unauthorized",
            },
            status=401,
        )

    api.add_exception_handler(AuthenticationError, unauthorized)

    def http_error(
        request: HttpRequest, exc: Any
    ) -> HttpResponse:  # an endpoint's HttpError(status, message)
        code = {403: "forbidden", 404: "not_found"}.get(exc.status_code)
        return api.create_response(request, {"detail": str(exc), "code": code}, status=exc.status_code)

    api.add_exception_handler(HttpError, http_error)
