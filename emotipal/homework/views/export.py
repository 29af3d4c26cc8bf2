"""The clinic's compliance export as a download (the command line has `emotipal export compliance`)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from emotipal.accounts import access
from emotipal.accounts.gates import clinic_admin_required
from emotipal.accounts.models import ClientProfile, Role
from emotipal.accounts.reauth import recent_login_required
from emotipal.homework.export import compliance_rows, write_csv
from emotipal.platform.audit.services import record


@clinic_admin_required
@recent_login_required  # every client's name and figures leave the clinic: a password typed in the last minutes
def export_compliance(request: HttpRequest) -> HttpResponse:
    """Every compliance figure of the clinic's clients, as CSV (source, type and timing on every row)."""
    clinic = access.clinics_where(request.user, Role.ADMIN).first()
    assert clinic is not None
    clients = list(ClientProfile.objects.filter(clinic=clinic).select_related("user", "therapist", "clinic"))
    record(request.user, "export.compliance", clinic, clinic_id=clinic.pk)
    access.note_reads(request.user, clients, "export.compliance")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{clinic.slug}-compliance.csv"'
    write_csv(compliance_rows(clients), response)
    return response
