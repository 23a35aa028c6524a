"""Render the catalogue as SPEC.md: ``python -m conformance.spec > SPEC.md``."""

import sys

from conformance.spec import SECTIONS, Strength, in_section, section_title

STRENGTH_LEGEND = {
    Strength.REQUIRED: "stated normatively in the official docs; a conforming implementation must do this",
    Strength.IMPLEMENTATION_DEFINED: "CPython behaviour the docs do not promise; a deviation is reported as a finding",
    Strength.UNRELIABLE: "the docs call the answer unreliable; only bounds or eventual outcomes are checked",
}


def render() -> str:
    lines = [
        "# The ipc-conformance spec catalogue",
        "",
        "Generated from `conformance/spec/` by `python -m conformance.spec > SPEC.md`; do not edit by hand.",
        "Each clause is one observable promise with a stable ID. Tests cite clauses with",
        '`@pytest.mark.spec("ID")` and every failure message starts with the violated clause\'s ID.',
        "",
        "Strengths:",
        "",
    ]
    lines += [f"- **{s.value}**: {text}." for s, text in STRENGTH_LEGEND.items()]
    lines += [
        "",
        "Sources: `Dmp` is the multiprocessing documentation (docs.python.org/3/library/multiprocessing.html),",
        "`Dq` the queue module documentation, `CPython x.y:file` the CPython source of that version.",
        "",
    ]
    for name in SECTIONS:
        clauses = in_section(name)
        lines += [f"## {section_title(name)} (`{name}`, {len(clauses)} clauses)", ""]
        for c in clauses:
            needs = ", ".join(f"`{need}`" for need in c.needs) if c.needs else "none"
            if c.level is not None:
                needs += f"; {c.level} queues only"
            if c.excludes:
                needs += "; not for " + ", ".join(f"{trait} queues" for trait in c.excludes)
            lines.append(f"### {c.id}")
            lines.append("")
            lines.append(c.statement)
            lines.append("")
            lines.append(f"*{c.strength.value}* · Python {c.versions} · needs: {needs} · source: {c.source}")
            if c.untestable:
                lines.append("")
                lines.append(f"Not testable: {c.untestable}")
            lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(render())
