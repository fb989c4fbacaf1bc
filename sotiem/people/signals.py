"""Signals other apps hook into when a person's record changes; sent only once the change has committed."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.dispatch import Signal

from sotiem.people.models import Person

# sent with person_ids: list[int] when a person's doses or identity moved (merge, unmerge, split), so that the
# person's status can be recomputed and a certificate reissued; receivers run after commit, never inside the change
person_changed = Signal()


def person_changed_on_commit(*, person_ids: Iterable[int]) -> None:
    """Send `person_changed` for these persons once the current transaction commits (never if it rolls back)."""
    ids = sorted(set(person_ids))
    transaction.on_commit(lambda: person_changed.send(sender=Person, person_ids=ids))
