/*
 * Respawn: the comment form on a post page, sent through the API without reloading.
 *
 * The page is cached and shared, so it holds approved comments only and no per-reader
 * token. After a reader posts, the API answers with their pending comment and a secret
 * key; the key is kept in this browser's localStorage, and on later visits the script
 * asks /api/v1/comment/<id>/?key=… about it and shows it "awaiting moderation" to its
 * author alone until an editor approves it (then the cached page shows it to everyone).
 *
 * Without JavaScript the form posts to the post's own URL and works the same.
 * API text reaches the page as text nodes; a comment's HTML (already sanitised by the
 * server) is copied element by element through an allow-list, never parsed in place.
 */
(() => {
  "use strict";

  const STORE = "respawn:comments";
  const KEEP_DAYS = 30;
  const ALLOWED = new Set(["P", "BR", "A", "EM", "STRONG", "B", "I", "CODE", "PRE", "BLOCKQUOTE"]);

  const { el } = window.respawn;  // site.js, loaded (deferred) before this script

  /** Copy sanitised comment HTML through an allow-list of elements (links: http(s) only). */
  function safeBody(html) {
    const parsed = new DOMParser().parseFromString(String(html), "text/html");
    const copy = (source, target) => {
      for (const child of source.childNodes) {
        if (child.nodeType === Node.TEXT_NODE) {
          target.append(child.textContent);
        } else if (child.nodeType === Node.ELEMENT_NODE && ALLOWED.has(child.tagName)) {
          const node = document.createElement(child.tagName);
          const href = child.getAttribute("href");
          if (child.tagName === "A" && href && /^https?:\/\//i.test(href)) {
            node.setAttribute("href", href);
            node.setAttribute("rel", "nofollow ugc noopener noreferrer");
          }
          copy(child, node);
          target.append(node);
        } else if (child.nodeType === Node.ELEMENT_NODE) {
          copy(child, target);
        }
      }
    };
    const body = el("div", { class: "comment__body" });
    copy(parsed.body, body);
    return body;
  }

  function remembered() {
    try {
      const items = JSON.parse(localStorage.getItem(STORE) || "[]");
      const fresh = Date.now() - KEEP_DAYS * 864e5;
      return Array.isArray(items) ? items.filter((item) => item && item.saved > fresh) : [];
    } catch {
      return [];
    }
  }

  function remember(items) {
    try {
      localStorage.setItem(STORE, JSON.stringify(items));
    } catch {
      // Private browsing or a full store: the comment is saved all the same.
    }
  }

  function pendingComment(comment) {
    const meta = el("p", { class: "comment__meta" },
      el("span", { class: "comment__author" }, String(comment.author_name)), " ",
      el("span", { class: "comment__badge" }, "Awaiting moderation"));
    const note = el("p", { class: "comment__note" }, "Only you can see this until an editor approves it.");
    return el("li", { class: "comment comment--pending", id: `pending-${Number(comment.id)}` },
      el("article", { class: "comment__inner" }, meta, safeBody(comment.body_html), note));
  }

  function showPending(section, comment) {
    if (document.getElementById(`comment-${Number(comment.id)}`) ||
        document.getElementById(`pending-${Number(comment.id)}`)) {
      return; // approved and already in the page, or shown
    }
    const parent = comment.parent && document.getElementById(`comment-${Number(comment.parent)}`);
    let list = parent ? parent.querySelector(":scope > .comment-list") : section.querySelector(":scope > .comment-list");
    if (!list) {
      list = el("ol", { class: parent ? "comment-list comment-list--replies" : "comment-list" });
      if (parent) {
        parent.append(list);
      } else {
        section.querySelector(".comments__empty")?.remove();
        section.querySelector(".section-heading").after(list);
      }
    }
    list.append(pendingComment(comment));
  }

  function fieldsOf(form) {
    const data = Object.fromEntries(new FormData(form).entries());
    data.post = form.dataset.post;
    return data;
  }

  function showErrors(form, answer) {
    const box = form.querySelector(".comment-form__errors");
    const messages = Object.values(answer.fields || {}).flat();
    box.replaceChildren(...(messages.length ? messages : [answer.error || "Something went wrong."])
      .map((message) => el("p", {}, String(message))));
    box.hidden = false;
  }

  function setReply(form, id, name) {
    form.querySelector("input[name=parent]").value = id || "";
    const note = form.querySelector(".comment-form__replying");
    note.querySelector("strong").textContent = name || "";
    note.hidden = !id;
  }

  async function send(form, section) {
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const response = await fetch(form.dataset.api, {
        method: "POST",
        credentials: "omit",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(fieldsOf(form)),
      });
      const answer = await response.json();
      if (response.status !== 201) {
        showErrors(form, answer);
        return;
      }
      form.querySelector(".comment-form__errors").hidden = true;
      if (answer.id && answer.key) {
        remember([...remembered(), { id: answer.id, key: answer.key, post: answer.post, saved: Date.now() }]);
        showPending(section, answer);
        document.getElementById(`pending-${Number(answer.id)}`)?.scrollIntoView({ block: "nearest" });
      }
      form.querySelector("textarea").value = "";
      setReply(form, "", "");
      const thanks = el("p", { class: "comment-notice", role: "status" },
        "Thanks! Your comment is awaiting moderation and will appear for everyone once an editor approves it.");
      form.before(thanks);
    } catch (error) {
      console.error(error);
      form.submit(); // the plain form still works
    } finally {
      button.disabled = false;
    }
  }

  async function refreshPending(section, postId) {
    const kept = [];
    for (const item of remembered()) {
      if (String(item.post) !== postId) {
        kept.push(item);
        continue;
      }
      try {
        const response = await fetch(`${section.querySelector("form").dataset.api}${Number(item.id)}/?key=${encodeURIComponent(item.key)}`,
          { credentials: "omit", headers: { Accept: "application/json" } });
        if (response.ok) {
          const comment = await response.json();
          if (comment.status === "pending") {
            showPending(section, comment);
            kept.push(item);
          }
        } else if (response.status >= 500) {
          kept.push(item);
        }
      } catch {
        kept.push(item);
      }
    }
    remember(kept);
  }

  function setUp() {
    const section = document.getElementById("comments");
    const form = section && section.querySelector("form.comment-form[data-api]");
    if (!form) {
      return;
    }
    for (const button of section.querySelectorAll("button.comment__reply")) {
      button.hidden = false;
      button.addEventListener("click", () => {
        setReply(form, button.dataset.replyTo, button.dataset.replyName);
        form.querySelector("textarea").focus();
      });
    }
    form.querySelector(".comment-form__cancel").addEventListener("click", () => setReply(form, "", ""));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      send(form, section);
    });
    refreshPending(section, String(section.dataset.postId)).catch((error) => console.error(error));
  }

  setUp();
})();
