// Light formatting for bot and agent messages, built as DOM nodes (never innerHTML):
// paragraphs (blank lines), line breaks, bulleted and numbered lists, and links, which
// are http(s) only and open in a new tab without access to this page (rel=noopener).
// Anything else is text, so FAQ authors and agents cannot produce markup or handlers.

const LIST_ITEM = /^\s*(?:([-*•])|(\d{1,3})[.)])\s+(.*)$/;
// [label](http://...) or a bare http(s) URL; a URL's trailing punctuation is prose.
const LINK = /\[([^\]\n]{1,200})\]\((https?:\/\/[^\s)]+)\)|(https?:\/\/[^\s<>"]+)/gi;
const TRAILING = /[.,;:!?)\]'"»]+$/;

/** The URL if it is a well-formed http(s) address, else null. */
export function safeUrl(raw) {
  try {
    const url = new URL(raw);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

function link(doc, label, href) {
  const a = doc.createElement("a");
  a.href = href;
  a.target = "_blank";
  a.rel = "noopener noreferrer nofollow";
  a.textContent = label;
  return a;
}

/** Text with links, appended to `parent`. */
export function appendInline(parent, text) {
  const doc = parent.ownerDocument;
  let last = 0;
  for (const match of text.matchAll(LINK)) {
    let [whole, label, target, bare] = match;
    let tail = "";
    if (bare) {
      const trailing = bare.match(TRAILING);
      if (trailing) {
        tail = trailing[0];
        bare = bare.slice(0, -tail.length);
      }
    }
    const href = safeUrl(target || bare);
    if (!href) continue;
    parent.append(text.slice(last, match.index));
    parent.append(link(doc, label || bare, href));
    if (tail) parent.append(tail);
    last = match.index + whole.length;
  }
  parent.append(text.slice(last));
}

/** A fragment of <p>, <ul> and <ol> elements for `text`. */
export function formatText(doc, text) {
  const fragment = doc.createDocumentFragment();
  for (const block of String(text).split(/\n[ \t]*\n+/)) {
    let paragraph = null;
    let list = null;
    for (const line of block.split("\n")) {
      if (!line.trim()) continue;
      const item = line.match(LIST_ITEM);
      if (item) {
        const tag = item[1] ? "ul" : "ol";
        if (!list || list.localName !== tag) {
          list = doc.createElement(tag);
          if (tag === "ol" && item[2] !== "1") list.start = Number(item[2]);
          fragment.append(list);
        }
        const li = doc.createElement("li");
        appendInline(li, item[3]);
        list.append(li);
        paragraph = null;
        continue;
      }
      list = null;
      if (paragraph) {
        paragraph.append(doc.createElement("br"));
      } else {
        paragraph = doc.createElement("p");
        fragment.append(paragraph);
      }
      appendInline(paragraph, line.trim());
    }
  }
  return fragment;
}
