"""Every exercise template renders in every variant and every interface language, for staff and clients."""

from __future__ import annotations

import pytest

from emotipal.homework import services
from emotipal.library.models import TemplateVersion
from tests.factories import World, plan_for


@pytest.mark.parametrize("language", ["en", "es", "ar"])
def test_every_template_and_variant_renders(world: World, language: str) -> None:
    world.client_a.user.language = language
    world.client_a.user.save()
    world.therapist.language = language
    world.therapist.save()
    staff, client = world.login(world.therapist), world.login(world.client_a.user)
    versions = list(TemplateVersion.objects.filter(template__clinic__isnull=True).select_related("template"))
    assert len(versions) >= 10
    for version in versions:
        for variant in ["base", *(v["key"] for v in version.variants)]:
            page = staff.get(f"/library/{version.template.slug}/?variant={variant}")
            assert page.status_code == 200, (version.template.slug, variant)
            assignment = services.assign_homework(
                world.therapist, world.client_a, plan_for(version, variant_key=variant)
            )
            form = client.get(f"/homework/{assignment.pk}/")
            assert form.status_code == 200, (version.template.slug, variant)
            # The client sees the chosen framing in their own language where the template has it.
            shown = assignment.shown_variant_key
            assert shown == variant or shown in {"base", *(v["key"] for v in version.variants)}
            texts = next((v for v in version.variants if v["key"] == shown), None)
            if texts and texts.get("title"):
                assert texts["title"].encode() in form.content
            assert f'lang="{language}"'.encode() in form.content
