"""The digest's chart: reasons for leaving, ranked, as a PNG."""

from __future__ import annotations

import io

from core.layout import period
from core.reporting import Digest

BAR = "#2f7d6d"


def reasons_chart(digest: Digest) -> bytes | None:
    """A horizontal bar chart of primary reasons, most common on top; None without data."""
    if not digest.reasons:
        return None
    # Imported here, not at start: matplotlib is most of what an idle `serve` would hold,
    # and an install without the `charts` extra posts the digest without its chart.
    try:
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        return None

    labels = [r.reason.label for r in reversed(digest.reasons)]
    counts = [r.count for r in reversed(digest.reasons)]
    figure = Figure(figsize=(7, 1.4 + 0.45 * len(labels)), dpi=110)
    axes = figure.subplots()
    axes.barh(labels, counts, color=BAR)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("interviews (primary reason)")
    axes.set_title(f"Why people left, {period(digest.since, digest.until)}", loc="left")
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    png = io.BytesIO()
    figure.savefig(png, format="png")
    return png.getvalue()
