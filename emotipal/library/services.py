"""Loading the exercise library from its version-controlled data files."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from emotipal.library.models import ExerciseTemplate, TemplateVersion
from emotipal.library.schema import SchemaError, check_template_fields

EXERCISES_DIR = Path(__file__).resolve().parent / "exercises"
REQUIRED_KEYS = ("slug", "kind", "title", "rationale", "instructions", "fields")
VERSIONED_KEYS = ("title", "summary", "rationale", "instructions", "estimated_minutes", "fields")


@dataclass
class SyncReport:
    created: list[str]
    new_versions: list[str]
    unchanged: list[str]


def read_exercise_file(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise SchemaError(f"{path.name}: expected a mapping at the top level")
    missing = [k for k in REQUIRED_KEYS if not data.get(k)]
    if missing:
        raise SchemaError(f"{path.name}: missing {', '.join(missing)}")
    try:
        check_template_fields(data["fields"])
    except SchemaError as exc:
        raise SchemaError(f"{path.name}: {exc}") from exc
    return data


def content_hash(data: dict[str, Any]) -> str:
    # JSON round trip so YAML int anchor keys hash the same way as the stored JSON.
    payload = json.loads(json.dumps({k: data.get(k) for k in VERSIONED_KEYS}))
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


@transaction.atomic
def sync_library(directory: Path = EXERCISES_DIR) -> SyncReport:
    """Create templates and new versions for changed files; an unchanged file creates nothing."""
    report = SyncReport([], [], [])
    for path in sorted(directory.glob("*.yaml")):
        data = read_exercise_file(path)
        template, created = ExerciseTemplate.objects.get_or_create(
            slug=data["slug"], clinic=None, defaults={"kind": data["kind"]}
        )
        digest = content_hash(data)
        latest = template.versions.order_by("-number").first()
        if latest is not None and latest.content_hash == digest:
            report.unchanged.append(template.slug)
            continue
        stored = json.loads(json.dumps(data))  # JSON keys: anchors become strings, as the API shows them
        TemplateVersion.objects.create(
            template=template,
            number=(latest.number + 1) if latest else 1,
            title=stored["title"],
            summary=stored.get("summary", ""),
            rationale=stored["rationale"],
            instructions=stored["instructions"],
            estimated_minutes=stored.get("estimated_minutes", 15),
            fields=stored["fields"],
            content_hash=digest,
        )
        (report.created if created else report.new_versions).append(template.slug)
    return report


def latest_versions() -> list[TemplateVersion]:
    """The newest version of every active template, for the assign form and the library page."""
    versions = TemplateVersion.objects.filter(template__is_active=True).select_related("template")
    newest: dict[int, TemplateVersion] = {}
    for version in versions:
        if version.template_id not in newest or version.number > newest[version.template_id].number:
            newest[version.template_id] = version
    return sorted(newest.values(), key=lambda v: v.title)
