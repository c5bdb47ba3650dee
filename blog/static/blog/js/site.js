/*
 * Respawn: the dynamic bits of pages that are cached whole and shared by every reader.
 *
 * The HTML is the same for everyone, so whatever differs per visitor comes from the JSON
 * API (/api/v1/, see blog/api/) once the page has loaded:
 *
 *   - editors get a "Logged in as" bar with admin links (#editor-bar) and, on a post
 *     page (<article data-post-id>), an "Edit this post" link;
 *   - the home page's hidden "Load more" button (button.load-more[data-next]) is shown
 *     and appends the next posts as cards, like the ones the server printed.
 *
 * Without JavaScript nothing here runs and the pages keep their pagination links.
 * API data only ever reaches the page as text nodes or as attributes whose values are
 * checked first: never as markup for the browser to parse.
 */
(() => {
  "use strict";

  const ME_URL = "/api/v1/me/";
  // Only someone who has been to a Django form (the admin's login) has Django's CSRF
  // cookie, which scripts can read (the session cookie is HttpOnly). Asking /me/ only
  // then keeps the readers' page views, served by Nginx, from each reaching Django.
  const SIGNED_IN_HINT = "csrftoken=";
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun",
                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const SVG = "http://www.w3.org/2000/svg";
  const SPRITE_ATTRIBUTES = ["x", "y", "width", "height"];
  const NUMBER = /^-?\d+(\.\d+)?$/;

  /** Create an element with attributes and children (strings become text nodes). */
  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      node.setAttribute(name, value);
    }
    node.append(...children);
    return node;
  }

  /** Return a same-site path, or "#" for anything else: an API URL must stay on the site. */
  function sitePath(url) {
    return typeof url === "string" && url.startsWith("/") && !url.startsWith("//") ? url : "#";
  }

  async function getJSON(url, credentials) {
    const response = await fetch(url, { credentials, headers: { Accept: "application/json" } });
    if (!response.ok) {
      throw new Error(`${url} answered ${response.status}`);
    }
    return response.json();
  }

  // ---- Editors ---------------------------------------------------------------------

  function mayBeSignedIn() {
    return document.cookie.split(/;\s*/).some((cookie) => cookie.startsWith(SIGNED_IN_HINT));
  }

  function logoutForm(logout) {
    // The admin logs out by POST only, with the CSRF token /me/ handed over.
    const form = el("form", { method: "post", action: sitePath(logout.url), class: "editor-bar__logout" });
    const token = el("input", { type: "hidden", name: "csrfmiddlewaretoken" });
    token.value = String(logout.csrf_token);
    form.append(token, el("button", { type: "submit" }, "Log out"));
    return form;
  }

  function fillEditorBar(bar, me) {
    const links = el("ul", { class: "editor-bar__links" });
    for (const link of me.links) {
      links.append(el("li", {}, el("a", { href: sitePath(link.url) }, String(link.label))));
    }
    const who = el("p", { class: "editor-bar__who" }, "Logged in as ", el("strong", {}, String(me.name)));
    bar.replaceChildren(el("div", { class: "wrap editor-bar__inner" }, who, links));
    if (me.logout) {
      bar.firstElementChild.append(logoutForm(me.logout));
    }
    bar.hidden = false;
  }

  function addEditLink(article, url) {
    const link = el("a", { class: "edit-link", href: sitePath(url) }, "Edit this post");
    const header = article.querySelector(".article__header") || article;
    header.append(el("p", { class: "edit-link__wrap" }, link));
  }

  async function showEditorTools() {
    const bar = document.getElementById("editor-bar");
    if (!bar || !mayBeSignedIn()) {
      return;
    }
    const article = document.querySelector("article[data-post-id]");
    const query = article ? `?post=${encodeURIComponent(article.dataset.postId)}` : "";
    // The one request that carries the session: /me/ is never cached.
    const me = await getJSON(ME_URL + query, "same-origin");
    if (!me.editor) {
      return;
    }
    fillEditorBar(bar, me);
    if (article && me.edit_url) {
      addEditLink(article, me.edit_url);
    }
  }

  // ---- Load more -------------------------------------------------------------------

  /** Format an ISO time as the pages do ("5 Mar 2025"): its date part is the site's day. */
  function printedDate(iso) {
    const [year, month, day] = iso.slice(0, 10).split("-").map(Number);
    return `${day} ${MONTHS[month - 1]} ${year}`;
  }

  function sprite(cover) {
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "sprite");
    if (/^[-\d. ]+$/.test(cover.view_box)) {
      svg.setAttribute("viewBox", cover.view_box);
    }
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    for (const cell of cover.cells) {
      const rect = document.createElementNS(SVG, "rect");
      for (const name of SPRITE_ATTRIBUTES) {
        if (NUMBER.test(cell[name])) {
          rect.setAttribute(name, cell[name]);
        }
      }
      svg.append(rect);
    }
    return svg;
  }

  /** Only the site's own photo URLs ("/media/…" lists, or an object store's https URLs). */
  function photoSet(value) {
    return typeof value === "string" && /^[^"'<>\s]+ \d+w(, [^"'<>\s]+ \d+w)*$/.test(value) &&
      value.split(", ").every((part) => /^(\/(?!\/)|https:\/\/)/.test(part)) ? value : "";
  }

  /** A cover photo as blog/includes/picture.html prints it (WebP first, lazy). */
  function picture(photo) {
    const node = el("picture", { class: "picture" });
    if (photoSet(photo.webp)) {
      node.append(el("source", { type: "image/webp", srcset: photo.webp, sizes: String(photo.sizes) }));
    }
    const src = /^(\/(?!\/)|https:\/\/)[^"'<>\s]+$/.test(photo.src) ? photo.src : "";
    node.append(el("img", { src, srcset: photoSet(photo.srcset), sizes: String(photo.sizes),
      width: String(Number(photo.width)), height: String(Number(photo.height)), alt: "",
      loading: "lazy", decoding: "async" }));
    return node;
  }

  function coverLink(post) {
    if (post.photo) {
      const link = el("a", { class: "cover cover--photo", href: sitePath(post.url), tabindex: "-1", "aria-hidden": "true" });
      link.append(picture(post.photo));
      return link;
    }
    const palette = /^cover--\d+$/.test(post.cover.palette) ? post.cover.palette : "";
    const link = el("a", { class: `cover ${palette}`, href: sitePath(post.url), tabindex: "-1", "aria-hidden": "true" });
    link.append(sprite(post.cover));
    return link;
  }

  function meta(post) {
    const minutes = `${Number(post.reading_time)} min read`;
    return el("p", { class: "meta" },
      el("span", { class: "meta__author" }, "By ", el("a", { href: sitePath(post.author.url) }, String(post.author.name))),
      " ",
      el("span", { class: "meta__when" },
        el("time", { datetime: String(post.published_at) }, printedDate(String(post.published_at))),
        el("span", { class: "meta__sep", "aria-hidden": "true" }, "·"),
        minutes));
  }

  /** Build a card like blog/includes/post_card.html prints on the home page. */
  function postCard(post) {
    const body = el("div", { class: "post-card__body" });
    if (post.category) {
      body.append(el("a", { class: "kicker", href: sitePath(post.category.url) }, String(post.category.name)));
    }
    body.append(
      el("h3", { class: "post-card__title" }, el("a", { href: sitePath(post.url) }, String(post.title))),
      el("p", { class: "post-card__excerpt" }, String(post.excerpt)),
      meta(post));
    return el("article", { class: "post-card" }, coverLink(post), body);
  }

  function shownPosts(grid) {
    return new Set([...grid.querySelectorAll(".post-card__title a")].map((link) => link.getAttribute("href")));
  }

  async function loadMore(button, grid, label) {
    button.disabled = true;
    button.textContent = "Loading…";
    try {
      // Without the session, so Nginx answers from the cache even for an editor.
      const page = await getJSON(button.dataset.next, "omit");
      // Posts published since the page was cached shift the offsets: skip repeats.
      const shown = shownPosts(grid);
      const cards = page.objects.filter((post) => !shown.has(post.url)).map(postCard);
      grid.append(...cards);
      cards[0]?.querySelector(".post-card__title a").focus();
      // Once the list grows here, "Older" links would lead back to posts now shown.
      document.querySelector(".pagination")?.setAttribute("hidden", "");
      if (page.meta.next) {
        button.dataset.next = sitePath(page.meta.next);
        button.textContent = label;
        button.disabled = false;
      } else {
        button.remove();
      }
    } catch (error) {
      button.textContent = `${label}: failed, try again`;
      button.disabled = false;
      console.error(error);
    }
  }

  function setUpLoadMore() {
    const button = document.querySelector("button.load-more[data-next]");
    const grid = button && document.getElementById(button.getAttribute("aria-controls"));
    if (!grid) {
      return;
    }
    const label = button.textContent.trim();
    button.addEventListener("click", () => loadMore(button, grid, label));
    button.hidden = false;
  }

  // Shared with the page scripts loaded after this one (comments.js): `defer` keeps the order.
  window.respawn = Object.freeze({ el });

  setUpLoadMore();
  showEditorTools().catch((error) => console.error(error));
})();
