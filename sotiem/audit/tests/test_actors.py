"""Who acted is stored as before: an agent's label verbatim and no user row; an official's username and their row."""

import pytest

from sotiem.audit.actors import Agent, AgentKind
from sotiem.audit.models import AuditEvent
from sotiem.audit.services import audit_record, audit_record_entries
from sotiem.testing import make_site

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "agent",
    [
        Agent.sender("apikey:ab12cd"),
        Agent.sender("import:P79-BACKLOG"),
        Agent.system("linkage"),
        Agent.citizen("citizen:+84901234567"),
    ],
)
def test_an_agents_label_is_stored_verbatim_with_no_user(agent):
    site = make_site()
    event = AuditEvent.objects.get(pk=audit_record(actor=agent, action="site.touch", obj=site).pk)
    assert event.actor_id is None
    assert event.actor_label == agent.label


def test_an_officials_username_is_stored_with_their_user_row(personas):
    site = make_site()
    event = AuditEvent.objects.get(pk=audit_record(actor=personas.nurse, action="site.touch", obj=site).pk)
    assert event.actor_id == personas.nurse.pk
    assert event.actor_label == personas.nurse.get_username()


def test_events_written_in_one_statement_store_the_actor_the_same_way(personas):
    audit_record_entries(
        actor=Agent.sender("apikey:ab12cd"),
        action="x.bulk",
        object_type="x.thing",
        entries=[("1", "one", None, None)],
    )
    audit_record_entries(
        actor=personas.nurse, action="x.bulk", object_type="x.thing", entries=[("2", "two", None, None)]
    )
    rows = dict(AuditEvent.objects.filter(action="x.bulk").values_list("object_id", "actor_id"))
    labels = dict(AuditEvent.objects.filter(action="x.bulk").values_list("object_id", "actor_label"))
    assert rows == {"1": None, "2": personas.nurse.pk}
    assert labels == {"1": "apikey:ab12cd", "2": personas.nurse.get_username()}


def test_the_constructors_name_the_kind():
    assert Agent.system().kind is AgentKind.SYSTEM and Agent.system().label == "system"
    assert Agent.sender("import:P79").kind is AgentKind.SENDER
    assert Agent.citizen("citizen:unverified").kind is AgentKind.CITIZEN
