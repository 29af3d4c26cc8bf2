"""Forest and funnel plots: Vega-Lite specifications (dicts) and hand-written SVG.

vl-convert is not a dependency, so the SVG files are drawn by the small renderer in :mod:`.svg`; both
outputs are built from the same plot data (:mod:`.data`) so they always show the same numbers.
"""

from .data import ForestData, ForestRow, FunnelData, forest_data, funnel_data
from .forest import forest_spec, forest_svg
from .funnel import funnel_spec, funnel_svg

__all__ = [
    "ForestData",
    "ForestRow",
    "FunnelData",
    "forest_data",
    "forest_spec",
    "forest_svg",
    "funnel_data",
    "funnel_spec",
    "funnel_svg",
]
