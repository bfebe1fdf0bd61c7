"""The trend of an indicator against its baseline and target, as a PNG.

matplotlib is imported on first use only: most requests never draw a chart.
Drawing one takes tens of milliseconds of CPU, so charts are cached by what
they show (:data:`CACHED` of them, in each process): ``summary`` asked again
and again draws once until a reading, a target or the language changes. The
key is the content itself, so a cached chart is never stale and replicas need
not share the cache.
"""

from __future__ import annotations

import io
from collections import OrderedDict
from collections.abc import Sequence
from datetime import date

from conversations.i18n import Translator
from conversations.metrics import CHARTS_DRAWN

CACHED = 128
_cache: OrderedDict[tuple[object, ...], bytes] = OrderedDict()


def indicator_chart(
    name: str,
    unit: str,
    readings: Sequence[tuple[date, float]],
    *,
    baseline: float | None,
    target: float | None,
    threshold: float | None,
    t: Translator,
    telemetry: Sequence[bool] = (),
) -> bytes:
    """``telemetry`` marks, reading by reading, the values the agent's own
    telemetry sent: they are drawn as squares, under their own legend."""
    key = (name, unit, tuple(readings), baseline, target, threshold, t.language, tuple(telemetry))
    png = _cache.get(key)
    if png is None:
        png = _draw(
            name,
            unit,
            readings,
            baseline=baseline,
            target=target,
            threshold=threshold,
            t=t,
            telemetry=telemetry,
        )
        CHARTS_DRAWN.inc()
        _cache[key] = png
        while len(_cache) > CACHED:
            _cache.popitem(last=False)
    _cache.move_to_end(key)
    return png


def _draw(
    name: str,
    unit: str,
    readings: Sequence[tuple[date, float]],
    *,
    baseline: float | None,
    target: float | None,
    threshold: float | None,
    t: Translator,
    telemetry: Sequence[bool] = (),
) -> bytes:
    import matplotlib
    import matplotlib.dates

    matplotlib.use("Agg")
    from matplotlib import pyplot
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 3.2), dpi=100)
    axes = figure.subplots()
    days = matplotlib.dates.date2num([d for d, _ in readings])  # type: ignore[no-untyped-call]  # untyped in matplotlib
    values = [v for _, v in readings]
    axes.plot(days, values, marker="o", color="#2b6cb0", label=t("readings"))
    fed = [i for i, flag in enumerate(telemetry) if flag]
    if fed:
        axes.plot(
            [days[i] for i in fed],
            [values[i] for i in fed],
            linestyle="none",
            marker="s",
            color="#805ad5",
            label=t("from telemetry"),
        )
    axes.xaxis_date()
    for level, label, style, colour in (
        (baseline, t("baseline"), "--", "#718096"),
        (target, t("target"), "--", "#2f855a"),
        (threshold, t("threshold"), ":", "#c53030"),
    ):
        if level is not None:
            axes.axhline(level, linestyle=style, color=colour, label=f"{label} ({t.number(level)})")
    axes.set_title(f"{name} ({unit})" if unit else name)
    axes.legend(loc="best", fontsize="small")
    axes.grid(alpha=0.3)
    figure.autofmt_xdate()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    pyplot.close("all")
    return buffer.getvalue()
