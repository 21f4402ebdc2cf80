// Display equations wider than their column (tests/site_support.py: wide_equations).
() => [...document.querySelectorAll("div.math")].map(block => {
  const formula = block.querySelector("mjx-container");
  if (!formula || formula.scrollWidth <= formula.clientWidth + 1) return null;
  const number = block.querySelector(".eqno");
  const label = number ? number.firstChild.textContent.trim() + " " : "";
  return `equation ${label}${block.id ? "#" + block.id : ""}: ${formula.scrollWidth} px wide ` +
         `in a ${formula.clientWidth} px column`;
}).filter(Boolean)
