"""`emotipal research export --study SLUG --out DIR`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from emotipal.platform.audit.models import AuditEvent
from emotipal.research.export.manifest import sha256
from tests.factories import World
from tests.research.export_world import build
from tests.research.study_factory import make_participant, make_study


def test_export_writes_the_study_with_a_manifest_and_is_audited(world: World, tmp_path: Path) -> None:
    ew = build(world)
    out = tmp_path / "export"
    call_command("research", "export", "--study", ew.study.slug, "--out", str(out))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["study"]["slug"] == ew.study.slug and manifest["consent_versions"] == [1]
    assert manifest["code_version"].startswith(("git ", "emotipal "))
    assert manifest["participants"]["participants_included"] == 3
    files = {f["path"]: f for f in manifest["files"]}
    assert files["clients.csv"]["rows"] == 3
    assert files[f"parquet/study={ew.study.slug}/table=clients/part-0000.parquet"]["rows"] == 3
    for path, entry in files.items():
        assert entry["sha256"] == sha256(out / path)
    assert files["codebook.csv"]["rows"] is None
    # One read row per participant whose data it holds (not the removed one), and one for the export.
    reads = AuditEvent.objects.filter(action="read.research.export")
    assert reads.count() == 3
    assert {e.subject_user_id for e in reads} == {
        p.client.user_id for p in (ew.free_text, ew.data_only, ew.withdrawn_keep)
    }
    event = AuditEvent.objects.get(action="research.export")
    assert event.detail["via"] == "command line" and event.actor_id is None


def test_unknown_study_empty_study_and_used_folder_are_refused(world: World, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No study with slug 'nope'"):
        call_command("research", "export", "--study", "nope", "--out", str(tmp_path / "a"))
    study = make_study(world, "nobody-yet")
    make_participant(world, study, world.client_a)
    with pytest.raises(CommandError, match="no consenting participant"):
        call_command("research", "export", "--study", study.slug, "--out", str(tmp_path / "b"))
    assert not (tmp_path / "b").exists()
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "old.csv").write_text("x\n", encoding="utf-8")
    with pytest.raises(CommandError, match="not an empty folder"):
        call_command("research", "export", "--study", study.slug, "--out", str(tmp_path / "c"))
    assert not AuditEvent.objects.filter(action__startswith="read.research").exists()
