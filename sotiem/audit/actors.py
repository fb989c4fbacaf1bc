"""Who acts on the registry: a signed-in official (a user row) or an `Agent` that is not one.

An official's events point at their user row; an agent's carry only its label, stored verbatim in
`AuditEvent.actor_label` (the label texts are the ones stored since the first release, so older rows and new ones
read alike).

There is no `None` actor: the registry acting on its own (a command, a background refresh) says so with
`Agent.system(...)` and a label naming which part of it acted. An implicit None said only "nobody in particular",
and every caller that meant it had a better name at hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class AgentKind(StrEnum):
    SYSTEM = "system"  # the registry itself: a management command, a job, a background refresh
    SENDER = "sender"  # records sent in: an API key, an import file's source, an inbox re-run
    CITIZEN = "citizen"  # a member of the public: on the citizen pages (a proved phone or not yet), a failed sign-in


@dataclass(frozen=True, slots=True)
class Agent:
    """Someone acting who is not a signed-in official; `label` is what the audit trail stores for them."""

    kind: AgentKind
    label: str

    @classmethod
    def system(cls, label: str = "system") -> Agent:
        return cls(AgentKind.SYSTEM, label)

    @classmethod
    def sender(cls, label: str) -> Agent:
        return cls(AgentKind.SENDER, label)

    @classmethod
    def citizen(cls, label: str) -> Agent:
        return cls(AgentKind.CITIZEN, label)

    def __str__(self) -> str:
        return self.label


SYSTEM = Agent.system()  # the label a None actor used to be stored with

# the project's user model is Django's own (no AUTH_USER_MODEL); named as text so this module loads before the apps
Actor: TypeAlias = "User | Agent"


def official_of(actor: Actor) -> User | None:
    """The user row an act points at (an event's actor, a dose's recorded_by): an official's, never an agent's."""
    if isinstance(actor, Agent):
        return None
    # tests are not type-checked and may still pass a bare label or None: neither is a user row
    return actor if getattr(actor, "pk", None) else None
