"""The rows other apps keep per person, as they told `people` (so `people` never imports the apps above it).

An app whose models point at a person registers them once, from its AppConfig.ready(), with
`register_person_rows`. A merge, unmerge or split (people.merging) then moves those rows inside its own transaction
and records their ids in PersonMerge.moved under the keys the app chose, so an unmerge puts back exactly those rows.
Each callable is called inside that transaction too: what it writes commits or rolls back with the merge.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from sotiem.people.models import Person

# the keys people.merging keeps for itself in PersonMerge.moved
RESERVED = {"identifiers", "contact_points", "set_aside", "review_reason"}


@dataclass(frozen=True)
class PersonRows:
    """What one app keeps per person, and how a merge, unmerge or split treats it."""

    owner: str
    # key in PersonMerge.moved -> a model with a `person` foreign key; a merge moves every such row of the merged
    tables: Mapping[str, type[models.Model]]
    # after rows moved either way (merge, unmerge, split, undone split), given both persons' ids: e.g. renumber
    moved: Callable[[tuple[int, int]], None] | None = None
    # split: given the person and the chosen row ids, the rows (by key) that go to the new person; refuses a bad choice
    split: Callable[[Person, Sequence[int]], dict[str, list[int]]] | None = None
    # how much of each person's record the app holds (by person id), to choose the survivor of a linked pair
    weight: Callable[[Sequence[int]], dict[int, int]] | None = None


_registry: dict[str, PersonRows] = {}


def register_person_rows(
    owner: str,
    *,
    tables: Mapping[str, type[models.Model]],
    moved: Callable[[tuple[int, int]], None] | None = None,
    split: Callable[[Person, Sequence[int]], dict[str, list[int]]] | None = None,
    weight: Callable[[Sequence[int]], dict[int, int]] | None = None,
) -> PersonRows:
    """Declare an app's per-person rows (once, from its AppConfig.ready()); a second declaration replaces the first."""
    taken = {key for other in _registry.values() if other.owner != owner for key in other.tables}
    clash = (set(tables) & taken) | (set(tables) & RESERVED)
    if clash:
        raise ValueError(f"{owner}: the keys {sorted(clash)} are already used in PersonMerge.moved")
    if split is not None and any(o.split is not None for o in _registry.values() if o.owner != owner):
        raise ValueError(f"{owner}: only one app says what a split chooses")
    rows = PersonRows(owner=owner, tables=dict(tables), moved=moved, split=split, weight=weight)
    _registry[owner] = rows
    return rows


def person_rows() -> list[PersonRows]:
    """Every app's registration, in the order the apps registered."""
    return list(_registry.values())


def person_tables() -> dict[str, type[models.Model]]:
    """Every registered per-person table by its key in PersonMerge.moved."""
    return {key: model for rows in _registry.values() for key, model in rows.tables.items()}


def splitter() -> PersonRows:
    """The registration that says what a split chooses (the app that owns doses)."""
    for rows in _registry.values():
        if rows.split is not None:
            return rows
    raise LookupError("no app registered how a person is split")
