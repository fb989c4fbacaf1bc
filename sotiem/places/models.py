"""Administrative units of both eras (2021: 63 provinces with districts; 2025: 34 provinces), sites, sessions."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class Era(models.TextChoices):
    Y2021 = "2021", _("63 provinces (2021)")
    Y2025 = "2025", _("34 provinces (2025)")


class Level(models.TextChoices):
    PROVINCE = "province", _("Province")
    DISTRICT = "district", _("District")
    COMMUNE = "commune", _("Commune")


class AdminUnit(models.Model):
    """One province, district or commune of one era; codes are reused across eras, so the era is part of the key."""

    era = models.CharField(_("era"), max_length=4, choices=Era.choices)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    code = models.CharField(_("unit code"), max_length=8)
    name = models.CharField(_("unit name"), max_length=120)
    full_name = models.CharField(_("full unit name"), max_length=160)
    key = models.CharField(
        _("lookup key"), max_length=160, db_index=True, help_text=_("diacritics-free name key for lookup")
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent unit"),
    )
    province_code = models.CharField(
        _("province code"), max_length=2, help_text=_("the province this unit lies in, same era")
    )

    class Meta:
        verbose_name = _("administrative unit")
        verbose_name_plural = _("administrative units")
        constraints = [
            models.UniqueConstraint(fields=["era", "level", "code"], name="adminunit_era_level_code")
        ]
        indexes = [models.Index(fields=["era", "level", "province_code"])]
        ordering = ["era", "level", "code"]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.era})"


class UnitMapping(models.Model):
    """Where a 2021-era unit went in 2025; a split ward has several rows, one of them the default."""

    old = models.ForeignKey(
        AdminUnit, on_delete=models.PROTECT, related_name="mapped_to", verbose_name=_("unit (2021)")
    )
    new = models.ForeignKey(
        AdminUnit, on_delete=models.PROTECT, related_name="mapped_from", verbose_name=_("unit (2025)")
    )
    is_default = models.BooleanField(_("default mapping"), default=True)

    class Meta:
        verbose_name = _("unit mapping")
        verbose_name_plural = _("unit mappings")
        constraints = [models.UniqueConstraint(fields=["old", "new"], name="unitmapping_old_new")]

    def __str__(self) -> str:
        return f"{self.old_id} → {self.new_id}{'' if self.is_default else ' (not default)'}"


class SiteKind(models.TextChoices):
    FIXED = "fixed", _("Fixed site")
    HOSPITAL = "hospital", _("Hospital")
    MOBILE = "mobile", _("Mobile team")
    SCHOOL = "school", _("School")
    WORKPLACE = "workplace", _("Workplace")


class Site(models.Model):
    """A vaccination site or team, owned by one (2025-era) province."""

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(_("site code"), max_length=32, unique=True)
    name = models.CharField(_("site name"), max_length=200)
    kind = models.CharField(_("site kind"), max_length=12, choices=SiteKind.choices)
    province = models.ForeignKey(
        AdminUnit, on_delete=models.PROTECT, related_name="sites", verbose_name=_("province")
    )
    commune = models.ForeignKey(
        AdminUnit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("commune"),
    )
    active = models.BooleanField(_("in operation"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SiteSession(models.Model):
    """Where a site vaccinated on one day: a mobile team's day in a school gym is a findable thing."""

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="sessions", db_index=False, verbose_name=_("site")
    )  # served by the (site, date, place_text) unique index
    date = models.DateField(_("session date"))
    commune = models.ForeignKey(
        AdminUnit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("commune"),
    )
    place_text = models.CharField(_("place as written"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("site session")
        verbose_name_plural = _("site sessions")
        constraints = [
            models.UniqueConstraint(fields=["site", "date", "place_text"], name="sitesession_site_date_place")
        ]
        indexes = [models.Index(fields=["date"])]
        ordering = ["-date", "site__code"]

    def __str__(self) -> str:
        return f"{self.site.code} {self.date:%d/%m/%Y} {self.place_text}".strip()
