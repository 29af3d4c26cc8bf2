"""Loading the exercise library from its version-controlled data files."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from emotipal.definitions.fields import SchemaError, check_template_fields
from emotipal.library.models import ExerciseTemplate, TemplateVersion
from emotipal.library.variants import VariantError, check_variants
from emotipal.platform.audit.services import record

EXERCISES_DIR = Path(__file__).resolve().parent / "exercises"
REQUIRED_KEYS = ("slug", "kind", "title", "rationale", "instructions", "fields")
EXTRA_KEYS = ("pacer", "answer_key")  # page features some templates carry
VERSIONED_KEYS = (
    "title",
    "summary",
    "rationale",
    "instructions",
    "estimated_minutes",
    "fields",
    "variants",
    *EXTRA_KEYS,
)


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
        check_variants(data["fields"], data.get("variants"))
    except (SchemaError, VariantError) as exc:
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
            variants=stored.get("variants") or [],
            extras={k: stored[k] for k in EXTRA_KEYS if k in stored},
            content_hash=digest,
        )
        (report.created if created else report.new_versions).append(template.slug)
    return report


class CustomTemplateError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@transaction.atomic
def clone_template(actor: Any, version: TemplateVersion, clinic: Any) -> TemplateVersion:
    """A clinic's own copy of a template, starting as version 1 with the same content."""
    base_slug = version.template.slug.split("--")[0]
    number = ExerciseTemplate.objects.filter(slug__startswith=f"{base_slug}--{clinic.slug}").count() + 1
    template = ExerciseTemplate.objects.create(
        slug=f"{base_slug}--{clinic.slug}-{number}"[:80],
        kind=version.template.kind,
        clinic=clinic,
        cloned_from=version.template,
        owner=actor,
    )
    copy = TemplateVersion.objects.create(
        template=template,
        number=1,
        title=f"{version.title} ({clinic.name})"[:200],
        summary=version.summary,
        rationale=version.rationale,
        instructions=version.instructions,
        estimated_minutes=version.estimated_minutes,
        fields=version.fields,
        variants=version.variants,
        extras=version.extras,
        content_hash=version.content_hash,
    )
    record(actor, "template.clone", copy, clinic_id=clinic.pk, source=version.pk)
    return copy


def save_custom_version(actor: Any, template: ExerciseTemplate, data: dict[str, Any]) -> TemplateVersion:
    """A new version of a clinic's template. Old versions stay as they were, so nothing already assigned or
    answered changes; an edit that would not validate is refused with the reason."""
    try:
        check_template_fields(data.get("fields"))
        check_variants(data["fields"], data.get("variants"))
    except (SchemaError, VariantError) as exc:
        raise CustomTemplateError(str(exc)) from exc
    for key in ("title", "rationale", "instructions"):
        if not str(data.get(key) or "").strip():
            raise CustomTemplateError(f"{key.capitalize()} is required.")
    latest = template.versions.order_by("-number").first()
    digest = content_hash(data)
    if latest is not None and latest.content_hash == digest:
        return latest
    version = TemplateVersion.objects.create(
        template=template,
        number=(latest.number + 1) if latest else 1,
        title=str(data["title"])[:200],
        summary=str(data.get("summary") or "")[:300],
        rationale=data["rationale"],
        instructions=data["instructions"],
        estimated_minutes=int(data.get("estimated_minutes") or 15),
        fields=json.loads(json.dumps(data["fields"])),
        variants=json.loads(json.dumps(data.get("variants") or [])),
        extras=latest.extras if latest else {},
        content_hash=digest,
    )
    record(actor, "template.version", version, clinic_id=template.clinic_id)
    return version


@transaction.atomic
def set_shared(actor: Any, template: ExerciseTemplate, shared: bool) -> None:
    """Whether the clinic's other therapists may use this copy; only its author (or for a clinic-wide copy,
    anyone who may edit it) decides."""
    if template.owner_id not in (None, actor.pk) or template.shared_with_clinic == shared:
        return
    template.shared_with_clinic = shared
    template.save(update_fields=["shared_with_clinic"])
    record(actor, "template.share" if shared else "template.unshare", template, clinic_id=template.clinic_id)
