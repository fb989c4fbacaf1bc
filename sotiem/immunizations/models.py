"""The vaccine catalogue (data, not code), doses and appointments. An appointment never becomes a dose."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sotiem.accounts.scoping import RestrictedQuerySet


class Vaccine(models.Model):
    """One product of the catalogue, with its primary series; loaded from the domain CSV."""

    code = models.CharField(_("vaccine code"), max_length=20, unique=True)
    name = models.CharField(_("vaccine name"), max_length=80, help_text=_("the common name used in Vietnam"))
    product = models.CharField(_("product"), max_length=200)
    manufacturer = models.CharField(_("manufacturer"), max_length=200)
    platform = models.CharField(_("vaccine platform"), max_length=80, blank=True)
    approved_on = models.DateField(_("approved in Vietnam on"), null=True, blank=True)
    primary_doses = models.PositiveSmallIntegerField(_("doses in the primary series"))
    min_interval_days = models.PositiveSmallIntegerField(_("minimum interval (days)"), null=True, blank=True)
    max_interval_days = models.PositiveSmallIntegerField(_("maximum interval (days)"), null=True, blank=True)
    icd11_code = models.CharField(_("ICD-11 code"), max_length=16, blank=True)
    eu_product_code = models.CharField(
        _("EU product code"),
        max_length=40,
        blank=True,
        help_text=_("EU DCC value set vaccines-covid-19-names"),
    )
    aliases = models.JSONField(
        _("aliases"), default=list, blank=True, help_text=_("names people write for it, for parsing")
    )
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("vaccine")
        verbose_name_plural = _("vaccines")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class DoseStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    VOIDED = "voided", _("Voided")
    DISPUTED = "disputed", _("Disputed")


class Dose(models.Model):
    """One administration event (site, date, vaccine, lot): the only thing that makes a dose."""

    SCOPE = {
        "province": ["site__province__code", "person__province_code"],
        "commune": ["person__commune_code", "site__commune__code"],
        "site": ["site_id"],
    }

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    # person and site lookups are served by the (person, date) and (site, date) indexes; vaccines and users are
    # never deleted, so their foreign keys need no index of their own (fewer indexes: faster backlog imports)
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        related_name="doses",
        db_index=False,
        verbose_name=_("vaccinated person"),
    )
    vaccine = models.ForeignKey(
        Vaccine, on_delete=models.PROTECT, related_name="doses", db_index=False, verbose_name=_("vaccine")
    )
    site = models.ForeignKey(
        "places.Site", on_delete=models.PROTECT, related_name="doses", db_index=False, verbose_name=_("site")
    )
    session = models.ForeignKey(
        "places.SiteSession",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="doses",
        verbose_name=_("site session"),
    )
    administered_on = models.DateField(_("administered on"))
    lot_number = models.CharField(_("lot number"), max_length=40, blank=True)
    dose_number_stated = models.PositiveSmallIntegerField(
        _("dose number as sent"), null=True, blank=True, help_text=_("as the sender wrote it")
    )
    dose_number_derived = models.PositiveSmallIntegerField(
        _("dose number as counted"),
        null=True,
        blank=True,
        help_text=_("its place among the person's valid doses"),
    )
    source = models.CharField(
        _("source"), max_length=64, help_text=_("who sent it: a site, an API key, an import")
    )
    source_record_id = models.CharField(
        _("sender's record id"), max_length=64, blank=True, help_text=_("the sender's own record id")
    )
    content_hash = models.CharField(
        _("content hash"),
        max_length=80,
        blank=True,
        help_text=_("hash of the record as the sender sent it, for receipts"),
    )
    quality_flags = models.JSONField(
        _("data-quality flags"),
        default=list,
        blank=True,
        help_text=_("data-quality flags for an official: the dose is kept"),
    )
    sent_record = models.JSONField(
        _("record as sent"), null=True, blank=True, help_text=_("the record exactly as the sender sent it")
    )
    status = models.CharField(
        _("dose status"), max_length=8, choices=DoseStatus.choices, default=DoseStatus.VALID
    )
    status_reason = models.TextField(_("reason for the status"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    inbox_batch = models.ForeignKey(
        "InboxBatch",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("received batch"),
        help_text=_("the received batch it came in: its payload and audit"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("dose")
        verbose_name_plural = _("doses")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_record_id"],
                condition=~models.Q(source_record_id=""),
                name="dose_source_record_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["person", "administered_on"]),
            models.Index(fields=["site", "administered_on"]),
            models.Index(fields=["source", "created_at"]),
        ]
        ordering = ["administered_on", "id"]

    def __str__(self) -> str:
        return f"{self.vaccine_id} {self.administered_on:%d/%m/%Y} ({self.status})"

    def counts(self) -> bool:
        """Whether this dose may count towards status and certificates (valid, not voided or disputed)."""
        return self.status == DoseStatus.VALID


class AppointmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CANCELLED = "cancelled", _("Cancelled")


class Appointment(models.Model):
    """A planned dose. It is never counted as a dose; only a recorded administration fulfils it."""

    SCOPE = {"province": ["person__province_code"], "commune": ["person__commune_code"], "site": ["site_id"]}

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="appointments", verbose_name=_("person")
    )
    vaccine = models.ForeignKey(
        Vaccine, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("vaccine")
    )
    dose_number = models.PositiveSmallIntegerField(_("dose number"))
    due_on = models.DateField(_("due on"))
    site = models.ForeignKey(
        "places.Site",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("site"),
    )
    status = models.CharField(
        _("appointment status"),
        max_length=10,
        choices=AppointmentStatus.choices,
        default=AppointmentStatus.SCHEDULED,
    )
    fulfilled_by = models.OneToOneField(
        Dose,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appointment",
        verbose_name=_("fulfilled by dose"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["due_on"]

    def __str__(self) -> str:
        return f"dose {self.dose_number} due {self.due_on:%d/%m/%Y}"

    def is_missed(self, today) -> bool:  # type: ignore[no-untyped-def]
        """A scheduled appointment past its date with no dose recorded: still not a dose."""
        return (
            self.status == AppointmentStatus.SCHEDULED
            and self.fulfilled_by_id is None
            and self.due_on < today
        )


class InboxStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSED = "processed", _("Processed")
    FAILED = "failed", _("Processing failed")


class InboxBatch(models.Model):
    """A batch exactly as it arrived, stored (and committed) before it is processed, so nothing received is lost."""

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    source = models.CharField(_("source"), max_length=64, db_index=True)
    channel = models.CharField(_("channel"), max_length=16, help_text=_("api, import, hl7"))
    payload = models.JSONField(_("payload"), help_text=_("the records as sent (or the raw HL7 text)"))
    record_count = models.PositiveIntegerField(_("record count"), default=0)
    status = models.CharField(
        _("batch status"),
        max_length=10,
        choices=InboxStatus.choices,
        default=InboxStatus.RECEIVED,
        db_index=True,
    )
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("processing attempts"), default=0)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbox batch")
        verbose_name_plural = _("inbox batches")
        ordering = ["received_at", "id"]

    def __str__(self) -> str:
        return f"{self.channel} {self.source} ×{self.record_count} ({self.status})"


class ImportStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportRun(models.Model):
    """One import of a backlog file: progress, counts and refused rows, so a run can resume and report."""

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    source = models.CharField(_("source"), max_length=64, db_index=True)
    file_name = models.CharField(_("file name"), max_length=255)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64, db_index=True)
    total_rows = models.PositiveIntegerField(_("total rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    counts = models.JSONField(_("result counts"), default=dict, blank=True, help_text=_("results by status"))
    refused = models.JSONField(
        _("refused rows"),
        default=list,
        blank=True,
        help_text=_("[line, record_id, status, reasons] per refused row"),
    )
    status = models.CharField(
        _("import status"), max_length=8, choices=ImportStatus.choices, default=ImportStatus.RUNNING
    )
    error = models.TextField(_("error"), blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("started by"),
    )
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.source}) {self.rows_done}/{self.total_rows}"

    def progress(self) -> float:
        """The share of rows processed, 0..1, for progress bars."""
        return (
            self.rows_done / self.total_rows if self.total_rows else (1.0 if self.status == "done" else 0.0)
        )
