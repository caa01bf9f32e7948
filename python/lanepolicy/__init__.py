"""lanepolicy: the lane-policy runtime and compiler, for Python.

The evaluator is the one the ``lanepolicy`` CLI runs (compiled Rust, no
subprocess): ``Runtime.decide`` gives for a request what ``lanepolicy
decide --json`` prints for it.
"""

from __future__ import annotations

from ._errors import BundleError, CompileError, FactError, LanepolicyError
from ._native import Decision, Explanation, Reason, Runtime, build, check

__all__ = [
    "BundleError",
    "CompileError",
    "Decision",
    "Explanation",
    "FactError",
    "LanepolicyError",
    "Reason",
    "Runtime",
    "build",
    "check",
]
