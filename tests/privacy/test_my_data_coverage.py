"""No model with a client's data can be forgotten by the download: the model graph is walked, and every model
that hangs under a ClientProfile, and every model's link to a user account, must be either in the download or left
out on purpose with a reason (emotipal/privacy/my_data_coverage.py). What it says is in is really read."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext

from emotipal.accounts.models import ClientProfile
from emotipal.privacy import my_data_coverage as coverage
from emotipal.privacy.my_data import collect
from tests.factories import World
from tests.privacy.my_data_factory import fill


def _links(model: type[Model]) -> list[tuple[str, type[Model]]]:
    """(field name, model it points at) of the model's own foreign keys and one-to-one fields."""
    return [
        (f.name, f.related_model)  # type: ignore[misc]
        for f in model._meta.get_fields()
        if f.concrete and (f.many_to_one or f.one_to_one) and f.related_model is not None
    ]


def under_a_profile() -> set[str]:
    """Labels of ClientProfile and of every model with a foreign key to one of them, followed to the end."""
    found: set[type[Model]] = {ClientProfile}
    grew = True
    while grew:
        grew = False
        for model in apps.get_models():
            if model not in found and any(target in found for _name, target in _links(model)):
                found.add(model)
                grew = True
    return {m._meta.label for m in found}


def user_links() -> set[str]:
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    return {
        f"{model._meta.label}.{name}"
        for model in apps.get_models()
        for name, target in _links(model)
        if target is user_model
    }


def test_every_model_under_a_client_profile_is_in_the_download_or_left_out_with_a_reason() -> None:
    owned = under_a_profile()
    assert {"homework.Entry", "support.Encouragement", "research.ConsentRecord"} <= owned  # the walk works
    decided = set(coverage.INCLUDED) | set(coverage.LEFT_OUT)
    assert owned - decided == set(), f"decide whether these go in the download: {sorted(owned - decided)}"
    assert not set(coverage.INCLUDED) & set(coverage.LEFT_OUT)
    assert all(reason.strip() for reason in coverage.LEFT_OUT.values())
    stale = decided - owned - {"accounts.User", "audit.AuditEvent"}  # the two read through the user
    assert stale == set(), f"no longer models under a profile: {sorted(stale)}"


def test_every_link_to_a_user_account_is_decided() -> None:
    links = user_links()
    assert {"homework.EntryReview.reviewer", "account.EmailAddress.user"} <= links  # the walk works
    decided = set(coverage.USER_LINKS_INCLUDED) | set(coverage.USER_LINKS_LEFT_OUT)
    assert links - decided == set(), f"decide whether these go in the download: {sorted(links - decided)}"
    assert decided - links == set(), f"stale: {sorted(decided - links)}"
    assert not set(coverage.USER_LINKS_INCLUDED) & set(coverage.USER_LINKS_LEFT_OUT)
    assert all(reason.strip() for reason in coverage.USER_LINKS_LEFT_OUT.values())


def test_every_field_said_to_be_left_out_exists() -> None:
    for path in coverage.FIELDS_LEFT_OUT:
        label, name = path.rsplit(".", 1)
        try:
            apps.get_model(label)._meta.get_field(name)
        except (LookupError, FieldDoesNotExist):
            raise AssertionError(f"{path} is no field") from None


def test_collecting_reads_every_table_the_download_says_it_includes(world: World) -> None:
    fill(world, world.client_a, "READ")
    profile = ClientProfile.objects.get(pk=world.client_a.pk)  # nothing preloaded
    with CaptureQueriesContext(connection) as queries:
        collect(profile)
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    # Quoted, as both SQLite and PostgreSQL write them: "homework_entry" is not "homework_entryreview".
    labels = {*coverage.INCLUDED, *(link.rsplit(".", 1)[0] for link in coverage.USER_LINKS_INCLUDED)}
    labels.discard("accounts.ClientProfile")  # the one given to collect()
    unread = sorted(label for label in labels if f'"{apps.get_model(label)._meta.db_table}"' not in sql)
    assert unread == [], f"said to be in the download but never read: {unread}"
