"""Language versions of questionnaires: which wording a client is shown, and a clinic's import and removal of a
licensed translation (REDCap data dictionary or FHIR Questionnaire), each in one transaction with its audit row.

EmotiPal ships no translation of its own (see the `translations` note in the instrument files): a client who
reads another language than the version's is told that it is offered in that language only, unless their
clinic imported a checked translation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import get_language_info, gettext

from emotipal.accounts.models import Clinic
from emotipal.definitions.instruments import DefinitionError, check_definition
from emotipal.definitions.translations import definition_language, localized, mismatches, texts_of
from emotipal.measures.errors import MeasureError
from emotipal.measures.fhir_questionnaire import QuestionnaireError, read_questionnaire
from emotipal.measures.models import InstrumentTranslation, InstrumentVersion, Response
from emotipal.measures.redcap import RedcapError, import_dictionary
from emotipal.platform.audit.services import record
from emotipal.platform.input_rules import text_problem

SOURCE_LIMIT = 2000
EMOTIPAL_TAG = "@EMOTIPAL-"  # a REDCap dictionary exported from EmotiPal states risk items and scoring


def primary_language(code: str) -> str:
    """The language without its region ("es-MX" -> "es"): translations are kept per language."""
    return (code or "").split("-")[0].split("_")[0].lower()


def direction(language: str) -> str:
    """The dir attribute ("rtl" or "ltr") of wording in `language`: Django knows which languages are bidi."""
    try:
        return "rtl" if get_language_info(language)["bidi"] else "ltr"
    except KeyError:
        return "ltr"


@dataclass
class Shown:
    """What the client's questionnaire page shows."""

    definition: dict[str, Any]
    language: str  # the language of the wording shown
    wanted: str  # the client's own language
    translation: InstrumentTranslation | None = None

    @property
    def dir(self) -> str:
        return direction(self.language)

    @property
    def language_name(self) -> str:
        """The shown language's name in the page's language ("inglés" on a Spanish page)."""
        try:
            return str(get_language_info(self.language)["name_translated"])
        except KeyError:
            return self.language

    @property
    def other_language_only(self) -> bool:
        """The client reads another language and no checked translation exists for them."""
        return self.language != self.wanted


def translation_for(
    version: InstrumentVersion, clinic_id: int | None, language: str
) -> InstrumentTranslation | None:
    """The clinic's own translation of this version into `language`, else a shipped one (clinic None)."""
    found = InstrumentTranslation.objects.filter(
        Q(clinic_id=clinic_id) | Q(clinic__isnull=True), version=version, language=language
    )
    # Sorted here, not in SQL: databases disagree on where NULL sorts. The clinic's own comes first.
    return next(iter(sorted(found, key=lambda t: t.clinic_id is None)), None)


def shown_to(response: Response) -> Shown:
    version = response.instrument_version
    base = version.definition
    own = definition_language(base)
    wanted = primary_language(getattr(response.client.user, "language", "") or own)
    if wanted == own:
        return Shown(base, own, wanted)
    translation = translation_for(version, response.client.clinic_id, wanted)
    if translation is None:
        return Shown(base, own, wanted)
    return Shown(localized(base, translation.texts, wanted), wanted, wanted, translation)


# --- import -----------------------------------------------------------------------------------------------------


@dataclass
class Checked:
    """A file read against the base version: the wording to store, or the problems that refuse it."""

    texts: dict[str, Any] | None
    problems: list[str] = field(default_factory=list)
    preview: dict[str, Any] | None = None


def translatable_languages(version: InstrumentVersion) -> list[tuple[str, str]]:
    own = definition_language(version.definition)
    return [(code, name) for code, name in settings.LANGUAGES if code != own]


def check_file(version: InstrumentVersion, file_format: str, text: str, language: str) -> Checked:
    """Read the file and compare it with the version; nothing is stored."""
    base = version.definition
    problem = text_problem(text)
    if problem:
        return Checked(None, [problem])
    try:
        if file_format == InstrumentTranslation.Format.REDCAP:
            definitions = import_dictionary(text).definitions
            if len(definitions) != 1:
                return Checked(None, [f"the file holds {len(definitions)} forms; upload one questionnaire"])
            candidate, states_scoring = definitions[0], EMOTIPAL_TAG in text
        elif file_format == InstrumentTranslation.Format.FHIR:
            candidate, stated = read_questionnaire(text)
            states_scoring = False  # a FHIR Questionnaire has no risk flags or scoring: the version's apply
            if stated and primary_language(stated) != language:
                return Checked(None, [f"the file says its language is {stated!r}, not {language!r}"])
        else:
            return Checked(None, ["choose REDCap or FHIR"])
    except (RedcapError, QuestionnaireError) as exc:
        return Checked(None, [str(exc)])
    problems = mismatches(base, candidate, states_scoring=states_scoring)
    if problems:
        return Checked(None, problems)
    texts = texts_of(candidate)
    texts["items"] = {k: v for k, v in texts["items"].items() if k in {i["id"] for i in base["items"]}}
    shown = localized(base, texts, language)
    try:
        check_definition(shown)
    except DefinitionError as exc:  # e.g. two answers given the same label
        return Checked(None, [str(exc)])
    return Checked(texts, [], shown)


def import_translation(
    actor: Any,
    clinic: Clinic,
    version: InstrumentVersion,
    *,
    language: str,
    source: str,
    file_format: str,
    text: str,
) -> InstrumentTranslation:
    """Store the clinic's translation of `version` (replacing its earlier one for that language)."""
    if language not in dict(translatable_languages(version)):
        raise MeasureError(gettext("Choose the language of the translation."))
    source = source.strip()
    if not source:
        raise MeasureError(
            gettext("Say where the translation comes from and under which licence the clinic uses it.")
        )
    if len(source) > SOURCE_LIMIT or text_problem(source):
        raise MeasureError(
            gettext("Keep the source statement to %(limit)s characters.") % {"limit": SOURCE_LIMIT}
        )
    checked = check_file(version, file_format, text, language)
    if checked.texts is None:
        raise MeasureError(
            gettext("Nothing was imported: the file does not match this questionnaire."),
            {str(i): p for i, p in enumerate(checked.problems)},
        )
    with transaction.atomic():
        replaced = InstrumentTranslation.objects.filter(version=version, clinic=clinic, language=language)
        replaced_ids = list(replaced.values_list("pk", flat=True))
        replaced.delete()
        translation = InstrumentTranslation.objects.create(
            version=version,
            clinic=clinic,
            language=language,
            texts=checked.texts,
            source=source,
            file_format=file_format,
            imported_by=actor,
        )
        record(
            actor,
            "instrument.translation_import",
            translation,
            clinic_id=clinic.pk,
            instrument=version.instrument.key,
            version=version.number,
            language=language,
            file_format=file_format,
            replaced=replaced_ids,
        )
    return translation


def remove_translation(actor: Any, translation: InstrumentTranslation) -> None:
    """Remove a clinic's translation (found through access.administered_translation). Responses given in it
    keep their language and version."""
    with transaction.atomic():
        record(
            actor,
            "instrument.translation_remove",
            translation,
            clinic_id=translation.clinic_id,
            instrument=translation.version.instrument.key,
            version=translation.version.number,
            language=translation.language,
        )
        InstrumentTranslation.objects.filter(pk=translation.pk).delete()
