"""Reference norms for clinically significant change (Jacobson & Truax 1991), per measure. Pure Python.

Jacobson and Truax judge whether a change brought a client into the range of people without the problem by
comparing the score with cut-offs set from two reference samples: a *functional* sample (people without the
problem, here the general population) and a *dysfunctional* one (people in treatment). The cut-offs are
computed in :mod:`emotipal.analysis.clinical_significance`; the samples' means and SDs live here, each with
the place it comes from.

Where the values come from
--------------------------

* PHQ-9, functional: Kocalevent, Hinz & Brähler (2013), "Standardization of the depression screener Patient
  Health Questionnaire (PHQ-9) in the general population", General Hospital Psychiatry 35(5):551-555;
  representative German household survey, n = 5018: mean 2.91, SD 3.52 (women 3.1 (3.5), men 2.7 (3.5)).
* GAD-7, functional: Löwe, Decker, Müller et al. (2008), "Validation and standardization of the Generalized
  Anxiety Disorder Screener (GAD-7) in the general population", Medical Care 46(3):266-274; representative
  German household survey, n = 5030: mean 2.95, SD 3.41 (women 3.2 (3.5), men 2.7 (3.2)).
* Dysfunctional (clinical) samples, both measures: ILLUSTRATIVE values, not a published norm. The SDs are the
  ones the shipped instrument definitions use for the reliable change index (PHQ-9 5.7, GAD-7 4.8, "commonly
  used example values"); the means (PHQ-9 15, GAD-7 13) are round figures in the range typical of adults
  starting psychological therapy. A service should replace them with the intake mean and SD of its own
  clients, which is also what Jacobson and Truax recommend.

The page states these values and labels the illustrative ones as such.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Sample:
    """The mean and SD of one reference sample, with where they come from."""

    mean: float
    sd: float
    source: str
    illustrative: bool = False  # True: a placeholder to be set for the service, not a published figure


@dataclass(frozen=True)
class Norms:
    """The functional (general population) and dysfunctional (clinical) samples of one instrument."""

    functional: Sample
    dysfunctional: Sample

    @property
    def illustrative(self) -> bool:
        return self.functional.illustrative or self.dysfunctional.illustrative


# Not shown as such: pages say "illustrative" in the reader's language when ``illustrative`` is set.
_ILLUSTRATIVE_CLINICAL = "illustrative clinical values, not a published norm"

NORMS: dict[str, Norms] = {
    "phq9": Norms(
        functional=Sample(
            mean=2.91,
            sd=3.52,
            source="Kocalevent, Hinz & Brähler 2013, German general population, n = 5018",
        ),
        dysfunctional=Sample(mean=15.0, sd=5.7, source=_ILLUSTRATIVE_CLINICAL, illustrative=True),
    ),
    "gad7": Norms(
        functional=Sample(
            mean=2.95,
            sd=3.41,
            source="Löwe et al. 2008, German general population, n = 5030",
        ),
        dysfunctional=Sample(mean=13.0, sd=4.8, source=_ILLUSTRATIVE_CLINICAL, illustrative=True),
    ),
}


# The measures are recognised by the LOINC code of their total score, which a clinic's copy of the PHQ-9 or
# GAD-7 keeps under another key: pages select instruments by what they are, never by key.
MEASURE_BY_TOTAL_LOINC: dict[str, str] = {"44261-6": "phq9", "70274-6": "gad7"}


def standard_measure(definition: Mapping[str, Any]) -> str | None:
    """The measure a definition scores ("phq9" or "gad7", by its total's LOINC code), else None."""
    return MEASURE_BY_TOTAL_LOINC.get(str(definition.get("total_loinc") or ""))


def norms_for(definition: Mapping[str, Any]) -> Norms | None:
    """The norms of the measure a definition scores, or None when EmotiPal has none for it."""
    measure = standard_measure(definition)
    return None if measure is None else NORMS[measure]
