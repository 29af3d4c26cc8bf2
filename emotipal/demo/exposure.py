"""Demo clinic, part three: fear ladders for clients doing exposure work (their simulated practices linked to
ladder steps, climbing over the months), and clients who use EmotiPal in Spanish and in Arabic with adapted
variants of their exercises."""

from __future__ import annotations

from django.db.models import Q

from emotipal.accounts.models import ClientProfile
from emotipal.homework.models import Assignment, Entry, FearLadder, LadderStep
from emotipal.library.variants import language_of_key

LADDER = (
    "Everyday fears",
    [
        ("Look at a photo of the feared situation for two minutes", 20),
        ("Stand near it for five minutes with a support person", 35),
        ("Stand near it for ten minutes alone", 50),
        ("Do it once without any safety behaviour", 65),
        ("Do it in a busy place", 80),
        ("Do it on a bad day, without checking or reassurance", 90),
    ],
)
LANGUAGES = ("es", "ar")


def store(profiles: dict[str, ClientProfile], showcase_key: str) -> None:
    _ladders(profiles)
    _languages(profiles, showcase_key)


def _ladders(profiles: dict[str, ClientProfile]) -> None:
    ids = [p.pk for p in profiles.values()]
    exposure = Assignment.objects.filter(client_id__in=ids, template_version__template__kind="exposure")
    for client_id in sorted(set(exposure.values_list("client_id", flat=True))):
        profile = next(p for p in profiles.values() if p.pk == client_id)
        ladder = FearLadder.objects.create(client=profile, title=LADDER[0], created_by=profile.therapist)
        steps = [
            LadderStep.objects.create(
                ladder=ladder, description=text, expected_distress=distress, position=i + 1
            )
            for i, (text, distress) in enumerate(LADDER[1])
        ]
        practices = list(
            Entry.objects.filter(
                assignment__in=exposure.filter(client_id=client_id), status=Entry.Status.SUBMITTED
            ).order_by("practice_date", "id")
        )
        if not practices:
            continue
        # Climb: the practices move up the ladder over time, about three per step.
        per_step = max(1, len(practices) // len(steps) or 1)
        repeats: dict[int, int] = {}
        for n, entry in enumerate(practices):
            step = steps[min(n // max(per_step, 3), len(steps) - 1)]
            entry.ladder_step = step
            entry.answers = {
                **(entry.answers or {}),
                **_habituation(step.expected_distress, repeats.get(step.pk, 0), n),
            }
            repeats[step.pk] = repeats.get(step.pk, 0) + 1
        Entry.objects.bulk_update(practices, ["ladder_step", "answers"])
        reached = max(min(n // max(per_step, 3), len(steps) - 1) for n in range(len(practices)))
        for i, step in enumerate(steps):
            step.status = (
                LadderStep.Status.DONE
                if i < reached
                else LadderStep.Status.PRACTISING
                if i == reached
                else LadderStep.Status.PLANNED
            )
        LadderStep.objects.bulk_update(steps, ["status"])


def _habituation(expected: int, repeat: int, n: int) -> dict[str, int]:
    """Distress as exposure usually goes: the peak falls with each repeat of a step, and within a practice
    distress comes down from the peak by the end (simulated, with a little deterministic wobble)."""
    wobble = (n * 7) % 9 - 4
    peak = max(15, min(100, expected + 5 - 9 * repeat + wobble))
    return {
        "suds_before": max(5, peak - 15 - wobble),
        "suds_peak": peak,
        "suds_after": max(0, peak - 20 - 6 * repeat),
    }


def _languages(profiles: dict[str, ClientProfile], showcase_key: str) -> None:
    """Two clients of the demo therapist's colleagues use Spanish and Arabic, with matching variants."""
    others = [p for key, p in profiles.items() if key != showcase_key and p.discharged_on is None]
    for language, profile in zip(LANGUAGES, others[1::5], strict=False):
        profile.user.language = language
        profile.user.save(update_fields=["language"])
        for assignment in Assignment.objects.filter(client=profile).select_related("template_version"):
            keys = {v["key"] for v in assignment.template_version.variants or []}
            # A family-and-community framing where the exercise has one in this language, else a translation.
            variant = next((k for k in (f"family-{language}", language) if k in keys), "base")
            assignment.variant_key = variant
            assignment.save(update_fields=["variant_key"])
            Entry.objects.filter(Q(assignment=assignment)).update(
                variant_key=variant, language=language_of_key(assignment.template_version.variants, variant)
            )
