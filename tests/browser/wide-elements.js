// Elements wider than the window, or cut off (tests/site_support.py: wide_elements).
() => {
  const vw = document.documentElement.clientWidth;
  const article = document.querySelector("article.bd-article") || document.querySelector("main") || document.body;
  const describe = (el, r) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += "#" + el.id;
    if (el.classList.length) s += "." + [...el.classList].slice(0, 3).join(".");
    const label = el.closest("[id]");
    const where = label && label !== el ? ` in #${label.id}` : "";
    const text = (el.textContent || "").trim().replace(/\s+/g, " ").slice(0, 50);
    return `${s}${where} (${Math.round(r.left)}..${Math.round(r.right)} px)` + (text ? ` "${text}"` : "");
  };
  const overflowX = el => getComputedStyle(el).overflowX;
  const reported = [];
  const inside = el => reported.some(p => p.contains(el));
  const problems = [];
  if (document.documentElement.scrollWidth > vw + 1)
    problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} px wide in a ${vw} px window`);
  for (const el of document.body.querySelectorAll("*")) {
    const style = getComputedStyle(el);
    if (style.visibility !== "visible" || style.display === "none" || style.position === "fixed") continue;
    if (style.clip !== "auto" || el.closest("mjx-assistive-mml, dialog:not([open]), .visually-hidden, .sr-only")) continue;
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1 || inside(el)) continue;
    let box = el.parentElement;
    while (box && box !== document.body && overflowX(box) === "visible") box = box.parentElement;
    const inContent = article.contains(el);
    if (!box || box === document.body) {
      if (r.right > vw + 1 || (inContent && r.left < -1)) {
        problems.push("wider than the window: " + describe(el, r)); reported.push(el);
      }
      continue;
    }
    const b = box.getBoundingClientRect();
    const beyond = r.right > b.right + 1 || r.left < b.left - 1;
    if (!beyond || !inContent) continue;
    if (["auto", "scroll"].includes(overflowX(box))) {
      if (box.contains(article)) {      // the whole column would scroll, not the element's own box
        problems.push("makes the page column scroll sideways: " + describe(el, r)); reported.push(el);
      }
    } else {
      problems.push(`cut off by ${describe(box, b).split(" (")[0]}: ` + describe(el, r)); reported.push(el);
    }
  }
  // Text wider than the window (a long word, path or URL that cannot wrap): no element is, but
  // the deepest element holding the text overflows its box past the window's edge.
  {
    const spills = el => getComputedStyle(el).overflowX === "visible"
      && el.scrollWidth > el.clientWidth + 1 && el.getBoundingClientRect().left + el.scrollWidth > vw + 1;
    const boxed = el => {     // inside a box of the content that scrolls or clips sideways
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement)
        if (overflowX(a) !== "visible" && !a.contains(article)) return true;
      return false;
    };
    for (const el of article.querySelectorAll("*")) {
      if (!spills(el) || inside(el) || boxed(el) || reported.some(r => el.contains(r))) continue;
      if ([...el.children].some(spills)) continue;
      const r = el.getBoundingClientRect();
      problems.push(`text wider than the window (${el.scrollWidth} px from ${Math.round(r.left)} px): ` + describe(el, r));
      reported.push(el);
    }
  }
  return problems;
}
