"""The research app's pages, under /research/. Every route here must have a row in tests/test_permission_matrix.py.

A study's own pages are under studies/<slug>/, so no study slug can shadow another page.
"""

from django.urls import path

from emotipal.research.views import (
    analyses,
    consent,
    enrollment,
    experiment_results,
    experiments,
    exports,
    sites,
    studies,
)

urlpatterns = [
    # the study team: studies, protocol, team, sites, consent versions, participants
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
    # clinic admins: decide on their clinic taking part
    path("sites/", sites.sites, name="research_sites"),
    path("sites/<int:site_id>/decide/", sites.decide, name="research_site_decide"),
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
    # the study team: analyses of an export
    path("studies/<slug:slug>/analyses/", analyses.analyses, name="research_analyses"),
    path(
        "studies/<slug:slug>/exports/<int:export_id>/analyse/",
        analyses.start_analysis,
        name="research_analysis_start",
    ),
    path("studies/<slug:slug>/analyses/<int:analysis_id>/", analyses.analysis, name="research_analysis"),
    path(
        "studies/<slug:slug>/analyses/<int:analysis_id>/report/",
        analyses.analysis_report,
        name="research_analysis_report",
    ),
    # the study team: experiments (research/access.py says who manages them and who sees the allocation log)
    path("studies/<slug:slug>/experiments/", experiments.experiments, name="research_experiments"),
    path("studies/<slug:slug>/experiments/new/", experiments.create, name="research_experiment_create"),
    path(
        "studies/<slug:slug>/experiments/<int:experiment_id>/power/",
        experiment_results.power,
        name="research_experiment_power",
    ),
    path(
        "studies/<slug:slug>/experiments/<int:experiment_id>/",
        experiments.experiment,
        name="research_experiment",
    ),
    path(
        "studies/<slug:slug>/experiments/<int:experiment_id>/edit/",
        experiments.edit,
        name="research_experiment_edit",
    ),
    path(
        "studies/<slug:slug>/experiments/<int:experiment_id>/start/",
        experiments.start,
        name="research_experiment_start",
    ),
    path(
        "studies/<slug:slug>/experiments/<int:experiment_id>/stop/",
        experiments.stop,
        name="research_experiment_stop",
    ),
    path(
        "studies/<slug:slug>/experiments/<int:experiment_id>/new-version/",
        experiments.new_version,
        name="research_experiment_new_version",
    ),
    path(
        "studies/<slug:slug>/experiments/<int:experiment_id>/allocate/",
        experiments.allocate_pending,
        name="research_experiment_allocate",
    ),
    path(
        "studies/<slug:slug>/experiments/<int:experiment_id>/allocation-log.json",
        experiments.allocation_log,
        name="research_allocation_log",
    ),
    path(
        "studies/<slug:slug>/experiments/<int:experiment_id>/replay/",
        experiments.replay,
        name="research_allocation_replay",
    ),
    path(
        "studies/<slug:slug>/experiments/<int:experiment_id>/redcap-table.csv",
        experiments.redcap_table,
        name="research_redcap_table",
    ),
]
