"""Types of the native module; import everything from ``lanepolicy``."""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, Optional, Union

_Path = Union[str, "os.PathLike[str]"]
# What `check` and `build` take as `paths`: `bytes` are a file system path.
_Paths = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
_Now = Union[datetime.datetime, str, None]

class Reason:
    """One reason for a deny."""

    code: str
    """The reason code, e.g. ``"no-matching-rule"``, ``"confirmation-mismatch"``."""
    message: str
    """A sentence for a person."""

class Decision:
    """A decision; ``to_dict()`` is what ``lanepolicy decide --json`` prints."""

    @property
    def allowed(self) -> bool:
        """True for an allow."""
    @property
    def decision(self) -> Literal["allow", "deny"]: ...
    @property
    def lane(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def reasons(self) -> list[Reason]:
        """Why it is a deny, in order; empty for an allow."""
    @property
    def rule(self) -> Optional[dict[str, Any]]:
        """The deciding rule: ``{"id", "source": {"path", "line", "column"}}``, or None."""
    @property
    def issue(self) -> Optional[dict[str, str]]:
        """The rule's approval issue: ``{"reference", "url"}``, or None."""
    @property
    def until(self) -> list[str]:
        """The rule's retirement conditions as written."""
    @property
    def bundle(self) -> Optional[str]:
        """The digest of the bundle decided on, ``sha256:<hex>``."""
    def to_dict(self) -> dict[str, Any]:
        """The decision as ``decide --json`` prints it."""

class Explanation:
    """A decision with its steps; ``str()`` is ``explain``'s text."""

    @property
    def allowed(self) -> bool: ...
    @property
    def decision(self) -> Decision: ...
    def to_dict(self) -> dict[str, Any]:
        """The explanation as ``explain --json`` prints it."""

class Runtime:
    """A verified bundle, shared safely between threads.

    Every method is safe to call from several threads at once;
    ``reload`` is atomic for them.
    """

    @staticmethod
    def from_path(
        path: _Path,
        *,
        trusted_keys: Optional[Sequence[str]] = None,
        max_bytes: Optional[int] = None,
    ) -> Runtime:
        """Load and verify the bundle file at ``path``.

        With ``trusted_keys`` (minisign public keys, as text), ``PATH.minisig``
        must verify against one of them first. ``max_bytes`` is the largest
        bundle read, by this load and every ``reload`` (default 256 MiB).

        Raises:
            BundleError: the file cannot be read, is over ``max_bytes``, or is
                not a verified bundle.
            ValueError: ``max_bytes`` is 0.
        """
    @staticmethod
    def from_bytes(
        data: bytes,
        *,
        signature: Optional[bytes] = None,
        trusted_keys: Optional[Sequence[str]] = None,
        max_bytes: Optional[int] = None,
    ) -> Runtime:
        """Load and verify a bundle from its bytes.

        ``max_bytes`` is the largest bundle read, by this load and every
        ``reload`` (default 256 MiB).

        Raises:
            BundleError: ``data`` is over ``max_bytes``, is not a verified
                bundle, or its signature does not verify against
                ``trusted_keys``.
            ValueError: ``max_bytes`` is 0.
        """
    @property
    def digest(self) -> str:
        """The digest of the bundle in force, ``sha256:<64 hex digits>``."""
    def reload(self, data: bytes, *, signature: Optional[bytes] = None) -> None:
        """Replace the bundle, only if ``data`` verifies (atomically).

        Raises:
            BundleError: the bundle does not verify; the last good one stays.
        """
    def decide(
        self,
        lane: str,
        action: str,
        *,
        confirm: Optional[str] = None,
        proofs: Optional[Mapping[str, str]] = None,
        occurred: Iterable[str] = (),
        phases: Optional[Mapping[str, Literal["prelaunch", "live"]]] = None,
        now: _Now = None,
    ) -> Decision:
        """Decide whether ``action`` may run on ``lane`` (``context/instance``).

        Args:
            confirm: the confirmation phrase the operator typed.
            proofs: proof name -> record id, e.g. ``{"backup_proof": "bg-1"}``.
            occurred: ``"product:event"`` strings of events that happened.
            phases: lane -> ``"prelaunch"`` or ``"live"``.
            now: an aware datetime or RFC 3339 string, never earlier than the
                clock (up to 5 seconds behind it is taken as the clock);
                None for the current time.

        Raises:
            FactError: facts naming an unknown product, event or lane, undoing
                a launch, or setting the clock back.
        """
    def explain(
        self,
        lane: str,
        action: str,
        *,
        confirm: Optional[str] = None,
        proofs: Optional[Mapping[str, str]] = None,
        occurred: Iterable[str] = (),
        phases: Optional[Mapping[str, Literal["prelaunch", "live"]]] = None,
        now: _Now = None,
    ) -> Explanation:
        """``decide`` with the steps that led to it; same arguments and errors."""
    def lanes(
        self,
        *,
        occurred: Iterable[str] = (),
        phases: Optional[Mapping[str, Literal["prelaunch", "live"]]] = None,
        now: _Now = None,
    ) -> list[dict[str, Any]]:
        """The read model, what ``lanes --json`` prints.

        Raises:
            FactError: as ``decide``.
        """

def check(
    paths: Union[_Paths, Sequence[_Paths]],
    *,
    inventory: Optional[_Path] = None,
    config: Optional[_Path] = None,
    issues: Optional[_Path] = None,
    today: Union[datetime.date, str, None] = None,
) -> list[dict[str, Any]]:
    """The diagnostics ``check --format json`` prints for ``paths``.

    ``today`` (a date or ``"YYYY-MM-DD"``; default today in UTC) is the day
    the date lints (expiring rules) count from.

    Raises:
        CompileError: a file cannot be read, or the paths span several projects.
        ValueError: ``today`` is not a date, or ``paths`` is an empty list.
        TypeError: ``paths`` is not a path or a list of paths.
    """

def build(
    paths: Union[_Paths, Sequence[_Paths]],
    *,
    inventory: Optional[_Path] = None,
    config: Optional[_Path] = None,
    issues: Optional[_Path] = None,
    today: Union[datetime.date, str, None] = None,
    deny_warnings: bool = False,
) -> bytes:
    """The bundle bytes ``build -o FILE`` writes for ``paths`` (identical).

    Raises:
        CompileError: an error (or a warning with ``deny_warnings``); its
            ``.diagnostics`` is the list ``check`` returns.
        ValueError: ``paths`` is an empty list.
    """
