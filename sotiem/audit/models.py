"""The append-only audit log: who changed what, from what to what, and why."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete an audit event."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):  # type: ignore[no-untyped-def]
        raise AppendOnlyError("audit events are append-only")

    def delete(self):  # type: ignore[no-untyped-def]
        raise AppendOnlyError("audit events are append-only")


class AuditEvent(models.Model):
    """One state change of registry data, written in the same transaction as the change itself."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("acting user"),
    )
    actor_label = models.CharField(
        _("acted by"), max_length=120, help_text=_("who acted when not a user: system, an API key, an import")
    )
    action = models.CharField(_("audited action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object identifier"), max_length=64)
    object_repr = models.CharField(_("object description"), max_length=200, blank=True)
    person_id = models.BigIntegerField(
        _("person record id"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_("the person whose record this touches, for a person's history"),
    )
    before = models.JSONField(_("value before"), null=True, blank=True)
    after = models.JSONField(_("value after"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        """Refuse to rewrite history: an event can be created once and never changed."""
        if self.pk is not None:
            raise AppendOnlyError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise AppendOnlyError("audit events are append-only")
