"""The JSON API: one NinjaAPI assembling each app's router (OpenAPI at /api/v1/docs)."""

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
