"""The exceptions of lanepolicy, all under :class:`LanepolicyError`."""

from __future__ import annotations

from typing import Any


class LanepolicyError(Exception):
    """The base of every error lanepolicy raises."""


class BundleError(LanepolicyError):
    """A bundle that cannot be read or does not verify (format, version,
    digest, signature, size). Nothing is decided on such a bundle; on
    ``Runtime.reload`` the last good bundle stays in force."""


class FactError(LanepolicyError, ValueError):
    """Facts that are refused: an occurred event naming an unknown product
    or event, a phase for an unknown lane or one that undoes a launch, a
    malformed ``"product:event"`` or phase, or a ``now`` earlier than the
    clock (or naive, or not RFC 3339)."""


class CompileError(LanepolicyError):
    """Policies that do not compile. ``diagnostics`` is the list
    ``lanepolicy.check`` returns (what ``check --format json`` prints);
    it is empty when a file could not be read at all."""

    diagnostics: list[dict[str, Any]]

    def __init__(self, message: str, diagnostics: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.diagnostics = list(diagnostics or [])
