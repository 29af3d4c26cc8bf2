"""Cultural and language variants of an exercise template (Bernal's Ecological Validity Model). Pure Python.

A template's YAML may carry `variants:`, each changing how the exercise is framed and worded but never its
structure, so every variant's answers stay comparable and valid against the same fields:

    variants:
      - key: es                      # unique within the template, [a-z0-9-]+
        language: es                 # the language the variant is written in
        label: "Español"             # shown to the therapist when choosing
        adapts: [language]           # EVM dimensions changed: language, persons, metaphors, content, concepts,
                                     # goals, methods, context (at least one)
        description: "..."           # what was adapted and why, for therapists and researchers
        title / summary / rationale / instructions: replacements (optional)
        fields:                      # wording per field: "situation", or "emotions.intensity" inside a group
          situation: {label: "...", help: "..."}
          emotions.intensity: {label: "...", anchors: {0: "...", 100: "..."}}
          hot: {options: {"yes": "...", "no": "..."}}

The template's own text is the base variant (key "base", in English).
"""

from __future__ import annotations

import copy
import re
from typing import Any

EVM_DIMENSIONS = ("language", "persons", "metaphors", "content", "concepts", "goals", "methods", "context")
TEXT_KEYS = ("title", "summary", "rationale", "instructions")
FIELD_KEYS = ("label", "help", "options", "anchors")
KEY_RE = re.compile(r"^[a-z0-9-]+$")
BASE = "base"


class VariantError(ValueError):
    pass


def _field_paths(fields: list[dict[str, Any]], prefix: str = "") -> dict[str, dict[str, Any]]:
    paths = {}
    for spec in fields:
        paths[prefix + spec["id"]] = spec
        if spec["type"] == "group":
            paths.update(_field_paths(spec["fields"], prefix + spec["id"] + "."))
    return paths


def check_variants(fields: list[dict[str, Any]], variants: Any) -> None:
    """Raise VariantError if a variant is malformed or would change the structure of the answers."""
    if variants is None:
        return
    if not isinstance(variants, list):
        raise VariantError("variants must be a list")
    paths = _field_paths(fields)
    seen = {BASE}
    for variant in variants:
        key = variant.get("key") if isinstance(variant, dict) else None
        if not isinstance(key, str) or not KEY_RE.match(key) or key in seen:
            raise VariantError(f"variant key {key!r} is missing, repeated or not [a-z0-9-]")
        seen.add(key)
        if not variant.get("language") or not variant.get("label"):
            raise VariantError(f"variant {key!r}: language and label are required")
        unknown_keys = set(variant) - {
            "key",
            "language",
            "label",
            "adapts",
            "description",
            "fields",
            *TEXT_KEYS,
        }
        if unknown_keys:
            raise VariantError(f"variant {key!r}: unknown keys {sorted(unknown_keys)}")
        for text_key in ("label", "description", *TEXT_KEYS):
            if text_key in variant and not isinstance(variant[text_key], str):
                raise VariantError(f"variant {key!r}: {text_key} must be text")
        adapts = variant.get("adapts") or []
        if not adapts or any(d not in EVM_DIMENSIONS for d in adapts):
            raise VariantError(
                f"variant {key!r}: adapts must list dimensions from {', '.join(EVM_DIMENSIONS)}"
            )
        for path, override in (variant.get("fields") or {}).items():
            spec = paths.get(path)
            if spec is None:
                raise VariantError(f"variant {key!r}: no field {path!r} in the template")
            if not isinstance(override, dict):
                raise VariantError(f"variant {key!r}, field {path!r}: give the wording as a mapping")
            unknown = set(override) - set(FIELD_KEYS)
            if unknown:
                raise VariantError(
                    f"variant {key!r}, field {path!r}: only wording can change, not {sorted(unknown)}"
                )
            for text_key in ("label", "help"):
                if text_key in override and not isinstance(override[text_key], str):
                    raise VariantError(f"variant {key!r}, field {path!r}: {text_key} must be text")
            for mapping_key in ("options", "anchors"):
                if mapping_key in override and (
                    not isinstance(override[mapping_key], dict)
                    or not all(isinstance(v, str) for v in override[mapping_key].values())
                ):
                    raise VariantError(f"variant {key!r}, field {path!r}: {mapping_key} maps values to text")
            if "anchors" in override and spec.get("type") != "scale":
                raise VariantError(f"variant {key!r}, field {path!r}: only scales have anchors")
            if "options" in override:
                values = {o["value"] for o in spec.get("options") or []}
                if set(map(str, override["options"])) - set(map(str, values)):
                    raise VariantError(
                        f"variant {key!r}, field {path!r}: options must keep the template's values"
                    )
            if "anchors" in override:
                lo, hi = int(spec.get("min", 0)), int(spec.get("max", 0))
                if any(
                    not str(k).lstrip("-").isdigit() or not lo <= int(k) <= hi for k in override["anchors"]
                ):
                    raise VariantError(f"variant {key!r}, field {path!r}: anchors must stay within the scale")


def find(variants: list[dict[str, Any]] | None, key: str | None) -> dict[str, Any] | None:
    if not key or key == BASE:
        return None
    return next((v for v in variants or [] if v.get("key") == key), None)


def apply_to_fields(fields: list[dict[str, Any]], variant: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The fields with the variant's wording; ids, types, bounds and option values are unchanged."""
    if variant is None:
        return fields
    result = copy.deepcopy(fields)
    paths = _field_paths(result)
    for path, override in (variant.get("fields") or {}).items():
        spec = paths.get(path)
        if spec is None:
            continue
        for key in ("label", "help"):
            if key in override:
                spec[key] = override[key]
        if "options" in override:
            labels = {str(k): v for k, v in override["options"].items()}
            for option in spec.get("options") or []:
                option["label"] = labels.get(str(option["value"]), option["label"])
        if "anchors" in override:
            # One key form for both: YAML gives numbers, stored JSON gives strings.
            base = {str(k): v for k, v in (spec.get("anchors") or {}).items()}
            spec["anchors"] = {**base, **{str(k): v for k, v in override["anchors"].items()}}
    return result


def text(base: dict[str, Any], variant: dict[str, Any] | None, key: str) -> str:
    """A text of the template (title, rationale, ...) in the variant, falling back to the base."""
    if variant is not None and variant.get(key):
        return str(variant[key])
    return str(base.get(key) or "")


def choices(variants: list[dict[str, Any]] | None) -> list[tuple[str, str]]:
    return [(BASE, "English (original)")] + [(v["key"], v["label"]) for v in variants or []]


# --- following the client's language -----------------------------------------------------------------------

BASE_LANGUAGE = "en"  # the template's own text is written in English
PLAIN = ""  # the framing family of the base and of plain translations (variants that adapt only language)


def language_of(code: str | None) -> str:
    """ "es-MX" -> "es": variants are chosen by language, not by region."""
    return (code or "").split("-")[0].lower()


def family_of(variant: dict[str, Any] | None) -> str:
    """The framing a variant belongs to, whatever its language: PLAIN for the base and plain translations,
    otherwise its key without the language ending ("family-en" and "family-es" are both "family")."""
    if variant is None or list(variant.get("adapts") or []) == ["language"]:
        return PLAIN
    key, language = str(variant.get("key") or ""), language_of(variant.get("language"))
    return key[: -len(language) - 1] if language and key.endswith("-" + language) else key


def follow_language(variants: list[dict[str, Any]] | None, key: str, language: str | None) -> str:
    """The variant a client whose language is `language` is shown when `key` was chosen for them.

    The therapist's choice stands when it is in the client's language, or when the template has no variant of
    the same framing in that language: a culturally adapted variant is never swapped for a plain translation
    (that would drop the adaptation the therapist chose), and nothing is shown in a language nobody wrote."""
    wanted = language_of(language)
    pinned = find(variants, key)
    pinned_language = language_of(pinned.get("language")) if pinned else BASE_LANGUAGE
    if not wanted or wanted == pinned_language:
        return key
    family = family_of(pinned)
    if family == PLAIN and wanted == BASE_LANGUAGE:
        return BASE
    for variant in variants or []:
        if language_of(variant.get("language")) == wanted and family_of(variant) == family:
            return str(variant["key"])
    return key


def language_of_key(variants: list[dict[str, Any]] | None, key: str) -> str:
    """The language a variant is written in (the base is English)."""
    variant = find(variants, key)
    return language_of(variant.get("language")) if variant else BASE_LANGUAGE


FAMILY = "family"  # the family and community framing (the rationale_framing experiment's "family" arm)


def family_variant_key(variants: list[dict[str, Any]] | None, language: str | None) -> str | None:
    """The key of the template's family and community variant in that language, or None if it has none."""
    wanted = language_of(language)
    for variant in variants or []:
        if family_of(variant) == FAMILY and language_of(variant.get("language")) == wanted:
            return str(variant["key"])
    return None


def label_of(variants: list[dict[str, Any]] | None, key: str) -> str | None:
    """A variant's label for therapists, or None for the base (its name is translated by the caller)."""
    variant = find(variants, key)
    return str(variant.get("label") or key) if variant else None
