"""Persons, their identifiers and contact points. A phone number is a contact point, never an identity."""

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sotiem.accounts.scoping import RestrictedQuerySet

# a row that belongs to one person is seen by whoever may see that person (its identifiers, phones, certificates)
PERSON_ROW_SCOPE = {
    "province": ["person__province_code"],
    "commune": ["person__commune_code"],
    "site": ["person__doses__site_id"],
}


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")
    UNKNOWN = "U", pgettext_lazy("sex", "Unknown")  # Django's own "Unknown" reads otherwise


class DatePrecision(models.TextChoices):
    DAY = "day", _("Day")
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")


class PersonStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    MERGED = "merged", _("Merged")


class Person(models.Model):
    """One human being; merged persons stay as tombstones pointing at the survivor."""

    SCOPE = {
        "province": ["province_code", "doses__site__province__code"],
        "commune": ["commune_code"],
        "site": ["doses__site_id"],
    }

    public_id = models.UUIDField(verbose_name=_("public ID"), default=uuid.uuid4, unique=True, editable=False)
    full_name = models.CharField(
        verbose_name=_("full name"),
        max_length=200,
        help_text=_("normalised for display: NFC, spacing, case, tone marks"),
    )
    name_as_given = models.CharField(
        verbose_name=_("name as given"),
        max_length=200,
        blank=True,
        help_text=_("exactly as the sender wrote it (NFC)"),
    )
    name_key = models.CharField(
        verbose_name=_("name key"), max_length=200, help_text=_("diacritics-free, lower case")
    )
    birth_date = models.DateField(verbose_name=_("birth date"), null=True, blank=True)
    birth_precision = models.CharField(
        verbose_name=_("birth date precision"),
        max_length=5,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
    )
    sex = models.CharField(verbose_name=_("sex"), max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    commune = models.ForeignKey(
        "places.AdminUnit",
        verbose_name=_("commune"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("address commune, of either era"),
    )
    province_code = models.CharField(
        verbose_name=_("province code"),
        max_length=2,
        blank=True,
        help_text=_("2025-era province of the address (the owning jurisdiction)"),
    )
    commune_code = models.CharField(
        verbose_name=_("commune code"),
        max_length=8,
        blank=True,
        help_text=_("2025-era commune of the address"),
    )
    address = models.CharField(verbose_name=_("address"), max_length=300, blank=True)
    block_key = models.CharField(
        verbose_name=_("block key"),
        max_length=120,
        blank=True,
        help_text=_("names (folded), birth year and province: a blocking key of matching"),
    )
    birth_key = models.CharField(
        verbose_name=_("birth key"),
        max_length=120,
        blank=True,
        help_text=_("names (folded) and birth date (when the day is known): a blocking key"),
    )
    status = models.CharField(
        verbose_name=_("person's status"),
        max_length=8,
        choices=PersonStatus.choices,
        default=PersonStatus.ACTIVE,
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
        verbose_name=_("merged into"),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        # plain indexes (no LIKE variants: jurisdiction codes are matched exactly); name_key alone is served by
        # the (name_key, birth_date) index
        indexes = [
            models.Index(fields=["name_key", "birth_date"]),
            models.Index(fields=["province_code"]),
            models.Index(fields=["commune_code"]),
            models.Index(fields=["block_key"]),
            models.Index(fields=["birth_key"]),
        ]
        constraints = [
            models.CheckConstraint(
                name="person_merged_has_target",
                condition=models.Q(status="active", merged_into__isnull=True)
                | models.Q(status="merged", merged_into__isnull=False),
            )
        ]

    def __str__(self) -> str:
        born = self.birth_date.year if self.birth_date else "?"
        return f"{self.full_name} ({born})"

    def is_merged(self) -> bool:
        """Whether this row is a tombstone of a merge (its data lives on the survivor)."""
        return self.status == PersonStatus.MERGED


class IdScheme(models.TextChoices):
    CCCD = "CCCD", _("Citizen ID (12 digits)")
    CMND = "CMND", _("Old ID card (9 or 12 digits)")
    BHYT = "BHYT", _("Health insurance")
    PASSPORT = "PASSPORT", _("Passport")


class Identifier(models.Model):
    """A national identifier as recorded; one number may (wrongly) appear on two persons, so it is not unique."""

    SCOPE = PERSON_ROW_SCOPE

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="identifiers"
    )
    scheme = models.CharField(verbose_name=_("ID type"), max_length=10, choices=IdScheme.choices)
    value = models.CharField(verbose_name=_("ID number"), max_length=32)
    validated = models.BooleanField(
        verbose_name=_("validated"), default=False, help_text=_("passed the format and consistency checks")
    )
    validation_note = models.TextField(verbose_name=_("validation note"), blank=True)
    active = models.BooleanField(verbose_name=_("in use"), default=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("identifier")
        verbose_name_plural = _("identifiers")
        indexes = [models.Index(fields=["scheme", "value"])]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "scheme", "value"], name="identifier_person_scheme_value"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scheme} {self.value}"


class Relationship(models.TextChoices):
    SELF = "self", _("Self")
    GUARDIAN = "guardian", _("Guardian")
    RELATIVE = "relative", _("Relative")
    GROUP_ORGANISER = "group_organiser", _("Group organiser")
    UNSTATED = "unstated", _("Not stated (given on a record)")


class ContactPoint(models.Model):
    """A phone a person gave, and whose phone it is; many persons may share one, and it never identifies them."""

    SCOPE = PERSON_ROW_SCOPE

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="contact_points"
    )
    phone = models.CharField(
        verbose_name=_("phone number"), max_length=16, help_text=_("E.164, e.g. +84912345678")
    )
    relationship = models.CharField(
        verbose_name=_("relationship"), max_length=16, choices=Relationship.choices, default=Relationship.SELF
    )
    active = models.BooleanField(
        verbose_name=_("in use"), default=True, help_text=_("false once detached ('not my family member')")
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    detached_at = models.DateTimeField(verbose_name=_("detached at"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact phone")
        verbose_name_plural = _("contact phones")
        indexes = [models.Index(fields=["phone"])]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "phone"],
                condition=models.Q(active=True),
                name="contactpoint_active_person_phone",
            )
        ]

    def __str__(self) -> str:
        return f"{self.phone} ({self.relationship})"


class ReviewOrigin(models.TextChoices):
    INGEST = "ingest", _("On receiving a record")
    LINKAGE = "linkage", _("Registry-wide deduplication")
    ID_CONFLICT = "id_conflict", _("One ID on two different people")


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    LINKED = "linked", _("Same person (merged)")
    NOT_SAME = "not_same", _("Not the same person")


class ReviewCandidate(models.Model):
    """A pair of persons that may be one human being, for an official to decide; asked once per pair."""

    SCOPE = {
        "province": ["province_code", "other_province_code"],
        "commune": ["commune_code", "other_commune_code"],
        "site": ["person_a__doses__site_id", "person_b__doses__site_id"],
    }

    public_id = models.UUIDField(verbose_name=_("public ID"), default=uuid.uuid4, unique=True, editable=False)
    person_a = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("the lower id of the pair"),
        verbose_name=_("person A"),
    )
    person_b = models.ForeignKey(
        Person, verbose_name=_("person B"), on_delete=models.PROTECT, related_name="+"
    )
    origin = models.CharField(verbose_name=_("origin"), max_length=12, choices=ReviewOrigin.choices)
    weight = models.FloatField(
        verbose_name=_("match weight"),
        help_text=_("Fellegi-Sunter match weight (log2 Bayes factor with the prior)"),
    )
    probability = models.FloatField(verbose_name=_("match probability"))
    evidence = models.JSONField(
        verbose_name=_("evidence"),
        default=list,
        help_text=_("field by field: both values, the level, its weight"),
    )
    model_version = models.CharField(verbose_name=_("model version"), max_length=40)
    province_code = models.CharField(
        verbose_name=_("person A's province code"),
        max_length=2,
        blank=True,
        help_text=_("person A's province (2025)"),
    )
    other_province_code = models.CharField(
        verbose_name=_("person B's province code"),
        max_length=2,
        blank=True,
        help_text=_("person B's province (2025)"),
    )
    commune_code = models.CharField(verbose_name=_("person A's commune code"), max_length=8, blank=True)
    other_commune_code = models.CharField(verbose_name=_("person B's commune code"), max_length=8, blank=True)
    status = models.CharField(
        verbose_name=_("review status"),
        max_length=10,
        choices=ReviewStatus.choices,
        default=ReviewStatus.PENDING,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(verbose_name=_("decided at"), null=True, blank=True)
    reason = models.TextField(verbose_name=_("reason"), blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("review candidate")
        verbose_name_plural = _("review candidates")
        indexes = [models.Index(fields=["status", "province_code"]), models.Index(fields=["person_b"])]
        constraints = [
            models.UniqueConstraint(fields=["person_a", "person_b"], name="review_candidate_pair_once"),
            models.CheckConstraint(
                name="review_candidate_ordered_pair", condition=models.Q(person_a__lt=models.F("person_b"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_a_id}~{self.person_b_id} {self.status} ({self.weight:.1f})"

    def is_pending(self) -> bool:
        """Whether an official still has to decide this pair."""
        return self.status == ReviewStatus.PENDING


class MergeKind(models.TextChoices):
    MERGE = "merge", _("Merge")
    SPLIT = "split", _("Split")


class PersonMerge(models.Model):
    """One merge (or split) as it was done, with every row it moved, so it can be undone exactly."""

    SCOPE = {
        "province": ["survivor__province_code", "merged__province_code"],
        "commune": ["survivor__commune_code", "merged__commune_code"],
        "site": ["survivor__doses__site_id"],
    }

    public_id = models.UUIDField(verbose_name=_("public ID"), default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(verbose_name=_("kind of change"), max_length=5, choices=MergeKind.choices)
    survivor = models.ForeignKey(
        Person,
        verbose_name=_("survivor"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("merge: the person kept; split: the person doses were taken from"),
    )
    merged = models.ForeignKey(
        Person,
        verbose_name=_("merged or new person"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("merge: the tombstone; split: the new person"),
    )
    moved = models.JSONField(
        verbose_name=_("moved rows"),
        default=dict,
        help_text=_("ids of the rows moved, per table, and what was changed"),
    )
    review = models.ForeignKey(
        ReviewCandidate,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("review candidate"),
    )
    actor_label = models.CharField(verbose_name=_("done by"), max_length=120)
    reason = models.TextField(verbose_name=_("reason"))
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    undone_at = models.DateTimeField(verbose_name=_("undone at"), null=True, blank=True)
    undo_reason = models.TextField(verbose_name=_("undo reason"), blank=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("merge or split")
        verbose_name_plural = _("merges and splits")
        indexes = [models.Index(fields=["survivor"]), models.Index(fields=["merged"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.merged_id}->{self.survivor_id}{' (undone)' if self.undone_at else ''}"

    def is_undone(self) -> bool:
        """Whether this merge or split was reversed (its rows are back where they were)."""
        return self.undone_at is not None


class PhoneChallenge(models.Model):
    """A one-time code sent to a phone so its holder can prove it; only a keyed hash of the code is kept.

    It carries no personal data beyond the phone: a phone is proved, never a person.
    """

    LIFETIME = dt.timedelta(minutes=10)
    MAX_ATTEMPTS = 5

    public_id = models.UUIDField(verbose_name=_("public ID"), default=uuid.uuid4, unique=True, editable=False)
    phone = models.CharField(
        verbose_name=_("phone number"), max_length=16, help_text=_("E.164, e.g. +84912345678")
    )
    code_hash = models.CharField(
        verbose_name=_("code hash"),
        max_length=64,
        help_text=_("HMAC-SHA256 of the public id and the code; never the code"),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    attempts = models.PositiveSmallIntegerField(
        verbose_name=_("attempts"), default=0, help_text=_("codes entered so far, right or wrong")
    )
    verified_at = models.DateTimeField(verbose_name=_("verified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("phone challenge")
        verbose_name_plural = _("phone challenges")
        indexes = [models.Index(fields=["phone", "created_at"])]

    def __str__(self) -> str:
        return f"{self.phone} {self.created_at:%Y-%m-%d %H:%M}"

    def is_expired(self) -> bool:
        """Whether the code is too old to prove anything (a code lives ten minutes)."""
        return self.expires_at <= timezone.now()

    def attempts_left(self) -> int:
        """How many more codes may be tried before the challenge is spent (brute force gets five guesses)."""
        return max(0, self.MAX_ATTEMPTS - self.attempts)


class BirthDateTry(models.Model):
    """One wrong birth date typed to open a person's certificate; counted per person, phone and client address.

    Kept in the database, not the session, so that neither a new one-time code nor a new session starts over.
    """

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+")
    phone = models.CharField(
        verbose_name=_("phone number"),
        max_length=16,
        help_text=_("the proved phone (E.164) the try came from"),
    )
    address = models.CharField(
        verbose_name=_("client address"),
        max_length=64,
        blank=True,
        help_text=_("the client address (REMOTE_ADDR; an IPv6 address as its /64)"),
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("wrong birth date")
        verbose_name_plural = _("wrong birth dates")
        indexes = [
            models.Index(fields=["person", "created_at"]),
            models.Index(fields=["phone", "created_at"]),
            models.Index(fields=["address", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"person {self.person_id} from {self.phone} {self.created_at:%Y-%m-%d %H:%M}"


class LockScope(models.TextChoices):
    PERSON = "person", _("Person")
    PHONE = "phone", _("Phone")
    ADDRESS = "address", _("Client address")


class BirthDateLock(models.Model):
    """Opening certificates by birth date refused for one person, phone or client address until a time."""

    scope = models.CharField(verbose_name=_("lock scope"), max_length=8, choices=LockScope.choices)
    key = models.CharField(
        verbose_name=_("locked value"),
        max_length=64,
        help_text=_("the person's id, the phone (E.164) or the client address"),
    )
    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("the person whose certificate was being opened when the lock began"),
    )
    started_at = models.DateTimeField(verbose_name=_("started at"), default=timezone.now)
    until = models.DateTimeField(verbose_name=_("locked until"))
    strike = models.PositiveSmallIntegerField(
        verbose_name=_("lock number"),
        default=1,
        help_text=_("1 for a first lock; each later one lasts twice"),
    )

    class Meta:
        verbose_name = _("birth date lock")
        verbose_name_plural = _("birth date locks")
        indexes = [models.Index(fields=["scope", "key", "until"])]

    def __str__(self) -> str:
        return f"{self.scope} {self.key} until {self.until:%Y-%m-%d %H:%M}"

    def is_active(self) -> bool:
        """Whether the lock still refuses birth dates (it ends by itself at `until`)."""
        return self.until > timezone.now()


def birth_date_lock_keys(*, person_id: int, phone: str, address: str) -> dict[str, str]:
    """The key of each lock scope for a try on one person from one phone and client address."""
    return {LockScope.PERSON: str(person_id), LockScope.PHONE: phone, LockScope.ADDRESS: address}
