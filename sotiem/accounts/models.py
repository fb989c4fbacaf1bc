"""Officials' grants: a role over one jurisdiction (national, a province, a commune or a site)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    MANAGER = "manager", _("Data manager")
    VIEWER = "viewer", _("Viewer")
    VACCINATOR = "vaccinator", _("Site vaccinator")


class Level(models.TextChoices):
    NATIONAL = "national", _("National")
    PROVINCE = "province", _("Province")
    COMMUNE = "commune", _("Commune")
    SITE = "site", _("Site")


# What each role may do; scoping checks the action against this table, never an ordering of roles.
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.MANAGER: frozenset({"view", "change"}),
    Role.VIEWER: frozenset({"view"}),
    Role.VACCINATOR: frozenset({"view", "change"}),
}


class Grant(models.Model):
    """One role over one jurisdiction, held by one official; revoked grants are kept, not deleted."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("official"), on_delete=models.PROTECT, related_name="grants"
    )
    role = models.CharField(verbose_name=_("role"), max_length=16, choices=Role.choices)
    level = models.CharField(verbose_name=_("jurisdiction level"), max_length=16, choices=Level.choices)
    province_code = models.CharField(
        verbose_name=_("province code"), max_length=2, blank=True, help_text=_("2025-era province code")
    )
    commune_code = models.CharField(
        verbose_name=_("commune code"), max_length=8, blank=True, help_text=_("2025-era commune code")
    )
    site = models.ForeignKey(
        "places.Site",
        verbose_name=_("site"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(verbose_name=_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        constraints = [
            models.CheckConstraint(
                name="grant_jurisdiction_matches_level",
                condition=(
                    models.Q(level="national", province_code="", commune_code="", site__isnull=True)
                    | models.Q(level="province", commune_code="", site__isnull=True)
                    & ~models.Q(province_code="")
                    | models.Q(level="commune", site__isnull=True) & ~models.Q(commune_code="")
                    | models.Q(level="site", site__isnull=False)
                ),
            )
        ]

    def __str__(self) -> str:
        where = {
            "national": "VN",
            "province": self.province_code,
            "commune": self.commune_code,
            "site": str(self.site_id),
        }[self.level]
        return f"{self.user} {self.role}@{self.level}:{where}"

    def allows(self, action: str) -> bool:
        """Whether this grant's role permits the action (view or change), ignoring jurisdiction."""
        return self.revoked_at is None and action in ROLE_ACTIONS.get(self.role, frozenset())


class ApiKey(models.Model):
    """A sender's credential: one site, or a province's data-entry team. Only a hash of the secret is kept."""

    prefix = models.CharField(
        verbose_name=_("key prefix"),
        max_length=16,
        unique=True,
        help_text=_("the public part, shown in lists"),
    )
    secret_hash = models.CharField(
        verbose_name=_("secret hash"), max_length=64, help_text=_("sha256 of the secret part")
    )
    source = models.CharField(
        verbose_name=_("sender code"),
        max_length=64,
        db_index=True,
        help_text=_("the sender code its records are held under (a site code or a team code)"),
    )
    site = models.ForeignKey(
        "places.Site",
        verbose_name=_("site"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("a site key may send only that site's doses"),
    )
    province_code = models.CharField(
        verbose_name=_("province code"),
        max_length=2,
        blank=True,
        help_text=_("a team key may send doses of any site of this 2025 province"),
    )
    label = models.CharField(verbose_name=_("label"), max_length=200, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(verbose_name=_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(verbose_name=_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        constraints = [
            models.CheckConstraint(
                name="apikey_site_or_province",
                condition=models.Q(site__isnull=False) | ~models.Q(province_code=""),
            )
        ]

    def __str__(self) -> str:
        return f"{self.prefix} ({self.source})"

    def is_active(self) -> bool:
        """Whether requests carrying this key are accepted (not revoked)."""
        return self.revoked_at is None
