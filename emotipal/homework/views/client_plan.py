"""The client's side of the plan agreed in session: the summary, the reason in their own words, and the
practice times for their calendar."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from emotipal.accounts.gates import client_required
from emotipal.homework import services
from emotipal.homework.access import client_assignment
from emotipal.homework.calendar import first_practice_day, practice_calendar


@client_required
def plan(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment = client_assignment(request.user, assignment_id)
    error = None
    if request.method == "POST":
        # "Confirm" keeps the reason as written; "reword" stores the client's own words.
        wording = request.POST.get("client_rationale", "") if request.POST.get("action") == "reword" else ""
        try:
            services.confirm_rationale(request.user, assignment.pk, wording)
        except services.HomeworkError as exc:
            error = exc.errors.get("client_rationale", exc.message)
        else:
            messages.success(
                request,
                _("Thank you: your reason is saved in your own words.")
                if wording.strip()
                else _("Thank you for confirming why you are doing this."),
            )
            return redirect("homework_plan", assignment_id=assignment.pk)
    return render(
        request,
        "homework/plan.html",
        {
            "assignment": assignment,
            "error": error,
            "wording": request.POST.get("client_rationale", "") if error else assignment.client_rationale,
            "has_practice_days": first_practice_day(assignment) is not None,
        },
        status=400 if error else 200,
    )


@client_required
def calendar(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment = client_assignment(request.user, assignment_id)
    body = practice_calendar(assignment, assignment.display_title, request.get_host().split(":")[0])
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="homework-{assignment.pk}.ics"'
    return response
