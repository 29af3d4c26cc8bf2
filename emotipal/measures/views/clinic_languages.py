"""Clinic admin page for a questionnaire's language versions: list them, check and import a licensed
translation (REDCap data dictionary or FHIR Questionnaire), remove one."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from emotipal.accounts.gates import clinic_admin_required, request_user
from emotipal.measures import translations
from emotipal.measures.access import administered_instrument, administered_translation
from emotipal.measures.errors import MeasureError
from emotipal.measures.models import InstrumentTranslation
from emotipal.measures.queries import versions_with_languages
from emotipal.measures.questionnaire_form import bind_items
from emotipal.platform.input_rules import parse_id

MAX_UPLOAD = 2 * 1024 * 1024


def _upload(request: HttpRequest) -> tuple[str | None, str | None]:
    """The file's text (from the upload, or carried over from the preview), or a message why not."""
    upload = request.FILES.get("file")
    if upload is None:
        carried = request.POST.get("content", "")
        return (carried, None) if carried else (None, _("Choose a file (at most 2 MB)."))
    if (upload.size or 0) > MAX_UPLOAD:
        return None, _("Choose a file (at most 2 MB).")
    try:
        return upload.read().decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return None, _("The file is not UTF-8 text.")


@clinic_admin_required
def languages(request: HttpRequest, instrument_id: int) -> HttpResponse:
    clinic, instrument = administered_instrument(request.user, instrument_id)
    versions = versions_with_languages(instrument, clinic.pk)
    form: dict[str, Any] = {
        "version": str(versions[0].pk),
        "language": request.POST.get("language", ""),
        "file_format": request.POST.get("file_format", InstrumentTranslation.Format.REDCAP),
        "source": request.POST.get("source", ""),
        "content": "",
    }
    error: str | None = None
    problems: list[str] = []
    preview = None
    if request.method == "POST":
        chosen = parse_id(request.POST.get("version", ""))
        version = next((v for v in versions if v.pk == chosen), None)
        text, error = _upload(request)
        if version is None:
            error = _("Choose a version of this questionnaire.")
        elif text is not None:
            form["version"], form["content"] = str(version.pk), text
            try:
                if request.POST.get("action") == "import":
                    translations.import_translation(
                        request_user(request),
                        clinic,
                        version,
                        language=form["language"],
                        source=form["source"],
                        file_format=form["file_format"],
                        text=text,
                    )
                    messages.success(request, _("Translation imported."))
                    return redirect("clinic_instrument_languages", instrument_id=instrument.pk)
                checked = translations.check_file(version, form["file_format"], text, form["language"])
                if checked.preview is None:
                    raise MeasureError(
                        _("Nothing was imported: the file does not match this questionnaire."),
                        {str(i): p for i, p in enumerate(checked.problems)},
                    )
                preview = {
                    "definition": checked.preview,
                    "items": bind_items(checked.preview, {}, {}),
                    "dir": translations.direction(form["language"]),
                }
            except MeasureError as exc:
                error, problems = exc.message, list(exc.errors.values())
    return render(
        request,
        "measures/clinic_languages.html",
        {
            "clinic": clinic,
            "instrument": instrument,
            "name": versions[0].name,
            "versions": versions,
            "languages": translations.translatable_languages(versions[0]),
            "formats": InstrumentTranslation.Format.choices,
            "form": form,
            "error": error,
            "problems": problems,
            "preview": preview,
            "redcap_url": reverse("export_redcap", args=[instrument.pk]),
        },
        status=400 if error else 200,
    )


@clinic_admin_required
@require_POST
def remove_translation(request: HttpRequest, translation_id: int) -> HttpResponse:
    translation = administered_translation(request.user, translation_id)
    translations.remove_translation(request_user(request), translation)
    messages.success(request, _("Translation removed."))
    return redirect("clinic_instrument_languages", instrument_id=translation.version.instrument_id)
