"""Small simulated data sets for the compliance-outcome tests (a helper module, not a test file).

The exercise template is a single required text field: the analysis never looks at the answers, and the
smaller the template, the faster the simulator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from emotipal.analysis.simulate import SimClinic, simulate_clinic, write_dataset

TEMPLATES: dict[str, list[dict[str, Any]]] = {
    "note": [{"id": "situation", "type": "short_text", "label": "Situation", "required": True}]
}
SMALL: dict[str, Any] = {"n_clients": 60, "weeks": 8, "n_therapists": 3, "true_r": 0.5}


def clinic(**kwargs: Any) -> SimClinic:
    return simulate_clinic(templates=TEMPLATES, **{**SMALL, **kwargs})


def dataset_dir(directory: Path, *, truth_clients: int = 0, **kwargs: Any) -> Path:
    """Simulate a small clinic and write it into `directory` in the export format.

    With `truth_clients` > 0 truth.json also holds every figure's truth (from a Monte Carlo sample).
    """
    write_dataset(clinic(**kwargs), directory, truth_clients=truth_clients)
    return directory
