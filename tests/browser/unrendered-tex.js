// TeX that MathJax did not render (tests/site_support.py: unrendered_tex).
() => {
  const skip = "script, style, pre, code, textarea, kbd, samp, mjx-container, noscript, .highlight";
  const command = /\\(?:[A-Za-z]+|[()\[\]{},;!])/;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const found = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const parent = node.parentElement;
    if (!parent || parent.closest(skip)) continue;
    const text = node.textContent;
    const match = text.match(command);
    if (!match) continue;
    const where = parent.closest("[id]");
    const at = Math.max(0, match.index - 30);
    found.push(`${where ? "#" + where.id + ": " : ""}"${text.slice(at, match.index + 40).replace(/\s+/g, " ")}"`);
  }
  return found;
}
