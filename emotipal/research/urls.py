"""The research app's pages, included under research/ (each helper adds its own lines)."""

from django.urls import path

from emotipal.research.views import exports

urlpatterns = [
    path("<slug:slug>/exports/", exports.exports, name="research_exports"),
    path("<slug:slug>/exports/new/", exports.request_export, name="research_export_request"),
    path("<slug:slug>/exports/<int:export_id>/status/", exports.export_status, name="research_export_status"),
    path("<slug:slug>/exports/<int:export_id>/download/", exports.download, name="research_export_download"),
]
