"""axe-core in Chromium: the WCAG 2.2 A/AA rules over a page as it stands (issue 12).

axe is vendored for the tests only (tests/browser/vendor/, MPL-2.0, version in the file name) and injected into
the page; the app's CSP (`script-src 'self'`) rightly refuses injected script, so a context that runs axe is made
with `bypass_csp=True`.
"""
from pathlib import Path

AXE_FILE = Path(__file__).parent / "vendor" / "axe-core-4.14.1.min.js"
AXE_SOURCE = AXE_FILE.read_text(encoding="utf-8")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

_RUN = """async runOnly => {
  const result = await axe.run(document, {runOnly: runOnly, resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 140),
                              summary: (n.failureSummary || '').split('\\n').slice(0, 3).join(' ')}))}));
}"""


def axe_violations(page, tags=WCAG_TAGS, rules=None):
    """The axe violations of the page now loaded: [{id, impact, help, nodes: [{target, html, summary}]}], by the
    rules of `tags` or, given, only `rules` (e.g. ["color-contrast-enhanced"], WCAG AAA)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(content=AXE_SOURCE)
    return page.evaluate(_RUN, {"type": "rule", "values": rules} if rules else {"type": "tag", "values": tags})


def describe(where, violations, nodes_shown=3):
    """One line per violation and its first elements, to read in a failed assertion."""
    lines = []
    for v in violations:
        lines.append(f"{where}: {v['id']} ({v['impact']}) {v['help']} — {len(v['nodes'])} element(s)")
        for node in v["nodes"][:nodes_shown]:
            lines.append(f"    {node['target']}  {node['html']}  [{node['summary']}]")
    return lines


def element_count(violations):
    return sum(len(v["nodes"]) for v in violations)
