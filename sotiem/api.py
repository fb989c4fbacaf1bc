"""The JSON API: one NinjaAPI assembling each app's router (OpenAPI at /api/v1/docs)."""

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI

from sotiem import api_errors
from sotiem.certificates.api import router as certificates_router
from sotiem.immunizations.api import router as immunizations_router
from sotiem.immunizations.persons_api import router as persons_router
from sotiem.interop.api import router as interop_router

api = NinjaAPI(title="sotiem API", version="1", description="Sổ tiêm — national immunization registry API")
api_errors.install(api)
api.add_router("/persons", persons_router)
api.add_router("/", immunizations_router)
api.add_router("/", interop_router)
api.add_router("/", certificates_router)


def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """An address under /api/ that names no endpoint: a JSON refusal with its code, as every other API answer."""
    return JsonResponse({"detail": _("No such endpoint: see /api/v1/docs"), "code": "not_found"}, status=404)
