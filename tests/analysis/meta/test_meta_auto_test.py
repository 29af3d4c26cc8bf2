"""`test="auto"`: Knapp-Hartung intervals for 2 <= k < 10 separate studies or sites, z from 10 on.

The compliance analysis no longer pools the caseloads of one sample as if they were separate studies (they
share a clinic and its figures): pooling is for separate studies and sites, where this default applies.
"""

from __future__ import annotations

from emotipal.analysis.meta import meta_analysis


def test_auto_test_follows_the_number_of_studies() -> None:
    for k, expected in [(1, "z"), (3, "knha"), (9, "knha"), (10, "z")]:
        yi = [0.1 * (i % 3) for i in range(k)]
        vi = [0.02 + 0.01 * (i % 2) for i in range(k)]
        assert meta_analysis(yi, vi, "DL", test="auto").test == expected
