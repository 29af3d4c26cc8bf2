"""Therapist pages that change one homework: edit its plan, pause, resume, stop (plan_changes does the work)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from emotipal.accounts.gates import clinician_required
from emotipal.homework import plan_changes
from emotipal.homework.errors import HomeworkError
from emotipal.homework.models import Assignment
from emotipal.homework.plan_change_forms import PlanChangeForm


@clinician_required
def edit(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment = plan_changes.for_editing(request.user, assignment_id)
    form = PlanChangeForm.for_assignment(assignment, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            plan_changes.edit_plan(request.user, assignment.pk, form.change())
        except HomeworkError as exc:
            for name, message in exc.errors.items():
                form.add_error(name if name in form.fields else None, message)
        else:
            messages.success(request, _("The homework's plan is saved."))
            return redirect("client_detail", client_id=assignment.client_id)
    return render(
        request,
        "homework/staff/assignment_edit.html",
        {"assignment": assignment, "client": assignment.client, "form": form},
        status=400 if form.errors else 200,
    )


def _act(request: HttpRequest, assignment_id: int, action: str) -> HttpResponse:
    """Run one of pause / resume / stop and go back to the client's page with what happened."""
    done = {
        "pause": (plan_changes.pause, _("%(title)s is paused: the client will not see it or be reminded.")),
        "resume": (plan_changes.resume, _("%(title)s is running again.")),
        "stop": (plan_changes.stop, _("%(title)s is stopped.")),
    }
    act, success = done[action]
    try:
        assignment: Assignment = act(request.user, assignment_id)
    except HomeworkError as exc:
        messages.error(request, exc.message)
        # The refusal came after the access check, so the assignment is the actor's to see.
        client_id = Assignment.objects.values_list("client_id", flat=True).get(pk=assignment_id)
        return redirect("client_detail", client_id=client_id)
    messages.success(request, success % {"title": assignment.display_title})
    return redirect("client_detail", client_id=assignment.client_id)


@clinician_required
@require_POST
def pause(request: HttpRequest, assignment_id: int) -> HttpResponse:
    return _act(request, assignment_id, "pause")


@clinician_required
@require_POST
def resume(request: HttpRequest, assignment_id: int) -> HttpResponse:
    return _act(request, assignment_id, "resume")


@clinician_required
@require_POST
def stop(request: HttpRequest, assignment_id: int) -> HttpResponse:
    return _act(request, assignment_id, "stop")
