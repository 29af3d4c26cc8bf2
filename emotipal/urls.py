"""URL map. Every route here must have a row in tests/test_permission_matrix.py."""

from django.urls import include, path

from emotipal.accounts.views import audit as audit_pages
from emotipal.accounts.views import clinic_admin as clinic_staff
from emotipal.accounts.views import pages as accounts
from emotipal.api import api
from emotipal.homework.views import (
    assign,
    client,
    client_plan,
    client_review,
    export,
    ladders,
    plan_changes,
    staff,
    staff_review,
)
from emotipal.library.views import pages as library
from emotipal.library.views import templates_admin
from emotipal.measures.views import clinic_admin as clinic_measures
from emotipal.measures.views import clinic_languages
from emotipal.measures.views import pages as measures
from emotipal.platform import health, pwa, source
from emotipal.supervision import views as supervision

urlpatterns = [
    path("", accounts.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("source.tar.gz", source.source, name="source_code"),
    path("manifest.webmanifest", pwa.manifest, name="pwa_manifest"),
    path("sw.js", pwa.service_worker, name="pwa_service_worker"),
    path("offline/", pwa.offline, name="pwa_offline"),
    path("accounts/", include("allauth.urls")),
    path("invite/<str:token>/", accounts.accept_invitation, name="invitation_accept"),
    path("settings/", accounts.settings_view, name="settings"),
    path("settings/tokens/", accounts.create_token, name="token_create"),
    path("settings/tokens/<int:token_id>/revoke/", accounts.revoke_token, name="token_revoke"),
    path("settings/seen-by/", audit_pages.seen_by_me, name="seen_by"),
    path("clinic/audit/", audit_pages.clinic_audit, name="clinic_audit"),
    path("clinic/audit.csv", audit_pages.clinic_audit_csv, name="clinic_audit_csv"),
    path("clinic/", clinic_staff.clinic_admin, name="clinic_admin"),
    path("clinic/staff/add-role/", clinic_staff.add_role, name="clinic_role_add"),
    path(
        "clinic/staff/<int:membership_id>/deactivate/",
        clinic_staff.deactivate_membership,
        name="clinic_membership_deactivate",
    ),
    path(
        "clinic/staff/<int:membership_id>/reactivate/",
        clinic_staff.reactivate_membership,
        name="clinic_membership_reactivate",
    ),
    path("clinic/staff/<int:membership_id>/remove/", clinic_staff.remove_role, name="clinic_role_remove"),
    path("clinic/clients/reassign/", clinic_staff.reassign_client, name="clinic_client_reassign"),
    path(
        "clinic/invitations/<int:invitation_id>/resend/",
        clinic_staff.resend_invitation,
        name="clinic_invitation_resend",
    ),
    path(
        "clinic/invitations/<int:invitation_id>/revoke/",
        clinic_staff.revoke_invitation,
        name="clinic_invitation_revoke",
    ),
    path("clinic/export/compliance.csv", export.export_compliance, name="export_compliance"),
    path("clinic/questionnaires/", clinic_measures.instruments, name="clinic_instruments"),
    path(
        "clinic/questionnaires/<int:instrument_id>/redcap.csv",
        clinic_measures.export_redcap,
        name="export_redcap",
    ),
    path(
        "clinic/questionnaires/<int:instrument_id>/languages/",
        clinic_languages.languages,
        name="clinic_instrument_languages",
    ),
    path(
        "clinic/questionnaires/languages/<int:translation_id>/remove/",
        clinic_languages.remove_translation,
        name="clinic_translation_remove",
    ),
    path("clinic/safety/", clinic_measures.safety, name="clinic_safety"),
    path("clinic/supervision/", supervision.links, name="supervision_links"),
    path("clinic/supervision/<int:link_id>/end/", supervision.end_link, name="supervision_end_link"),
    path(
        "clinic/safety/resources/<int:resource_id>/delete/",
        clinic_measures.delete_crisis_resource,
        name="delete_crisis_resource",
    ),
    # client
    path("today/", client.today, name="today"),
    path("homework/<int:assignment_id>/", client.do_exercise, name="do_exercise"),
    path("homework/<int:assignment_id>/draft/", client.save_draft, name="save_draft"),
    path("homework/<int:assignment_id>/reward/", client.set_reward, name="set_reward"),
    path("homework/<int:assignment_id>/plan/", client_plan.plan, name="homework_plan"),
    path("homework/<int:assignment_id>/plan.ics", client_plan.calendar, name="homework_calendar"),
    path("my/entries/<int:entry_id>/", client.my_entry, name="my_entry"),
    path("my/entries/<int:entry_id>/edit/", client_review.edit_entry, name="edit_entry"),
    path(
        "homework/<int:assignment_id>/review/<int:session_id>/", client_review.self_review, name="self_review"
    ),
    path("homework/<int:assignment_id>/not-done/", client_review.report_barrier, name="report_barrier"),
    path("obstacles/<int:barrier_id>/", client_review.barrier_strategy, name="barrier_strategy"),
    path("looking-back/", client_review.looking_back, name="looking_back"),
    path("ladders/", ladders.my_ladders, name="ladders"),
    path("ladders/<int:ladder_id>/", ladders.ladder, name="ladder"),
    path("questionnaires/<int:response_id>/", measures.questionnaire, name="questionnaire"),
    path("questionnaires/<int:response_id>/done/", measures.questionnaire_done, name="questionnaire_done"),
    path("help/", measures.support, name="support"),
    # staff
    path("clients/", staff.caseload_view, name="caseload"),
    path("clients/<int:client_id>/", staff.client_detail, name="client_detail"),
    path("clients/<int:client_id>/assign/", assign.assign, name="assign"),
    path("clients/<int:client_id>/assign/exercise/", assign.assign_exercise, name="assign_exercise"),
    path("clients/obstacles/", staff_review.caseload_barriers, name="caseload_barriers"),
    path("clients/<int:client_id>/sessions/", staff_review.record_session, name="record_session"),
    path(
        "clients/<int:client_id>/sessions/<int:session_id>/",
        staff_review.session_review,
        name="session_review",
    ),
    path("clients/<int:client_id>/end/", staff_review.end_treatment, name="end_treatment"),
    path("assignments/<int:assignment_id>/edit/", plan_changes.edit, name="assignment_edit"),
    path("assignments/<int:assignment_id>/pause/", plan_changes.pause, name="assignment_pause"),
    path("assignments/<int:assignment_id>/resume/", plan_changes.resume, name="assignment_resume"),
    path("assignments/<int:assignment_id>/stop/", plan_changes.stop, name="assignment_stop"),
    path("clients/<int:client_id>/look-back/", staff_review.retro_rating, name="retro_rating"),
    path("entries/<int:entry_id>/", staff.entry_detail, name="entry_detail"),
    path("entries/<int:entry_id>/review/", staff.review, name="entry_review"),
    path("clients/<int:client_id>/measures/", measures.client_measures, name="client_measures"),
    path("clients/<int:client_id>/measures/schedule/", measures.add_schedule, name="add_schedule"),
    path(
        "clients/<int:client_id>/measures/schedule/<int:schedule_id>/stop/",
        measures.stop_schedule,
        name="stop_schedule",
    ),
    path("alerts/", measures.alerts, name="alerts"),
    path("alerts/<int:alert_id>/acknowledge/", measures.acknowledge, name="alert_acknowledge"),
    path("library/", library.library, name="library"),
    path("library/<slug:slug>/", library.template_detail, name="template_detail"),
    path("library/versions/<int:version_id>/copy/", templates_admin.clone, name="template_clone"),
    path("library/versions/<int:version_id>/assign/", library.assign_from_library, name="template_assign"),
    path("library/mine/<int:template_id>/", templates_admin.edit, name="template_edit"),
    path("", include("emotipal.notifications.urls")),
    path("research/", include("emotipal.research.urls")),
    path("training/", include("emotipal.training.urls")),
    path("supervision/", include("emotipal.supervision.urls")),
    path("support/", include("emotipal.support.urls")),
    path("", include("emotipal.privacy.urls")),
    path("api/v1/", api.urls),
]
