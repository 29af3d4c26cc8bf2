"""The research app's pages, under /research/. Every route here must have a row in tests/test_permission_matrix.py.

A study's own pages are under studies/<slug>/, so no study slug can shadow another page.
"""

from django.urls import path

from emotipal.research.views import consent, enrollment, exports

urlpatterns = [
    # client: their own invitations and consent
    path("my/", consent.my_studies, name="my_studies"),
    path("my/<int:participant_id>/", consent.study, name="consent_study"),
    path("my/<int:participant_id>/sign/", consent.sign, name="consent_sign"),
    path("my/<int:participant_id>/decline/", consent.decline, name="consent_decline"),
    path("my/<int:participant_id>/withdraw/", consent.withdraw, name="consent_withdraw"),
    path("my/<int:participant_id>/signed/<int:record_id>/", consent.signed_copy, name="consent_copy"),
    # staff: invite a client
    path("invite/", enrollment.invite, name="research_invite"),
    # the study team: de-identified exports
    path("studies/<slug:slug>/exports/", exports.exports, name="research_exports"),
    path("studies/<slug:slug>/exports/new/", exports.request_export, name="research_export_request"),
    path(
        "studies/<slug:slug>/exports/<int:export_id>/status/",
        exports.export_status,
        name="research_export_status",
    ),
    path(
        "studies/<slug:slug>/exports/<int:export_id>/download/",
        exports.download,
        name="research_export_download",
    ),
]
