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

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    full_name = models.CharField(
        max_length=200, help_text="normalised for display: NFC, spacing, case, tone marks"
    )
    name_as_given = models.CharField(
        max_length=200, blank=True, help_text="exactly as the sender wrote it (NFC)"
    )
    name_key = models.CharField(max_length=200, help_text="diacritics-free, lower case")
    birth_date = models.DateField(null=True, blank=True)
    birth_precision = models.CharField(max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY)
    sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    commune = models.ForeignKey(
        "places.AdminUnit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="address commune, of either era",
    )
    province_code = models.CharField(
        max_length=2, blank=True, help_text="2025-era province of the address (the owning jurisdiction)"
    )
    commune_code = models.CharField(max_length=8, blank=True, help_text="2025-era commune of the address")
    address = models.CharField(max_length=300, blank=True)
    block_key = models.CharField(
        max_length=120,
        blank=True,
        help_text="names (folded), birth year and province: a blocking key of matching",
    )
    birth_key = models.CharField(
        max_length=120,
        blank=True,
        help_text="names (folded) and birth date (when the day is known): a blocking key",
    )
    status = models.CharField(max_length=8, choices=PersonStatus.choices, default=PersonStatus.ACTIVE)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

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

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="identifiers")
    scheme = models.CharField(max_length=10, choices=IdScheme.choices)
    value = models.CharField(max_length=32)
    validated = models.BooleanField(default=False, help_text="passed the format and consistency checks")
    validation_note = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

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

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="contact_points")
    phone = models.CharField(max_length=16, help_text="E.164, e.g. +84912345678")
    relationship = models.CharField(max_length=16, choices=Relationship.choices, default=Relationship.SELF)
    active = models.BooleanField(default=True, help_text="false once detached ('not my family member')")
    created_at = models.DateTimeField(auto_now_add=True)
    detached_at = models.DateTimeField(null=True, blank=True)

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

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person_a = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="+", help_text="the lower id of the pair"
    )
    person_b = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    origin = models.CharField(max_length=12, choices=ReviewOrigin.choices)
    weight = models.FloatField(help_text="Fellegi-Sunter match weight (log2 Bayes factor with the prior)")
    probability = models.FloatField()
    evidence = models.JSONField(default=list, help_text="field by field: both values, the level, its weight")
    model_version = models.CharField(max_length=40)
    province_code = models.CharField(max_length=2, blank=True, help_text="person A's province (2025)")
    other_province_code = models.CharField(max_length=2, blank=True, help_text="person B's province (2025)")
    commune_code = models.CharField(max_length=8, blank=True)
    other_commune_code = models.CharField(max_length=8, blank=True)
    status = models.CharField(max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

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

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=5, choices=MergeKind.choices)
    survivor = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="merge: the person kept; split: the person doses were taken from",
    )
    merged = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="merge: the tombstone; split: the new person",
    )
    moved = models.JSONField(default=dict, help_text="ids of the rows moved, per table, and what was changed")
    review = models.ForeignKey(
        ReviewCandidate, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=120)
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undo_reason = models.TextField(blank=True)

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

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    phone = models.CharField(max_length=16, help_text="E.164, e.g. +84912345678")
    code_hash = models.CharField(
        max_length=64, help_text="HMAC-SHA256 of the public id and the code; never the code"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0, help_text="codes entered so far, right or wrong")
    verified_at = models.DateTimeField(null=True, blank=True)

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

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    phone = models.CharField(max_length=16, help_text="the proved phone (E.164) the try came from")
    address = models.CharField(
        max_length=64, blank=True, help_text="the client address (REMOTE_ADDR; an IPv6 address as its /64)"
    )
    created_at = models.DateTimeField(default=timezone.now)

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

    scope = models.CharField(max_length=8, choices=LockScope.choices)
    key = models.CharField(
        max_length=64, help_text="the person's id, the phone (E.164) or the client address"
    )
    person = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="the person whose certificate was being opened when the lock began",
    )
    started_at = models.DateTimeField(default=timezone.now)
    until = models.DateTimeField()
    strike = models.PositiveSmallIntegerField(
        default=1, help_text="1 for a first lock; each later one lasts twice"
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
