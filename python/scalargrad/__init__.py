"""scalargrad: a scalar reverse-mode autodiff engine in Rust, with micrograd's ``Value``.

``Value`` behaves as micrograd's (``data``, ``grad``, ``_prev``, ``_op``, ``backward()`` and the
operators, with micrograd's graph), computed on scalargrad's engine. ``scalargrad.micrograd``
mirrors micrograd's ``engine`` and ``nn`` modules, so micrograd's code runs with its imports
changed.
"""

from ._scalargrad import (
    Value,
    detect_anomalies,
    explain,
    record_contributions,
    take_anomaly,
    tape_length,
)
from .graph import Dot, draw_dot

__all__ = [
    "Dot",
    "Value",
    "detect_anomalies",
    "draw_dot",
    "explain",
    "record_contributions",
    "take_anomaly",
    "tape_length",
]
