"""Training pages: thin views over access (who), queries (what is shown) and services (what is stored)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from emotipal.accounts.gates import request_user
from emotipal.training import access, queries, services
from emotipal.training.charts import progress_chart
from emotipal.training.forms import AttemptForm


@login_required
def training_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not access.may_open_training(user):
        raise PermissionDenied
    return render(request, "training/list.html", queries.training_home(user))


@login_required
def vignette(request: HttpRequest, vignette_id: int) -> HttpResponse:
    user = request_user(request)
    if not access.can_practise(user):
        raise PermissionDenied
    found = access.get_vignette(user, vignette_id)
    return render(request, "training/vignette.html", {"vignette": found, **queries.case(found)})


@login_required
def attempt(request: HttpRequest, vignette_id: int) -> HttpResponse:
    user = request_user(request)
    if not access.can_practise(user):
        raise PermissionDenied
    found = access.get_vignette(user, vignette_id)
    form = AttemptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        made = services.submit_attempt(user, found, form.answers())
        return redirect("training_feedback", attempt_id=made.pk)
    status = 400 if request.method == "POST" else 200
    context = {"vignette": found, "form": form, **queries.case(found)}
    return render(request, "training/attempt.html", context, status=status)


@login_required
def feedback(request: HttpRequest, attempt_id: int) -> HttpResponse:
    user = request_user(request)
    if not access.may_open_training(user):
        raise PermissionDenied
    found = access.get_attempt(user, attempt_id)
    return render(
        request,
        "training/feedback.html",
        {"fb": queries.feedback(found), "own": found.trainee_id == user.pk},
    )


@login_required
def my_progress(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not access.can_practise(user):
        raise PermissionDenied
    return trainee_progress(request, user.pk)


@login_required
def trainee_progress(request: HttpRequest, trainee_id: int) -> HttpResponse:
    user = request_user(request)
    if not access.may_open_training(user):
        raise PermissionDenied
    trainee = access.progress_subject(user, trainee_id)
    rows = queries.progress(trainee)
    return render(
        request,
        "training/progress.html",
        {"trainee": trainee, "own": trainee.pk == user.pk, "rows": rows, "chart": progress_chart(rows)},
    )
