from django.contrib import admin, messages
from django.utils.translation import gettext as _

# A search term longer than this is cut: SQLite refuses a LIKE pattern over 50,000 bytes with an error (a 500),
# and no name, identifier or code the admin searches is longer than a few dozen characters.
MAX_SEARCH_CHARS = 200


def searchable(text: str) -> str:
    """The search term as the database can take it: no control characters (PostgreSQL refuses NUL), bounded."""
    return "".join(ch for ch in text if ch >= " " and not 0xD800 <= ord(ch) <= 0xDFFF)[:MAX_SEARCH_CHARS]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Registry data is changed only by audited services; the admin shows it and never edits it."""

    def has_module_permission(self, request):  # type: ignore[no-untyped-def]
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return request.user.is_active and request.user.is_staff

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def get_search_results(self, request, queryset, search_term):  # type: ignore[no-untyped-def]
        term = searchable(search_term)
        if term != search_term:
            messages.warning(
                request,
                _("Searched for the first %(count)s characters, control characters removed")
                % {"count": len(term)},
            )
        return super().get_search_results(request, queryset, term)
