"""The background task of the micro-randomised reminder trial (Django Tasks API): settling a proximal outcome.

research/mrt.py queues it (queue_settlement) on commit of a recorded decision point, to run when the point's
window ends. A backend that cannot run a task later (the immediate backend) gets nothing queued: its points
are settled by mrt_outcomes.settle_due (`emotipal settle_mrt_outcomes`), which a scheduler or the demo runs.
"""

from __future__ import annotations

from django_tasks import task

from emotipal.research import mrt_outcomes
from emotipal.research.models import DecisionPoint


def queue_settlement(point: DecisionPoint) -> bool:
    """Queue the settlement of one decision point at the end of its window; False if the backend cannot."""
    if not settle_decision_point.get_backend().supports_defer:
        return False
    settle_decision_point.using(run_after=mrt_outcomes.window_end(point)).enqueue(point.pk)
    return True


@task()
def settle_decision_point(point_id: int) -> str:
    """Fill the decision point's outcome; a run before the window's end (a clock ahead) queues itself again."""
    result = mrt_outcomes.settle(point_id)
    if result == mrt_outcomes.WINDOW_OPEN:
        point = DecisionPoint.objects.filter(pk=point_id).first()
        if point is not None:
            queue_settlement(point)
    return result
