// The view: launcher, greeting bubble and chat panel inside a shadow root. Rendering is
// keyed and incremental (a message node is made once), so the live region announces only
// what is new and a half-typed form is never rebuilt under the visitor's fingers.
import { h, icon } from "./dom.js";
import { formatText } from "./format.js";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const NEAR_BOTTOM_PX = 80;

export class View {
  constructor({ shadow, chat, t, config, emit, memory }) {
    this.chat = chat;
    this.t = t;
    this.config = config;
    this.emit = emit;
    this.memory = memory;
    this.isOpen = false;
    this.nodes = new Map();
    this.lastUnread = -1;
    this.build(shadow);
    chat.onChange(() => this.render());
    document.addEventListener("visibilitychange", () => this.render());
    this.render();
  }

  build(shadow) {
    const t = this.t;
    const c = this.config;
    this.badge = h("span", { class: "badge", "aria-hidden": "true", hidden: true });
    this.launcher = h(
      "button",
      {
        class: "launcher",
        type: "button",
        "aria-label": t.open,
        "aria-expanded": "false",
        "aria-controls": "cw-panel",
        onclick: () => (this.isOpen ? this.close() : this.open()),
      },
      icon("chat", "icon-chat"),
      icon("down", "icon-down"),
      this.badge,
    );
    this.greetingText = h("button", { class: "greeting-text", type: "button", onclick: () => this.open() });
    this.greeting = h(
      "div",
      { class: "greeting", hidden: true },
      this.greetingText,
      h(
        "button",
        {
          class: "greeting-close",
          type: "button",
          "aria-label": t.greetingClose,
          onclick: () => this.dismissGreeting(),
        },
        icon("close"),
      ),
    );

    this.avatar = h("span", { class: "avatar", "aria-hidden": "true" }, icon("chat"));
    this.status = h("p", { class: "status", role: "status" });
    this.log = h("div", {
      class: "log",
      role: "log",
      "aria-live": "polite",
      "aria-label": t.transcript,
      tabindex: "0",
    });
    this.typingRow = h("div", { class: "typing", "aria-live": "polite" });
    this.banner = h("div", { class: "banner", role: "status" });
    this.personButton = h(
      "button",
      { class: "person", type: "button", onclick: () => this.chat.handoff() },
      icon("person"),
      h("span", { text: t.person }),
    );
    this.input = h("textarea", {
      class: "input",
      rows: "1",
      "aria-label": t.input,
      placeholder: t.input,
      maxlength: String(c.max_text_length || 4000),
      onkeydown: (e) => {
        if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          this.submit();
        }
      },
      oninput: () => {
        this.grow();
        this.chat.typing(this.input.value.trim() !== "");
      },
      onblur: () => this.chat.typing(false),
    });
    this.composer = h(
      "form",
      {
        class: "composer",
        onsubmit: (e) => {
          e.preventDefault();
          this.submit();
        },
      },
      this.input,
      h("button", { class: "send", type: "submit", "aria-label": t.send }, icon("send")),
    );
    this.prechat = h("div", { class: "prechat-slot" });
    this.panel = h(
      "div",
      {
        class: "panel",
        id: "cw-panel",
        role: "dialog",
        "aria-modal": "false",
        "aria-labelledby": "cw-title",
        hidden: true,
        onkeydown: (e) => {
          if (e.key === "Escape") {
            e.stopPropagation();
            this.close();
          }
        },
      },
      h(
        "div",
        { class: "header" },
        this.avatar,
        h("div", { class: "heading" }, h("h2", { id: "cw-title", text: c.title || t.title }), this.status),
        h(
          "button",
          { class: "close", type: "button", "aria-label": t.close, onclick: () => this.close() },
          icon("close"),
        ),
      ),
      this.banner,
      this.log,
      this.typingRow,
      this.prechat,
      h("div", { class: "footer" }, this.personButton, this.composer),
    );
    this.root = h(
      "div",
      { class: `root ${c.position === "left" ? "left" : "right"}` },
      this.panel,
      this.greeting,
      this.launcher,
    );
    this.root.style.setProperty("--cw-accent", c.accent);
    this.root.style.setProperty("--cw-on-accent", onAccent(c.accent));
    shadow.append(this.root);
  }

  // --- opening and closing ---------------------------------------------------------

  open() {
    if (this.isOpen) return;
    this.isOpen = true;
    this.chat.engage();
    this.chat.connect();
    this.hideGreeting();
    try {
      sessionStorage.setItem(this.memory.key + ":open", "1");
    } catch {
      /* blocked storage: the panel just does not reopen after a reload */
    }
    this.render();
    const form = this.prechat.querySelector("input");
    (form || this.input).focus();
    this.scrollToEnd();
    this.emit("open");
  }

  close() {
    if (!this.isOpen) return;
    this.isOpen = false;
    this.chat.typing(false);
    try {
      sessionStorage.removeItem(this.memory.key + ":open");
    } catch {
      /* as above */
    }
    this.render();
    this.launcher.focus();
    this.emit("close");
  }

  wasOpen() {
    try {
      return sessionStorage.getItem(this.memory.key + ":open") === "1";
    } catch {
      return false;
    }
  }

  showGreeting(text) {
    if (this.isOpen) return;
    this.greetingText.textContent = text;
    this.greeting.hidden = false;
  }

  hideGreeting() {
    this.greeting.hidden = true;
  }

  dismissGreeting() {
    this.hideGreeting();
    try {
      sessionStorage.setItem(this.memory.key + ":greeted", "1");
    } catch {
      /* as above */
    }
    this.launcher.focus();
  }

  // --- sending ---------------------------------------------------------------------

  submit() {
    const text = this.input.value.trim();
    if (!text) return;
    this.input.value = "";
    this.grow();
    this.chat.send(text);
    this.scrollToEnd();
  }

  grow() {
    // CSSOM, not a style attribute: allowed under a strict style-src.
    this.input.style.height = "auto";
    this.input.style.height = Math.min(this.input.scrollHeight, 120) + "px";
  }

  // --- rendering -------------------------------------------------------------------

  render() {
    const chat = this.chat;
    const t = this.t;
    const conversation = chat.current;
    const state = conversation ? conversation.state : null;

    this.root.classList.toggle("open", this.isOpen);
    this.panel.hidden = !this.isOpen;
    this.launcher.setAttribute("aria-expanded", String(this.isOpen));

    // Header: who is there and where the visitor stands.
    let status = t.statusBot;
    let who = null;
    if (state === "queued") {
      const parts = [];
      if (conversation.queue_position) parts.push(t.statusQueued(conversation.queue_position));
      if (conversation.wait_seconds) parts.push(t.statusWait(Math.max(1, Math.ceil(conversation.wait_seconds / 60))));
      else parts.push(t.statusNobody);
      status = parts.join(" · ");
    } else if (state === "assigned") {
      who = (conversation.agent && conversation.agent.name) || t.someone;
      status = t.statusAssigned(who);
    } else if (state === "closed") {
      status = t.statusClosed;
    }
    if (this.status.textContent !== status) this.status.textContent = status;
    const initial = who ? Array.from(who.trim())[0] || "?" : null;
    if (this.avatar.dataset.who !== (initial || "")) {
      this.avatar.dataset.who = initial || "";
      this.avatar.replaceChildren(initial ? initial.toUpperCase() : icon("chat"));
    }

    // Connection banner.
    let banner = "";
    if (chat.status === "offline" || (!navigator.onLine && chat.status !== "idle")) {
      banner = navigator.onLine ? t.reconnecting : t.offline;
    } else if (chat.status === "connecting" && this.isOpen) {
      banner = t.connecting;
    }
    if (this.banner.textContent !== banner) this.banner.textContent = banner;
    this.banner.hidden = !banner;

    const personVisible = !state || state === "bot" || state === "closed";
    this.personButton.hidden = !personVisible;
    this.input.placeholder = state === "closed" ? t.inputNew : t.input;
    this.renderPrechat();

    const typing = chat.agentTyping ? t.typing(chat.agentTyping) : "";
    if (this.typingRow.dataset.text !== typing) {
      this.typingRow.dataset.text = typing;
      this.typingRow.replaceChildren(
        ...(typing ? [h("span", { class: "dots", "aria-hidden": "true" }, h("i"), h("i"), h("i")), typing] : []),
      );
    }

    const stick = this.nearBottom();
    this.renderLog();
    if (stick) this.scrollToEnd();

    if (this.isOpen && document.visibilityState === "visible") chat.markSeen();
    const unread = this.isOpen ? 0 : chat.unread();
    if (unread !== this.lastUnread) {
      this.lastUnread = unread;
      this.badge.hidden = unread === 0;
      this.badge.textContent = unread > 9 ? "9+" : String(unread);
      this.launcher.setAttribute("aria-label", unread ? `${t.open}: ${t.unread(unread)}` : t.open);
      this.emit("unread", unread);
    }
  }

  nearBottom() {
    const log = this.log;
    return log.scrollHeight - log.scrollTop - log.clientHeight < NEAR_BOTTOM_PX;
  }

  scrollToEnd() {
    this.log.scrollTop = this.log.scrollHeight;
  }

  /** What the transcript should show, in order: [{key, make}] */
  items() {
    const chat = this.chat;
    const t = this.t;
    const items = [];
    const name = chat.profile && chat.profile.name;
    items.push({
      key: "welcome:" + (name || ""),
      make: () => this.bubble("bot", null, name ? t.welcomeName(name) : t.welcome, [], "welcome"),
    });
    chat.conversations.forEach((conversation, index) => {
      if (index > 0) {
        items.push({
          key: "divider:" + conversation.id,
          make: () => h("div", { class: "divider", role: "separator" }, h("span", { text: t.newConversation })),
        });
      }
      let previous = null;
      const messages = [...conversation.messages.values()].sort((a, b) => a.seq - b.seq);
      for (const m of messages) {
        const author = m.author.kind + ":" + (m.author.name || "");
        const named = m.author.kind !== "visitor" && m.author.kind !== "system" && author !== previous;
        previous = author;
        items.push({
          key: `m:${conversation.id}:${m.seq}:${named ? 1 : 0}`,
          make: () => this.message(m, named),
        });
      }
    });
    for (const item of chat.outbox) {
      items.push({
        key: `p:${item.cid}:${item.status}`,
        make: () => this.pending(item),
      });
    }
    const conversation = chat.current;
    if (conversation && conversation.state === "queued" && conversation.wait_seconds === undefined) {
      const offered = [...conversation.messages.values()].some((m) => m.author.kind === "system");
      if (offered) {
        const left = chat.emailLeft.get(conversation.id);
        items.push({
          key: `email:${conversation.id}:${left ? "done" : ""}`,
          make: () => (left ? this.note(t.emailThanks(left)) : this.emailCard()),
        });
      }
    }
    if (conversation && conversation.state === "closed") {
      const rated = chat.rated.has(conversation.id);
      items.push({
        key: `rate:${conversation.id}:${rated ? "done" : ""}`,
        make: () => (rated ? this.note(t.rateThanks) : this.rateCard()),
      });
      if (chat.emailKnown) {
        const sent = chat.transcriptSent.has(conversation.id);
        items.push({
          key: `transcript:${conversation.id}:${sent ? "done" : ""}`,
          make: () => (sent ? this.note(t.transcriptSent) : this.transcriptCard()),
        });
      }
    }
    return items;
  }

  renderLog() {
    const items = this.items();
    const wanted = new Set(items.map((i) => i.key));
    for (const [key, node] of this.nodes) {
      if (!wanted.has(key)) {
        node.remove();
        this.nodes.delete(key);
      }
    }
    let previous = null;
    for (const item of items) {
      let node = this.nodes.get(item.key);
      if (!node) {
        node = item.make();
        this.nodes.set(item.key, node);
      }
      const expected = previous ? previous.nextSibling : this.log.firstChild;
      if (expected !== node) this.log.insertBefore(node, expected);
      previous = node;
    }
  }

  bubble(kind, name, text, suggestions, extra) {
    const body = h("div", { class: "bubble" });
    if (kind === "bot" || kind === "agent") body.append(formatText(document, text));
    else body.textContent = text;
    const row = h(
      "div",
      { class: `msg msg-${kind}${extra ? " msg-" + extra : ""}` },
      name ? h("div", { class: "author", text: name }) : null,
      body,
    );
    if (suggestions && suggestions.length) {
      row.append(
        h(
          "div",
          { class: "suggestions" },
          suggestions.map((s) =>
            h("button", {
              class: "suggestion",
              type: "button",
              text: s.question,
              onclick: () => this.chat.send(s.question),
            }),
          ),
        ),
      );
    }
    return row;
  }

  message(m, named) {
    const t = this.t;
    const kind = m.author.kind;
    if (kind === "system") return h("div", { class: "msg msg-system", "data-seq": m.seq }, h("p", { text: m.text }));
    const name = named ? m.author.name || (kind === "bot" ? t.botName : t.someone) : null;
    const row = this.bubble(kind, name, m.text, m.suggestions);
    row.dataset.seq = String(m.seq);
    const when = new Date(m.created_at);
    if (!Number.isNaN(when.getTime())) row.title = when.toLocaleString(this.config.locale);
    return row;
  }

  pending(item) {
    const t = this.t;
    const row = this.bubble("visitor", null, item.text, [], "pending");
    row.classList.add(item.status === "failed" ? "msg-failed" : "msg-sending");
    if (item.status === "failed") {
      row.append(
        h(
          "div",
          { class: "meta" },
          h("span", { text: `${t.failed} ${item.error || ""}`.trim() + " " }),
          h("button", { class: "link", type: "button", text: t.retry, onclick: () => this.chat.retry(item.cid) }),
        ),
      );
    } else {
      row.append(h("div", { class: "meta", text: t.sending }));
    }
    return row;
  }

  note(text) {
    return h("div", { class: "card card-done" }, h("p", { text }));
  }

  emailCard() {
    const t = this.t;
    const error = h("p", { class: "error", role: "alert" });
    const input = h("input", {
      type: "email",
      autocomplete: "email",
      required: true,
      "aria-label": t.emailLabel,
      placeholder: "name@example.com",
      value: (this.chat.profile && this.chat.profile.email) || "",
    });
    return h(
      "form",
      {
        class: "card",
        onsubmit: async (e) => {
          e.preventDefault();
          const email = input.value.trim();
          if (!EMAIL.test(email)) {
            error.textContent = t.emailInvalid;
            return input.focus();
          }
          const ack = await this.chat.leaveEmail(email);
          if (!ack.ok) error.textContent = ack.error.code === "invalid" ? t.emailInvalid : t.error;
        },
      },
      h("p", { text: t.emailOffer }),
      h("div", { class: "row" }, input, h("button", { class: "primary", type: "submit", text: t.emailSend })),
      error,
    );
  }

  transcriptCard() {
    const t = this.t;
    const error = h("p", { class: "error", role: "alert" });
    const ask = h("button", {
      class: "link",
      type: "button",
      text: t.transcriptAsk,
      onclick: async () => {
        ask.disabled = true;
        const ack = await this.chat.emailTranscript();
        if (!ack.ok) {
          ask.disabled = false;
          error.textContent = t.error;
        }
      },
    });
    return h("div", { class: "card" }, ask, error);
  }

  rateCard() {
    const t = this.t;
    let score = 0;
    const error = h("p", { class: "error", role: "alert" });
    const submit = h("button", { class: "primary", type: "submit", text: t.rateSend, disabled: true });
    const stars = [1, 2, 3, 4, 5].map((n) =>
      h(
        "button",
        {
          class: "star",
          type: "button",
          role: "radio",
          "aria-checked": "false",
          "aria-label": t.rateStar(n),
          tabindex: n === 1 ? "0" : "-1",
          onclick: () => pick(n),
          onkeydown: (e) => {
            const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[e.key];
            if (!step) return;
            e.preventDefault();
            pick(Math.min(5, Math.max(1, (score || n) + step)));
            stars[score - 1].focus();
          },
        },
        icon("star"),
      ),
    );
    const pick = (n) => {
      score = n;
      stars.forEach((star, i) => {
        star.setAttribute("aria-checked", String(i + 1 === n));
        star.tabIndex = i + 1 === n ? 0 : -1;
        star.classList.toggle("on", i < n);
      });
      submit.disabled = false;
    };
    const comment = h("textarea", { class: "comment", rows: "2", "aria-label": t.rateComment, placeholder: t.rateComment, maxlength: "2000" });
    return h(
      "form",
      {
        class: "card card-rate",
        onsubmit: async (e) => {
          e.preventDefault();
          if (!score) return;
          submit.disabled = true;
          const ack = await this.chat.rate(score, comment.value.trim());
          if (!ack.ok) {
            submit.disabled = false;
            error.textContent = t.error;
          }
        },
      },
      h("p", { id: "cw-rate", text: t.rateAsk }),
      h("div", { class: "stars", role: "radiogroup", "aria-labelledby": "cw-rate" }, stars),
      comment,
      submit,
      error,
    );
  }

  renderPrechat() {
    const chat = this.chat;
    const fields = (this.config.prechat && this.config.prechat.fields) || [];
    const needed = fields.length > 0 && !this.memory.get("prechat") && !chat.current && chat.outbox.length === 0;
    this.composer.hidden = needed;
    if (!needed) {
      if (this.prechat.firstChild) this.prechat.replaceChildren();
      return;
    }
    if (this.prechat.firstChild) return;
    const t = this.t;
    const required = Boolean(this.config.prechat.required);
    const inputs = {};
    const error = h("p", { class: "error", role: "alert" });
    const done = (values) => {
      chat.engage();
      this.memory.set("prechat", true, true);
      if (values) chat.identify(values);
      chat.connect();
      this.render();
      this.input.focus();
    };
    const form = h(
      "form",
      {
        class: "card prechat",
        novalidate: true,
        onsubmit: (e) => {
          e.preventDefault();
          const values = {};
          for (const [key, input] of Object.entries(inputs)) {
            const value = input.value.trim();
            if (required && !value) {
              error.textContent = t.required;
              return input.focus();
            }
            if (key === "email" && value && !EMAIL.test(value)) {
              error.textContent = t.emailInvalid;
              return input.focus();
            }
            if (value) values[key] = value;
          }
          done(Object.keys(values).length ? values : null);
        },
      },
      h("p", { text: t.prechatIntro }),
      fields.map((key) => {
        inputs[key] = h("input", {
          type: key === "email" ? "email" : "text",
          autocomplete: key,
          required,
          maxlength: key === "name" ? "80" : "320",
          value: (chat.profile && chat.profile[key]) || "",
        });
        return h("label", { class: "field" }, h("span", { text: t[key] }), inputs[key]);
      }),
      error,
      h(
        "div",
        { class: "row" },
        h("button", { class: "primary", type: "submit", text: t.start }),
        required ? null : h("button", { class: "secondary", type: "button", text: t.skip, onclick: () => done(null) }),
      ),
    );
    this.prechat.replaceChildren(form);
  }
}

/** White or near-black text on the accent colour, whichever contrasts more (WCAG). */
export function onAccent(hex) {
  const channel = (i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const lum = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  return (1.05) / (lum + 0.05) >= (lum + 0.05) / 0.05 ? "#ffffff" : "#111827";
}
