#!/usr/bin/python3
"""Renders dashboard panels to PNG from a real Prometheus (`make dashboard-preview`).

Reads a JSON spec written by scripts/demo.ts: the Prometheus URL, the time range and step, and
the panels with the dashboard's own PromQL (variables already substituted as Grafana does) and
legend formats. Each target is fetched with /api/v1/query_range and drawn with matplotlib, in
the panel's unit, one PNG per panel plus an overview of all of them. Nothing is drawn that
Prometheus did not return.

    /usr/bin/python3 scripts/dashboard_preview.py build/dashboard-preview/spec.json
"""
import json
import math
import os
import re
import sys
import urllib.parse
import urllib.request
from datetime import datetime

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

# Grafana's dark theme, roughly: background, panel, text, grid, and its classic palette.
BG = "#111217"
PANEL = "#181b1f"
TEXT = "#ccccdc"
GRID = "#2c3235"
PALETTE = ["#73bf69", "#f2cc0c", "#8ab8ff", "#ff780a", "#f2495c", "#5794f2", "#b877d9",
           "#705da0", "#37872d", "#fade2a", "#447ebc", "#c15c17", "#890f02", "#0a437c"]
MAX_LEGEND = 6


def query_range(base, expr, start, end, step):
    q = urllib.parse.urlencode({"query": expr, "start": start, "end": end, "step": step})
    with urllib.request.urlopen(f"{base}/api/v1/query_range?{q}", timeout=60) as r:
        body = json.load(r)
    if body.get("status") != "success":
        raise RuntimeError(f"{expr}: {body}")
    return body["data"]["result"]


def legend_of(fmt, labels):
    if fmt in ("", "__auto"):
        return "{" + ", ".join(f'{k}="{v}"' for k, v in labels.items() if k != "__name__") + "}"
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), fmt)


def scaled(unit):
    """Axis formatter for a Grafana unit."""
    def si(v, suffixes, base):
        for s in suffixes:
            if abs(v) < base:
                return f"{v:.3g}{s}"
            v /= base
        return f"{v:.3g}{suffixes[-1]}"

    if unit == "Bps":
        return lambda v, _: si(v, [" B/s", " KiB/s", " MiB/s", " GiB/s"], 1024)
    if unit == "bytes":
        return lambda v, _: si(v, [" B", " KiB", " MiB", " GiB"], 1024)
    if unit == "reqps":
        return lambda v, _: f"{v:.3g} req/s"
    if unit == "s":
        return lambda v, _: f"{v * 1e3:.3g} ms" if abs(v) < 1 else f"{v:.3g} s"
    if unit == "ms":
        return lambda v, _: f"{v:.3g} ms"
    return lambda v, _: si(v, ["", "k", "M", "G"], 1000)


def draw(ax, panel, spec, legend_below=False):
    ax.set_facecolor(PANEL)
    ax.set_title(panel["title"], color=TEXT, fontsize=11, loc="left", pad=8)
    lines = []
    for target in panel["targets"]:
        for s in query_range(spec["prometheus"], target["expr"], spec["start"], spec["end"], spec["step"]):
            pts = [(float(t), float(v)) for t, v in s["values"] if math.isfinite(float(v))]
            if pts:
                lines.append((legend_of(target["legend"], s["metric"]), pts))
    # the largest series first, like a legend sorted by max; Grafana shows them all
    lines.sort(key=lambda l: -max(v for _, v in l[1]))
    for i, (name, pts) in enumerate(lines):
        xs = [datetime.fromtimestamp(t) for t, _ in pts]
        ys = [v for _, v in pts]
        color = PALETTE[i % len(PALETTE)]
        ax.plot(xs, ys, color=color, linewidth=1.2, label=name if i < MAX_LEGEND else None)
        ax.fill_between(xs, ys, color=color, alpha=0.08)
    ax.yaxis.set_major_formatter(FuncFormatter(scaled(panel["unit"])))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S"))
    ax.tick_params(colors=TEXT, labelsize=8)
    ax.grid(color=GRID, linewidth=0.6)
    for side in ax.spines.values():
        side.set_color(GRID)
    ax.set_ylim(bottom=0)
    if lines:
        extra = f" (+{len(lines) - MAX_LEGEND} more)" if len(lines) > MAX_LEGEND else ""
        where = dict(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2) if legend_below else dict(loc="upper left", bbox_to_anchor=(1.01, 1.0))
        leg = ax.legend(**where, fontsize=7, frameon=False, labelcolor=TEXT, title=f"{len(lines)} series{extra}", title_fontsize=7)
        leg.get_title().set_color(TEXT)
    else:
        ax.text(0.5, 0.5, "No data", color=TEXT, ha="center", va="center", transform=ax.transAxes)
    return len(lines)


def main():
    spec_path = sys.argv[1]
    with open(spec_path) as f:
        spec = json.load(f)
    out = os.path.dirname(os.path.abspath(spec_path))
    plt.rcParams.update({"figure.facecolor": BG, "savefig.facecolor": BG, "font.family": "DejaVu Sans"})
    counts = {}
    for p in spec["panels"]:
        fig, ax = plt.subplots(figsize=(12, 3.6), dpi=100)
        counts[p["file"]] = draw(ax, p, spec)
        fig.tight_layout()
        fig.savefig(os.path.join(out, p["file"]))
        plt.close(fig)
    # the overview: two columns, legends below the plots as Grafana puts them
    n = len(spec["panels"])
    rows = (n + 1) // 2
    fig, axes = plt.subplots(rows, 2, figsize=(16, 4.6 * rows), dpi=100, squeeze=False)
    for ax, p in zip(axes.flat, spec["panels"]):
        draw(ax, p, spec, legend_below=True)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle(spec.get("title", ""), color=TEXT, fontsize=12, x=0.01, ha="left")
    fig.tight_layout(rect=(0, 0, 1, 0.97), h_pad=2.5)
    fig.savefig(os.path.join(out, "overview.png"))
    plt.close(fig)
    for name, c in counts.items():
        print(f"{os.path.join(out, name)}: {c} series")
    print(f"{os.path.join(out, 'overview.png')}: {n} panels")


if __name__ == "__main__":
    main()
