"""Retry timing for sends that fail."""

from __future__ import annotations

from datetime import timedelta

from core.delivery import MAX_BACKOFF, backoff


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    assert backoff(1, jitter=lambda: 1.0) == timedelta(seconds=2)
    assert backoff(3, jitter=lambda: 1.0) == timedelta(seconds=8)
    assert backoff(3, jitter=lambda: 0.8) == timedelta(seconds=6.4)
    assert backoff(30, jitter=lambda: 1.2) == timedelta(seconds=MAX_BACKOFF)
    spread = {backoff(4) for _ in range(50)}
    assert len(spread) > 1 and all(
        timedelta(seconds=12.8) <= d <= timedelta(seconds=19.2) for d in spread
    )
