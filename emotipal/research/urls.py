"""The research app's pages, under /research/. Every route here must have a row in tests/test_permission_matrix.py."""

from django.urls import path

from emotipal.research.views import consent, enrollment

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
]
