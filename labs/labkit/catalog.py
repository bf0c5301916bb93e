"""The chapters of both volumes of the textbook, in order (what the index lists and what a lab's
header links to as its neighbours)."""

from __future__ import annotations

VOLUMES = {
    1: ("Volume I", [
        "Introduction", "ML Systems", "ML Workflow", "Data Engineering", "Neural Computation",
        "NN Architectures", "ML Frameworks", "Model Training", "Data Selection", "Model Compression",
        "Hardware Acceleration", "Benchmarking", "Model Serving", "ML Operations",
        "Responsible Engineering", "Conclusion",
    ]),
    2: ("Volume II", [
        "Introduction", "Compute Infrastructure", "Network Fabrics", "Data Storage", "Distributed Training",
        "Collective Communication", "Fault Tolerance", "Fleet Orchestration", "Performance Engineering",
        "Inference at Scale", "Edge Intelligence", "ML Operations at Scale", "Security and Privacy",
        "Robust AI", "Sustainable AI", "Responsible AI", "Conclusion",
    ]),
}


def anchor(volume: int, chapter: int) -> str:
    """The index page's anchor of a chapter, e.g. ``v1-ch11``."""
    return f"v{volume}-ch{chapter}"


def chapter_title(volume: int, chapter: int) -> str:
    titles = VOLUMES[volume][1]
    if not 1 <= chapter <= len(titles):
        raise KeyError(f"Volume {volume} has chapters 1-{len(titles)}, not {chapter}")
    return titles[chapter - 1]


def chapters() -> list[tuple[int, int, str]]:
    """Every (volume, chapter, title), in reading order."""
    return [(v, i + 1, t) for v, (_, titles) in VOLUMES.items() for i, t in enumerate(titles)]


def neighbours(volume: int, chapter: int):
    """((anchor, label) of the previous chapter, of the next one), None at either end."""
    order = chapters()
    i = next(k for k, (v, c, _) in enumerate(order) if (v, c) == (volume, chapter))
    label = lambda k: f"{'I' * order[k][0]}.{order[k][1]} {order[k][2]}"  # noqa: E731
    prev = (anchor(*order[i - 1][:2]), label(i - 1)) if i > 0 else None
    nxt = (anchor(*order[i + 1][:2]), label(i + 1)) if i + 1 < len(order) else None
    return prev, nxt
