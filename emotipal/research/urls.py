"""The research pages, under /research/ (included from emotipal/urls.py). Every route has a row in
tests/test_permission_matrix.py."""

from django.urls import path

from emotipal.research.views import sites, studies

urlpatterns = [
    path("", studies.studies, name="research_studies"),
    path("new/", studies.create, name="research_study_create"),
    path("studies/<slug:slug>/", studies.study, name="research_study"),
    path("studies/<slug:slug>/protocol/", studies.protocol, name="research_protocol"),
    path("studies/<slug:slug>/status/", studies.change_status, name="research_status"),
    path("studies/<slug:slug>/team/", studies.add_member, name="research_team_add"),
    path("studies/<slug:slug>/sites/", studies.propose_site, name="research_site_propose"),
    path("studies/<slug:slug>/consent/", studies.consent, name="research_consent"),
    path("studies/<slug:slug>/consent/publish/", studies.publish_consent, name="research_consent_publish"),
    path("studies/<slug:slug>/participants/", studies.participants, name="research_participants"),
    path("sites/", sites.sites, name="research_sites"),
    path("sites/<int:site_id>/decide/", sites.decide, name="research_site_decide"),
]
