"""Exercise templates and their immutable versions."""

from __future__ import annotations

from typing import Any

from django.db import models


class ExerciseTemplate(models.Model):
    """An exercise in the library. Its content lives in versions; a new edit makes a new version."""

    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=40)
    # None: the shared library shipped with EmotiPal; otherwise a clinic's own template.
    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.CASCADE, null=True, blank=True)
    # A clinic's own copy records where it came from, who made it and whether colleagues may use it.
    cloned_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    owner = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    shared_with_clinic = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.slug

    def latest_version(self) -> TemplateVersion:
        return self.versions.order_by("-number").first()  # type: ignore[return-value]


class TemplateVersion(models.Model):
    """One frozen version of a template. Assignments pin a version, so edits never change past work."""

    template = models.ForeignKey(ExerciseTemplate, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, blank=True)
    rationale = models.TextField()
    instructions = models.TextField()
    estimated_minutes = models.PositiveIntegerField(default=15)
    fields = models.JSONField()
    variants = models.JSONField(default=list, blank=True, help_text="Cultural and language variants.")
    extras = models.JSONField(default=dict, blank=True, help_text="Page features such as a breathing pacer.")
    content_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["template", "number"], name="unique_template_version")]
        ordering = ["template_id", "number"]

    def __str__(self) -> str:
        return f"{self.title} v{self.number}"

    @property
    def field_list(self) -> list[dict[str, Any]]:
        return list(self.fields)
