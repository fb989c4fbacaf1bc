"""Signing keys (public part only: private keys live in files outside the database) and issued certificates."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sotiem.accounts.scoping import RestrictedQuerySet
from sotiem.people.models import PERSON_ROW_SCOPE


class SigningKeyStatus(models.TextChoices):
    ACTIVE = "active", _("Signing")
    RETIRED = "retired", _("Retired, still published")


class SigningKey(models.Model):
    """A document signer (DSC): its X.509 certificate is published; its private key is a file named by key_path."""

    kid = models.CharField(
        verbose_name=_("key ID (kid)"),
        max_length=24,
        unique=True,
        help_text=_("base64 of the first 8 bytes of SHA-256(DER)"),
    )
    certificate_der = models.BinaryField(
        verbose_name=_("signer certificate (DER)"), help_text=_("the document signer certificate, DER")
    )
    key_path = models.CharField(
        verbose_name=_("private key file"),
        max_length=500,
        help_text=_("PEM file of the private key (outside the database)"),
    )
    not_before = models.DateTimeField(verbose_name=_("valid from"))
    not_after = models.DateTimeField(verbose_name=_("valid until"))
    status = models.CharField(
        verbose_name=_("key status"),
        max_length=8,
        choices=SigningKeyStatus.choices,
        default=SigningKeyStatus.ACTIVE,
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")
        ordering = ["-not_before", "-id"]

    def __str__(self) -> str:
        return f"{self.kid} ({self.status}, until {self.not_after:%Y-%m-%d})"

    def is_published(self, now=None) -> bool:  # type: ignore[no-untyped-def]
        """Whether verifiers still need it: certificates it signed can be valid until its notAfter."""
        return self.not_after > (now or timezone.now())


class Certificate(models.Model):
    """One signed vaccination certificate (HC1). Never changed once stored: reissuing adds the one that replaces
    it, and revoking adds a Revocation, so that reissuing a million certificates only appends rows.

    A person's certificates form one chain: each new one names the one it replaces (unique, so two concurrent
    reissues cannot both replace it, and only one may start the chain). The head of the chain is the person's
    current certificate unless it is revoked (no dose counts any more).
    """

    SCOPE = PERSON_ROW_SCOPE

    # the UVCI is the certificate's public identifier: no UUID of its own
    person = models.ForeignKey(
        "people.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="certificates"
    )
    uvci = models.CharField(
        verbose_name=_("certificate identifier (UVCI)"),
        max_length=80,
        help_text=_("the certificate identifier (ci); unique (Meta)"),
    )
    hc1 = models.TextField(
        verbose_name=_("signed content (HC1)"),
        help_text=_("the signed certificate as the QR code carries it"),
    )
    fingerprint = models.CharField(
        verbose_name=_("content fingerprint"),
        max_length=32,
        help_text=_("hash of the certified content, to reissue only on change"),
    )
    state = models.CharField(
        verbose_name=_("vaccination status when issued"),
        max_length=8,
        help_text=_("status when issued: partial, complete, booster"),
    )
    # no database-level foreign key: checking it locks the one signing key row once per certificate, ~5 us of
    # PostgreSQL's time each (a quarter of its share in issuing); keys are never deleted (PROTECT here, and no
    # service deletes one) and issuing reads the key row first
    signing_key = models.ForeignKey(
        SigningKey,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("signing key"),
    )
    issued_at = models.DateTimeField(verbose_name=_("issued at"))
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("replaces certificate"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
        help_text=_("the person's previous certificate"),
    )
    # EU DCC revocation hashes (first 16 bytes of SHA-256), published once revoked
    hash_uci = models.BinaryField(verbose_name=_("UCI hash"), max_length=16)
    hash_country_uci = models.BinaryField(verbose_name=_("country and UCI hash"), max_length=16)
    hash_signature = models.BinaryField(verbose_name=_("signature hash"), max_length=16)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            # a constraint rather than unique=True: on PostgreSQL that would add a second (LIKE) index on every insert
            models.UniqueConstraint(fields=["uvci"], name="certificate_uvci_unique"),
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(replaces__isnull=True),
                name="certificate_one_chain_per_person",
            ),
        ]
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return self.uvci

    def is_revoked(self) -> bool:
        """Whether a verifier must refuse it (its identifier is on the revocation list)."""
        return Revocation.objects.filter(certificate_id=self.pk).exists()


class Revocation(models.Model):
    """A revoked certificate (replaced, or no dose counts any more).

    Only the UCI hash is copied and indexed, for "is this one revoked?": every sotiem certificate has its own UVCI,
    so it names one signed certificate as well as the signature hash would. The published list takes all three
    hashes from the certificate, and reads the whole table (no index on the time: one index less to write per
    revocation, a million at a time when a key is replaced)."""

    certificate = models.OneToOneField(
        Certificate,
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="revocation",
        verbose_name=_("certificate"),
    )
    revoked_at = models.DateTimeField(verbose_name=_("revoked at"))
    reason = models.CharField(verbose_name=_("reason"), max_length=200, blank=True)
    hash_uci = models.BinaryField(verbose_name=_("UCI hash"), max_length=16)

    class Meta:
        verbose_name = _("certificate revocation")
        verbose_name_plural = _("certificate revocations")
        indexes = [models.Index(fields=["hash_uci"], name="revocation_uci")]

    def __str__(self) -> str:
        return f"{self.certificate_id} revoked {self.revoked_at:%Y-%m-%d}"
