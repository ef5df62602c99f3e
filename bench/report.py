#!/usr/bin/env python3
"""Prints bench/run's one Markdown table from hyperfine's JSON exports and a list of rows.

Usage: report.py JSON_DIR ROWS_FILE

ROWS_FILE has one tab-separated row per line, in table order:
  time   GROUP NAME LABEL TARGET [FLOOR]
                                     median of hyperfine command NAME over GROUP.*.json (the
                                     rounds of one group), with its ratio to /bin/true
                                     measured in the same rounds (or in group FLOOR's, for a
                                     group with too few runs to time /bin/true well)
  delta  GROUP WITH WITHOUT LABEL TARGET
                                     median(WITH) - median(WITHOUT), both from GROUP.json
  value  LABEL VALUE RATIO TARGET RESULT
                                     a figure bench/run measured itself, shown as given
TARGET is empty (no target), "ratio<=N" or "ms<N". Medians are computed here from every run's
time in the JSON, not taken from hyperfine's summary.
"""

import json
import statistics
import sys
from pathlib import Path

FLOOR = "/bin/true"


def load(json_dir):
    """Median in ms per command per group; GROUP.N.json files are rounds of one group."""
    times = {}
    for path in sorted(Path(json_dir).glob("*.json")):
        group = path.name.split(".")[0]
        for r in json.loads(path.read_text())["results"]:
            times.setdefault(group, {}).setdefault(r["command"], []).extend(r["times"])
    return {
        group: {cmd: statistics.median(t) * 1000.0 for cmd, t in cmds.items()}
        for group, cmds in times.items()
    }


def fmt_ms(ms):
    if ms >= 100:
        return f"{ms:.0f} ms"
    if ms >= 10:
        return f"{ms:.1f} ms"
    return f"{ms:.2f} ms"


def judge(target, ms=None, ratio=None):
    if not target:
        return "", ""
    kind, limit = target.split("<=") if "<=" in target else target.split("<")
    limit = float(limit)
    if kind == "ratio":
        ok = ratio is not None and ratio <= limit
        return f"≤ {limit:g}× /bin/true", "PASS" if ok else "MISS"
    if kind == "ms":
        ok = ms is not None and ms < limit
        return f"< {limit:g} ms", "PASS" if ok else "MISS"
    raise SystemExit(f"report.py: unknown target {target!r}")


def main():
    json_dir, rows_file = sys.argv[1], sys.argv[2]
    groups = load(json_dir)
    out = [
        "| measurement | median | ratio to /bin/true | target | result |",
        "|---|---:|---:|---|---|",
    ]
    for line in Path(rows_file).read_text().splitlines():
        if not line.strip():
            continue
        kind, *f = line.split("\t")
        if kind == "time":
            group, name, label, target = f[:4]
            floor_group = f[4] if len(f) > 4 and f[4] else group
            if group not in groups or name not in groups[group]:
                out.append(f"| {label} | not measured | | {judge(target)[0]} | MISS |")
                continue
            ms = groups[group][name]
            ratio = ms / groups[floor_group][FLOOR]
            shown_target, result = judge(target, ms=ms, ratio=ratio)
            out.append(
                f"| {label} | {fmt_ms(ms)} | {ratio:.2f}× | {shown_target} | {result} |"
            )
        elif kind == "delta":
            group, with_name, without_name, label, target = f
            g = groups.get(group, {})
            if with_name not in g or without_name not in g:
                out.append(f"| {label} | not measured | | {judge(target)[0]} | MISS |")
                continue
            ms = g[with_name] - g[without_name]
            shown_target, result = judge(target, ms=ms)
            out.append(f"| {label} | {ms:+.2f} ms | | {shown_target} | {result} |")
        elif kind == "value":
            label, value, ratio, target, result = f
            out.append(f"| {label} | {value} | {ratio} | {target} | {result} |")
        else:
            raise SystemExit(f"report.py: unknown row kind {kind!r}")
    print("\n".join(out))
    floors = ", ".join(
        f"{group} {fmt_ms(g[FLOOR])}" for group, g in sorted(groups.items()) if FLOOR in g
    )
    print(
        f"\nEach ratio divides by /bin/true timed in the same hyperfine runs, except the Node "
        f"peer's (12 runs), which divide by main's (/bin/true per group: {floors})."
    )


if __name__ == "__main__":
    main()
