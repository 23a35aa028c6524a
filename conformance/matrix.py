"""The conformance matrix: several runs' JSON reports side by side.

    python -m conformance.matrix reports/*.json --markdown reports/matrix.md --html reports/matrix.html

Implementations are the columns (adapter, version, start method or the
mode its workers run in, and the Python version when the runs used more
than one), clauses the rows, grouped by section.  Each cell is the
clause's outcome in that run (:mod:`conformance.report`).  The summary row
counts the outcomes and the share of inconclusive cells among those graded
(neither skipped nor untestable).  The Markdown file lists, under the
table, each failure's observation, each expected failure's reason and what
blocked each inconclusive clause, and ends with where the runs came from:
the suite's commit, the catalogue's digest and each expectations file's
digest (``tests/test_matrix.py`` fails when the committed matrix no longer
matches them).  The HTML file is one static page (no scripts, no external
resources) with coloured cells whose text shows on hover (``title``) and,
on click, in full (``<details>``).  With neither option the Markdown goes
to standard output.
"""

import argparse
import html
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

#: Cell symbol and description per clause outcome, in the legend's order.
SYMBOLS = {
    "passed": ("✅", "passed: checks of it ran and none failed"),
    "failed": ("❌", "failed"),
    "expected failure": ("⚠️", "expected failure (listed in the implementation's expectations file)"),
    "inconclusive": (
        "❔",
        "inconclusive: no check of it ran, because its tests were stopped first (the note names what stopped them)",
    ),
    "skipped": (
        "⏭",
        "not applicable: a primitive, feature, worker mode, consistency level or Python version the clause needs",
    ),
    "not run": ("·", "not run: no check of it ran"),
    "untestable": ("—", "not testable (the catalogue says why)"),
}
#: Outcomes that are not a grade of the implementation.
UNGRADED = ("skipped", "untestable")
STRENGTH = {"required": "required", "implementation-defined": "impl.-defined", "unreliable": "unreliable"}
#: Longest failure text shown in Markdown details and hover titles; the HTML <details> shows all.
SHORT = 300


@dataclass
class Run:
    """One report, as a column."""

    label: str
    data: dict
    clauses: dict[str, dict]

    @property
    def note(self) -> Optional[str]:
        """What went wrong with the run itself (tools/run_matrix.py records it), if anything."""
        problems = list(self.data.get("run", {}).get("problems", []))
        if not self.data.get("complete", True):
            running = ", ".join(self.data.get("running") or []) or "none"
            problems.append(f"incomplete: the run ended early (running: {running})")
        return "; ".join(problems) or None


def load(paths: Sequence[str]) -> list[Run]:
    reports = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            reports.append(json.load(handle))
    several_pythons = len({r["python"]["version"] for r in reports}) > 1
    runs = []
    for data in reports:
        adapter = data["adapter"]
        parts = [adapter["name"], adapter["version"], adapter.get("start_method") or adapter.get("mode") or "n/a"]
        if several_pythons:
            parts.append("Python " + data["python"]["version"])
        runs.append(Run(" · ".join(parts), data, {c["id"]: c for c in data["clauses"]}))
    return runs


def rows(runs: Sequence[Run]):
    """``(section title, [clause, ...])`` in the reports' order, union of their clauses."""
    titles: dict[str, str] = {}
    by_section: dict[str, dict[str, dict]] = {}
    for run in runs:
        for section in run.data["sections"]:
            titles.setdefault(section["name"], section["title"])
            by_section.setdefault(section["name"], {})
        for clause in run.data["clauses"]:
            by_section.setdefault(clause["section"], {}).setdefault(clause["id"], clause)
    return [(titles.get(name, name), list(clauses.values())) for name, clauses in by_section.items() if clauses]


def cell(run: Run, clause_id: str) -> dict:
    return run.clauses.get(clause_id) or {"status": "not run", "reasons": [], "failures": []}


def detail_text(entry: dict, limit: Optional[int] = None) -> str:
    """Why the cell is what it is: the reasons (skip, expectation, untestable), then each failure with its test."""
    texts = list(entry.get("reasons", []))
    texts += [f"{f['test']}:\n{f['text']}" for f in entry.get("failures", [])]
    text = "\n\n".join(texts)
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def inconclusive_share(run: Run) -> Optional[float]:
    """Inconclusive cells as a share of the graded ones (neither skipped nor untestable)."""
    counts = run.data.get("summary", {})
    graded = sum(n for status, n in counts.items() if status not in UNGRADED)
    return counts.get("inconclusive", 0) / graded if graded else None


def summary(run: Run) -> str:
    counts = run.data.get("summary", {})
    text = " ".join(f"{counts[s]} {SYMBOLS[s][0]}" for s in SYMBOLS if counts.get(s))
    share = inconclusive_share(run)
    return text if share is None else f"{text} ({share:.0%} ❔)"


def provenance(runs: Sequence[Run]) -> list[str]:
    """Where the runs came from: suite version and commit, catalogue digest, expectations digests."""
    lines = []
    for run in runs:
        suite = run.data.get("suite", {})
        digests = run.data.get("expectations", {}).get("digests", {})
        files = ", ".join(f"{path.rsplit('/', 1)[-1]} {digest}" for path, digest in digests.items()) or "none"
        lines.append(
            f"- {_md(run.label)}: ipc-conformance {suite.get('version', '?')} "
            f"at commit {suite.get('commit') or 'unknown'}, "
            f"catalogue {suite.get('catalogue', '?')}, expectations {files}, {run.data.get('mode', 'gate')} mode, "
            f"started {run.data.get('started', '?')}"
        )
    return lines


# --- Markdown ----------------------------------------------------------------------------


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _first_line(text: str, clause_id: str) -> str:
    """The line of a violation that says what was observed, else the first line, without the row's own clause ID
    in front (deviations and expectations reasons begin with it; another clause's ID says what blocked this one)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    line = next((line for line in lines if line.startswith("observed:")), lines[0] if lines else "")
    return re.sub(rf"^{re.escape(clause_id)}(?: deviated \([a-z]+\))?: ", "", line)


def markdown(runs: Sequence[Run]) -> str:
    out = [
        "| clause | strength | " + " | ".join(_md(r.label) for r in runs) + " |",
        "|---|---|" + "---|" * len(runs),
        "| **summary** | | " + " | ".join(summary(r) for r in runs) + " |",
    ]
    for title, clauses in rows(runs):
        out.append(f"| **{_md(title)}** | |" + " |" * len(runs))
        for clause in clauses:
            cells = [SYMBOLS[cell(r, clause["id"])["status"]][0] for r in runs]
            out.append(
                f"| {clause['id']} | {STRENGTH.get(clause['strength'], clause['strength'])} | "
                + " | ".join(cells)
                + " |"
            )
    out += ["", "Legend: " + ", ".join(f"{symbol} {text}" for symbol, text in SYMBOLS.values()) + "."]
    notes = [f"- **{_md(r.label)}**: {r.note}" for r in runs if r.note]
    details = []
    for run in runs:
        for clause in run.data["clauses"]:
            if clause["status"] in ("expected failure", "inconclusive") and clause["reasons"]:
                line = _first_line(clause["reasons"][0], clause["id"])
            elif clause["status"] == "failed" and clause["failures"]:
                line = _first_line(clause["failures"][0]["text"], clause["id"])
            else:
                continue
            details.append(f"- {SYMBOLS[clause['status']][0]} **{_md(run.label)}** {clause['id']}: {_md(line[:SHORT])}")
    if notes or details:
        out += ["", *notes, *details]
    out += ["", "Runs:", *provenance(runs)]
    return "\n".join(out) + "\n"


# --- HTML ----------------------------------------------------------------------------------

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: center; vertical-align: top; }
th { background: #f4f4f4; position: sticky; top: 0; }
td.id, td.strength { text-align: left; white-space: nowrap; }
tr.section th { text-align: left; background: #e8e8f0; position: static; }
td.passed { background: #d9f2d9; } td.failed { background: #f7c6c6; }
td.expected-failure { background: #fde8b4; } td.inconclusive { background: #e6e0f5; }
td.skipped { background: #ececec; } td.not-run { background: #fff; color: #999; }
td.untestable { background: #f8f8f8; color: #999; }
details { position: relative; } summary { cursor: pointer; list-style: none; }
details[open] pre { position: absolute; z-index: 2; left: 0; min-width: 40em; max-width: 70em; max-height: 30em;
  overflow: auto; text-align: left; white-space: pre-wrap; background: #fff; border: 1px solid #888; padding: 6px; }
"""


def _cell_html(run: Run, clause_id: str) -> str:
    entry = cell(run, clause_id)
    status = entry["status"]
    symbol, meaning = SYMBOLS[status]
    text = detail_text(entry)
    title = html.escape(f"{run.label}: {meaning}" + (f"\n{detail_text(entry, SHORT)}" if text else ""), quote=True)
    css = status.replace(" ", "-")
    if status in ("failed", "expected failure", "inconclusive") and text:
        body = f"<details><summary>{symbol}</summary><pre>{html.escape(text)}</pre></details>"
    else:
        body = symbol
    return f'<td class="{css}" title="{title}">{body}</td>'


def page(runs: Sequence[Run]) -> str:
    head = "".join(
        f'<th title="{html.escape(r.data["adapter"]["implementation"], quote=True)}">{html.escape(r.label)}'
        + (f"<br><small>{html.escape(r.note)}</small>" if r.note else "")
        + "</th>"
        for r in runs
    )
    body = ["<tr><td class=id><b>summary</b></td><td></td>" + "".join(f"<td>{summary(r)}</td>" for r in runs) + "</tr>"]
    for title, clauses in rows(runs):
        body.append(f'<tr class="section"><th colspan="{len(runs) + 2}">{html.escape(title)}</th></tr>')
        for clause in clauses:
            statement = html.escape(f"{clause['statement']} (Python {clause.get('versions', '?')})", quote=True)
            body.append(
                f'<tr><td class="id" title="{statement}">{clause["id"]}</td>'
                f'<td class="strength">{STRENGTH.get(clause["strength"], clause["strength"])}</td>'
                + "".join(_cell_html(r, clause["id"]) for r in runs)
                + "</tr>"
            )
    legend = " ".join(
        f'<span class="{s.replace(" ", "-")}">{symbol} {html.escape(text)}</span>;'
        for s, (symbol, text) in SYMBOLS.items()
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>ipc-conformance matrix</title><style>{STYLE}</style></head><body>\n"
        "<h1>ipc-conformance matrix</h1>\n"
        f"<p>{legend} Hover over a cell for its failure or skip reason; click ❌ or ⚠️ for the full text.</p>\n"
        f"<table><thead><tr><th>clause</th><th>strength</th>{head}</tr></thead>\n<tbody>\n"
        + "\n".join(body)
        + "\n</tbody></table></body></html>\n"
    )


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.matrix", description=__doc__.split("\n\n")[0])
    parser.add_argument("reports", nargs="+", help="JSON reports written with --ipc-report")
    parser.add_argument("--markdown", metavar="PATH", help="write the Markdown matrix here")
    parser.add_argument("--html", metavar="PATH", help="write the HTML page here")
    args = parser.parse_args(argv)
    try:
        runs = load(args.reports)
    except (OSError, ValueError, KeyError) as exc:
        parser.error(f"cannot read the reports: {type(exc).__name__}: {exc}")
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as handle:
            handle.write(markdown(runs))
    if args.html:
        with open(args.html, "w", encoding="utf-8") as handle:
            handle.write(page(runs))
    if not (args.markdown or args.html):
        sys.stdout.write(markdown(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
