/*
 * The post form's "Insert" buttons: put a library photo's snippet into the body at the
 * cursor, on a line of its own (blog.images turns it into a responsive figure).
 * The snippet comes from the button's data attribute, written by the server.
 */
(() => {
  "use strict";

  function insert(body, snippet) {
    const start = body.selectionStart ?? body.value.length;
    const end = body.selectionEnd ?? start;
    const before = body.value.slice(0, start);
    const after = body.value.slice(end);
    const lead = before && !before.endsWith("\n") ? "\n" : "";
    const trail = after && !after.startsWith("\n") ? "\n" : "";
    body.value = `${before}${lead}${snippet}${trail}${after}`;
    const caret = (before + lead + snippet).length;
    body.focus();
    body.setSelectionRange(caret, caret);
    body.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button.blog-insert[data-snippet]");
    const body = document.getElementById("id_body");
    if (button && body) {
      event.preventDefault();
      insert(body, button.dataset.snippet);
    }
  });
})();
