from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _

from sotiem.api import api, not_found
from sotiem.certificates import citizen_views as certificate_views
from sotiem.core import views as core_views
from sotiem.immunizations import views as immunization_views
from sotiem.people import citizen_views
from sotiem.people import views as people_views

admin.site.site_header = _("sotiem — National immunization registry")
admin.site.site_title = "sotiem"
admin.site.index_title = _("Registry administration")

urlpatterns = [
    path("", core_views.landing, name="landing"),
    path("healthz", core_views.healthz, name="healthz"),
    path("imports/", immunization_views.import_list, name="import_list"),
    path("imports/template.xlsx", immunization_views.import_template, name="import_template"),
    path("imports/<uuid:public_id>/", immunization_views.import_detail, name="import_detail"),
    path("imports/<uuid:public_id>/report.xlsx", immunization_views.import_report, name="import_report"),
    path("review/", people_views.review_list, name="review_list"),
    path("review/<uuid:public_id>/", people_views.review_detail, name="review_detail"),
    path("households/", people_views.household, name="household"),
    path("my/phone/", citizen_views.my_phone, name="citizen_phone"),
    path("my/phone/verify/", citizen_views.my_phone_verify, name="citizen_phone_verify"),
    path("my/phone/detach/", citizen_views.my_phone_detach, name="citizen_phone_detach"),
    path("my/phone/forget/", citizen_views.my_phone_forget, name="citizen_phone_forget"),
    path("my/certificates/<str:handle>/", certificate_views.my_certificate, name="citizen_certificate"),
    path(
        "my/certificates/<str:handle>/<str:name>",
        certificate_views.my_certificate_file,
        name="citizen_certificate_file",
    ),
    # the language switch on every page posts here (Django's set_language: the cookie, then back to `next`)
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", not_found),  # after the API's own routes: any other /api/ address
]
