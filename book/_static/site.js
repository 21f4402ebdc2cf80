// Site-wide behaviour (Jupyter Book links every .js in book/_static into every page); checked by
// tests/test_browser.py.
//
// On a phone the theme shows the book's and the page's contents in a drawer (a modal <dialog>).
// Following a link to a section of the same page leaves the drawer open over the section the
// reader asked for; close it, as following a link to another page does.
document.addEventListener("click", (event) => {
  const link = event.target.closest("dialog[open] a[href]");
  if (!link) return;
  const target = new URL(link.href, document.baseURI);
  if (target.pathname === window.location.pathname && target.hash) {
    link.closest("dialog").close();
  }
});
