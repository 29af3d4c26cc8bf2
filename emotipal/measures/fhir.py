"""Export instruments and responses as HL7 FHIR resources (R4B by default, or R5). Pure Python.

build_bundle() turns instrument versions and responses into a FHIR "collection" Bundle, as a JSON-ready dict:

- one Questionnaire per instrument version (canonical url + version, items with answer options, LOINC codes
  where the definition has them);
- one QuestionnaireResponse per response (questionnaire = "url|version", subject = "Patient/<subject_id>");
- one Observation per response with a total score (category "survey", LOINC total_loinc where the definition
  has it, e.g. 44261-6 for the PHQ-9 total and 70274-6 for the GAD-7 total, else the EmotiPal code
  "<key>-total"; valueQuantity in "{score}"; the severity band as interpretation text; derivedFrom the
  QuestionnaireResponse).

Every entry has a fullUrl "urn:uuid:<uuid>", a uuid5 derived from the base URL and the resource's identity
(instrument url and version, response id), so exporting the same data twice gives the same bundle (pass
`timestamp` to fix the Bundle's timestamp too). References between entries use these fullUrls.

Item types map as follows (R4B / R5):

    choice        choice / coding (answerConstraint optionsOnly), answerOption valueCoding
    multi_choice  as choice, with repeats true
    scale         integer (minValue / maxValue extensions)
    number        decimal
    short_text    string
    long_text     text
    descriptive   display

Answer codings use code str(value) and display label, in the system "urn:emotipal:<key>:options" for the
instrument's default options, or "urn:emotipal:<key>:<item id>:options" for options an item defines itself.

validate_bundle() parses a bundle with fhir.resources (imported lazily: building needs no third-party code),
and checks what the models leave to the reader: the Questionnaire item type codes of the FHIR version, and
that every "urn:uuid:" reference resolves to an entry of the bundle.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from emotipal.definitions.instruments import item_options

if TYPE_CHECKING:
    from pydantic import BaseModel

FHIR_VERSIONS = ("R4B", "R5")
DEFAULT_BASE_URL = "https://emotipal.invalid/fhir"
RESPONSE_STATUSES = ("completed", "in-progress")

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
EMOTIPAL_SCORE_SYSTEM = "urn:emotipal:score"
MIN_VALUE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/maxValue"

# Questionnaire.item.type codes (value set http://hl7.org/fhir/ValueSet/item-type; the abstract "question"
# is not selectable). R5 replaced choice and open-choice by coding + answerConstraint.
_COMMON_ITEM_TYPES = frozenset(
    {
        *("group", "display", "boolean", "decimal", "integer", "date", "dateTime", "time"),
        *("string", "text", "url", "attachment", "reference", "quantity"),
    }
)
ITEM_TYPE_CODES = {
    "R4B": _COMMON_ITEM_TYPES | {"choice", "open-choice"},
    "R5": _COMMON_ITEM_TYPES | {"coding"},
}

_SIMPLE_TYPES = {"scale": "integer", "number": "decimal", "short_text": "string", "long_text": "text"}


@dataclass(frozen=True)
class FhirInstrument:
    """One version of an instrument: its definition (see definition.py) and canonical URL (without version)."""

    definition: dict[str, Any]
    version: int
    url: str


@dataclass(frozen=True)
class FhirResponse:
    """One response to an instrument version. subject_id is a pseudonymous patient id ("client-12")."""

    id: str
    instrument_key: str
    instrument_version: int
    subject_id: str
    authored: datetime  # timezone-aware
    status: str  # "completed" | "in-progress"
    answers: dict[str, Any]  # item id -> value (a list of values for multi_choice)
    total: float | None = None
    band: str | None = None
    language: str | None = None  # the language of the wording answered (BCP 47: "en", "es", "ar")


def questionnaire_url(key: str, base_url: str = DEFAULT_BASE_URL) -> str:
    """The canonical URL of an instrument's Questionnaire (the version goes in Questionnaire.version)."""
    return f"{base_url.rstrip('/')}/Questionnaire/{key}"


def build_bundle(
    instruments: list[FhirInstrument],
    responses: list[FhirResponse],
    *,
    fhir_version: str = "R4B",
    base_url: str = DEFAULT_BASE_URL,
    timestamp: datetime | None = None,
) -> dict[str, Any]:
    """A FHIR collection Bundle (JSON-ready dict) of the instruments, responses and total-score Observations.

    Raises ValueError for an unknown FHIR version, a response whose instrument version is not among
    `instruments`, a naive datetime, an unknown status, or an answer that does not fit its item.
    """
    _check_version(fhir_version)
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, base_url)
    entries: list[dict[str, Any]] = []
    by_version: dict[tuple[str, int], FhirInstrument] = {}
    for instrument in instruments:
        key = (instrument.definition["key"], instrument.version)
        if key in by_version:
            raise ValueError(f"instrument {key[0]!r} version {key[1]} is listed twice")
        by_version[key] = instrument
        full_url = _urn(namespace, f"Questionnaire/{instrument.url}|{instrument.version}")
        entries.append({"fullUrl": full_url, "resource": _questionnaire(instrument, full_url, fhir_version)})

    seen: set[str] = set()
    for response in responses:
        if response.id in seen:
            raise ValueError(f"response {response.id!r} is listed twice")
        seen.add(response.id)
        found = by_version.get((response.instrument_key, response.instrument_version))
        if found is None:
            raise ValueError(
                f"response {response.id!r}: instrument {response.instrument_key!r} "
                f"version {response.instrument_version} is not in the export"
            )
        response_url = _urn(namespace, f"QuestionnaireResponse/{response.id}")
        entries.append(
            {"fullUrl": response_url, "resource": _questionnaire_response(found, response, response_url)}
        )
        if response.total is not None:
            observation_url = _urn(namespace, f"Observation/{response.id}/total")
            observation = _total_observation(found, response, response.total, observation_url, response_url)
            entries.append({"fullUrl": observation_url, "resource": observation})

    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": _instant(timestamp or datetime.now(UTC), "timestamp"),
    }
    if entries:  # FHIR JSON has no empty arrays
        bundle["entry"] = entries
    return bundle


def validate_bundle(bundle: dict[str, Any], fhir_version: str = "R4B") -> None:
    """Parse the bundle with fhir.resources for the FHIR version; raise ValueError naming what is wrong."""
    _check_version(fhir_version)
    from pydantic import ValidationError

    bundle_model: type[BaseModel]
    if fhir_version == "R5":
        from fhir.resources import get_fhir_model_class
        from fhir.resources.bundle import Bundle as R5Bundle

        bundle_model = R5Bundle
    else:
        from fhir.resources.R4B import get_fhir_model_class
        from fhir.resources.R4B.bundle import Bundle as R4BBundle

        bundle_model = R4BBundle

    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise ValueError("not a FHIR Bundle: a JSON object with resourceType 'Bundle' is expected")
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise ValueError("Bundle.entry must be a list")
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if resource is None:
            continue
        resource_type = resource.get("resourceType") if isinstance(resource, dict) else None
        try:
            get_fhir_model_class(str(resource_type))
        except ValueError:
            raise ValueError(
                f"FHIR {fhir_version} bundle is invalid: entry[{index}] has unknown resourceType {resource_type!r}"
            ) from None

    try:
        bundle_model.model_validate(bundle)
    except ValidationError as error:
        problems = [_describe_error(bundle, e) for e in error.errors()]
        raise ValueError(f"FHIR {fhir_version} bundle is invalid: " + "; ".join(problems)) from None
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"FHIR {fhir_version} bundle is invalid: {error!r}") from None

    problems = list(_bundle_problems(entries, fhir_version))
    if problems:
        raise ValueError(f"FHIR {fhir_version} bundle is invalid: " + "; ".join(problems))


# --- building --------------------------------------------------------------------------------------------


def _check_version(fhir_version: str) -> None:
    if fhir_version not in FHIR_VERSIONS:
        raise ValueError(f"unsupported FHIR version {fhir_version!r}: use one of {', '.join(FHIR_VERSIONS)}")


def _urn(namespace: uuid.UUID, name: str) -> str:
    return f"urn:uuid:{uuid.uuid5(namespace, name)}"


def _instant(moment: datetime, what: str) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, got {moment.isoformat()}")
    return moment.isoformat()


def _computable_name(key: str) -> str:
    name = key.upper()
    return name if name[:1].isalpha() else f"Q{name}"


def _options_system(definition: dict[str, Any], item: dict[str, Any]) -> str:
    if item.get("options"):
        return f"urn:emotipal:{definition['key']}:{item['id']}:options"
    return f"urn:emotipal:{definition['key']}:options"


def _coding(definition: dict[str, Any], item: dict[str, Any], option: dict[str, Any]) -> dict[str, Any]:
    return {
        "system": _options_system(definition, item),
        "code": str(option["value"]),
        "display": str(option["label"]),
    }


def _json_number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise TypeError(f"{value!r} is not a number")
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _questionnaire(instrument: FhirInstrument, full_url: str, fhir_version: str) -> dict[str, Any]:
    definition = instrument.definition
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": full_url.removeprefix("urn:uuid:"),
        "url": instrument.url,
        "version": str(instrument.version),
        "name": _computable_name(definition["key"]),
        "title": definition.get("title") or definition["name"],
        "status": "active",
        "subjectType": ["Patient"],
    }
    if definition.get("preamble"):
        resource["description"] = definition["preamble"]
    if definition.get("loinc"):
        resource["code"] = [{"system": LOINC, "code": definition["loinc"]}]
    resource["item"] = [_questionnaire_item(definition, item, fhir_version) for item in definition["items"]]
    return resource


def _questionnaire_item(
    definition: dict[str, Any], item: dict[str, Any], fhir_version: str
) -> dict[str, Any]:
    kind = item["type"]
    out: dict[str, Any] = {"linkId": item["id"]}
    if item.get("loinc"):
        out["code"] = [{"system": LOINC, "code": item["loinc"]}]
    out["text"] = item["text"]
    if kind == "descriptive":
        out["type"] = "display"
        return out
    if kind in ("choice", "multi_choice"):
        out["type"] = "coding" if fhir_version == "R5" else "choice"
    else:
        out["type"] = _SIMPLE_TYPES[kind]
    out["required"] = bool(item.get("required", kind in ("choice", "scale")))
    if kind == "multi_choice":
        out["repeats"] = True
    if kind in ("choice", "multi_choice"):
        if fhir_version == "R5":
            out["answerConstraint"] = "optionsOnly"
        out["answerOption"] = [
            {"valueCoding": _coding(definition, item, option)} for option in item_options(definition, item)
        ]
    elif kind in ("scale", "number"):
        value_key = "valueInteger" if kind == "scale" else "valueDecimal"
        extensions = [
            {"url": url, value_key: _json_number(item[bound])}
            for bound, url in (("min", MIN_VALUE_EXTENSION), ("max", MAX_VALUE_EXTENSION))
            if item.get(bound) is not None
        ]
        if extensions:
            out["extension"] = extensions
    return out


def _questionnaire_response(
    instrument: FhirInstrument, response: FhirResponse, full_url: str
) -> dict[str, Any]:
    if response.status not in RESPONSE_STATUSES:
        raise ValueError(
            f"response {response.id!r}: status {response.status!r} is not one of {', '.join(RESPONSE_STATUSES)}"
        )
    definition = instrument.definition
    items_by_id = {item["id"]: item for item in definition["items"]}
    unknown = sorted(set(response.answers) - set(items_by_id))
    if unknown:
        raise ValueError(f"response {response.id!r}: answers name unknown items {', '.join(unknown)}")
    items = []
    for item in definition["items"]:
        value = response.answers.get(item["id"])
        if item["type"] == "descriptive" or value is None or value == "" or value == []:
            continue
        try:
            answers = _answers(definition, item, value)
        except (TypeError, ValueError) as error:
            raise ValueError(f"response {response.id!r}, item {item['id']!r}: {error}") from None
        items.append({"linkId": item["id"], "text": item["text"], "answer": answers})
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": full_url.removeprefix("urn:uuid:"),
        "questionnaire": f"{instrument.url}|{instrument.version}",
        "status": response.status,
        "subject": {"reference": f"Patient/{response.subject_id}"},
        "authored": _instant(response.authored, f"response {response.id!r}: authored"),
    }
    if response.language:
        resource["language"] = response.language
    if items:
        resource["item"] = items
    return resource


def _answers(definition: dict[str, Any], item: dict[str, Any], value: Any) -> list[dict[str, Any]]:
    kind = item["type"]
    if kind in ("choice", "multi_choice"):
        values = value if isinstance(value, list | tuple) else [value]
        if kind == "choice" and len(values) != 1:
            raise ValueError("a choice item takes one answer")
        options = {str(option["value"]): option for option in item_options(definition, item)}
        answers = []
        for one in values:
            option = options.get(str(one))
            if option is None:
                raise ValueError(f"{one!r} is not one of the item's options")
            answers.append({"valueCoding": _coding(definition, item, option)})
        return answers
    if kind == "scale":
        number = _json_number(value)
        if not isinstance(number, int):
            raise ValueError(f"a scale answer must be a whole number, got {value!r}")
        return [{"valueInteger": number}]
    if kind == "number":
        return [{"valueDecimal": _json_number(value)}]
    if not isinstance(value, str):
        raise TypeError(f"a text answer must be a string, got {value!r}")
    return [{"valueString": value}]


def _total_observation(
    instrument: FhirInstrument, response: FhirResponse, total: float, full_url: str, response_url: str
) -> dict[str, Any]:
    definition = instrument.definition
    text = f"{definition['name']} total score"
    if definition.get("total_loinc"):
        # no display: a Coding's display must be the code system's, which the definition does not carry
        coding = {"system": LOINC, "code": definition["total_loinc"]}
    else:
        coding = {"system": EMOTIPAL_SCORE_SYSTEM, "code": f"{definition['key']}-total", "display": text}
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": full_url.removeprefix("urn:uuid:"),
        # a total given for an unfinished response (prorated) is not final
        "status": "final" if response.status == "completed" else "preliminary",
        "category": [
            {
                "coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}],
                "text": "Survey",
            }
        ],
        "code": {"coding": [coding], "text": text},
        "subject": {"reference": f"Patient/{response.subject_id}"},
        "effectiveDateTime": _instant(response.authored, f"response {response.id!r}: authored"),
        "valueQuantity": {
            "value": _json_number(total),
            "unit": "{score}",
            "system": UCUM,
            "code": "{score}",
        },
    }
    if response.band:
        resource["interpretation"] = [{"text": response.band}]
    resource["derivedFrom"] = [{"reference": response_url}]
    return resource


# --- validating ------------------------------------------------------------------------------------------


def _describe_error(bundle: dict[str, Any], error: Any) -> str:
    loc = list(error.get("loc") or ())
    where = "Bundle"
    if len(loc) >= 3 and loc[0] == "entry" and isinstance(loc[1], int) and loc[2] == "resource":
        resource_type = "resource"
        with contextlib.suppress(KeyError, IndexError, TypeError, AttributeError):
            resource_type = str(bundle["entry"][loc[1]]["resource"].get("resourceType") or resource_type)
        where = f"entry[{loc[1]}] ({resource_type})"
        loc = loc[3:]
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
    message = " ".join(str(error.get("msg", "")).split())
    return f"{where}{path}: {message}"


def _bundle_problems(entries: list[Any], fhir_version: str) -> Iterator[str]:
    full_urls: set[str] = set()
    for index, entry in enumerate(entries):
        full_url = entry.get("fullUrl")
        if full_url:
            if full_url in full_urls:
                yield f"entry[{index}]: fullUrl {full_url} appears more than once"
            full_urls.add(full_url)
    allowed = ITEM_TYPE_CODES[fhir_version]
    for index, entry in enumerate(entries):
        resource = entry.get("resource") or {}
        resource_type = resource.get("resourceType")
        if resource_type == "Questionnaire":
            for path, item in _walk_items(resource.get("item") or [], ".item"):
                if item.get("type") not in allowed:
                    yield (
                        f"entry[{index}] (Questionnaire){path}.type: {item.get('type')!r} is not an item type "
                        f"of FHIR {fhir_version}"
                    )
        for path, reference in _references(resource, ""):
            if reference.startswith("urn:uuid:") and reference not in full_urls:
                yield f"entry[{index}] ({resource_type}){path}: {reference} matches no entry's fullUrl"


def _walk_items(items: list[Any], path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for position, item in enumerate(items):
        here = f"{path}[{position}]"
        yield here, item
        yield from _walk_items(item.get("item") or [], f"{here}.item")


def _references(node: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                yield f"{path}.reference", value
            else:
                yield from _references(value, f"{path}.{key}")
    elif isinstance(node, list):
        for position, value in enumerate(node):
            yield from _references(value, f"{path}[{position}]")
