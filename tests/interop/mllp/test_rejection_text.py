"""The ACK text for rejected resources says how many were kept sealed, not that all were."""

from __future__ import annotations

from clinvault.interop.mllp.handler import _rejection_text


def test_only_quarantined_inputs_are_called_quarantined() -> None:
    assert _rejection_text(3, 1) == "3 resource(s) failed validation (1 quarantined)"


def test_none_kept_is_said_plainly() -> None:
    assert _rejection_text(2, 0) == "2 resource(s) failed validation (none kept)"
