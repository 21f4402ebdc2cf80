// axe-core's WCAG violations, summarised (tests/site_support.py: axe_violations).
async ({tags, only, skip}) => {
  const options = {resultTypes: ["violations"],
                   runOnly: only ? {type: "rule", values: only} : {type: "tag", values: tags}};
  if (skip.length) options.rules = Object.fromEntries(skip.map(id => [id, {enabled: false}]));
  const result = await axe.run(document, options);
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html.slice(0, 160),
                              summary: (n.failureSummary || "").split("\n").slice(0, 3).join(" ")}))}));
}
