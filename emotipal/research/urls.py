"""Research pages, under /research/ (included from emotipal/urls.py)."""

from django.urls import path

from emotipal.research.views import analyses

urlpatterns = [
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
]
