// chatserver's embeddable chat widget.
//
//   <script src="https://chat.example.com/widget.js" async
//           data-locale="uk" data-department="sales" data-position="left"
//           data-accent-color="#0f766e" data-title="Ask us"></script>
//
// The chat server is the origin this script was loaded from. Everything renders in a
// shadow root; the only global is window.ChatWidget. Styles are a constructed stylesheet
// (or a <link> to the server's copy on browsers without one), never inline, so pages
// with a strict Content-Security-Policy that allows the chat server work unchanged.
import css from "./widget.css";
import { Chat, Memory } from "./chat.js";
import { pickLocale, texts } from "./i18n.js";
import { View } from "./ui.js";

const EVENTS = ["open", "close", "message", "unread", "ready"];
const COLOR = /^#[0-9a-f]{6}$/i;

(() => {
  // Must be read now: currentScript is null once this first synchronous run is over.
  const script = document.currentScript;
  if (window.ChatWidget || !script || !script.src) return;
  const origin = new URL(script.src, location.href).origin;
  const data = script.dataset;
  const locale = pickLocale(data.locale, navigator.languages || [navigator.language]);
  const t = texts(locale);

  const listeners = Object.fromEntries(EVENTS.map((name) => [name, new Set()]));
  const emit = (name, value) => {
    for (const fn of listeners[name]) {
      try {
        // A copy: the page can keep or change it without touching the widget's state.
        fn(value === undefined ? undefined : JSON.parse(JSON.stringify(value)));
      } catch (error) {
        setTimeout(() => {
          throw error; // the page's bug, reported as such, never breaks the widget
        });
      }
    }
  };

  const memory = new Memory("chatserver-widget:" + origin);
  const chat = new Chat({ origin, locale, department: data.department, memory });
  chat.onMessage((message) => emit("message", message));
  let view = null;
  const queued = [];
  const whenReady = (fn) => (view ? fn() : queued.push(fn));

  const api = {
    /** Open the chat panel (connects if needed). */
    open: () => whenReady(() => view.open()),
    /** Close the chat panel. */
    close: () => whenReady(() => view.close()),
    toggle: () => whenReady(() => (view.isOpen ? view.close() : view.open())),
    get isOpen() {
      return Boolean(view && view.isOpen);
    },
    /** Tell agents who the visitor is: {name?, email?}. Sent once the chat is in use. */
    identify(profile) {
      const clean = {};
      for (const key of ["name", "email"]) {
        if (profile && typeof profile[key] === "string" && profile[key].trim()) clean[key] = profile[key].trim();
      }
      return chat.identify(clean);
    },
    /** ChatWidget.on("message" | "open" | "close" | "unread" | "ready", fn) -> unsubscribe */
    on(name, fn) {
      if (!listeners[name] || typeof fn !== "function") throw new TypeError(`ChatWidget.on: unknown event ${name}`);
      listeners[name].add(fn);
      return () => listeners[name].delete(fn);
    },
    off(name, fn) {
      if (listeners[name]) listeners[name].delete(fn);
    },
    /** Forget this visitor on this browser (e.g. when the site's user signs out). */
    reset: () => chat.reset(),
    locale,
  };
  Object.defineProperty(window, "ChatWidget", { value: Object.freeze(api), configurable: true });

  async function loadConfig() {
    try {
      const response = await fetch(origin + "/widget/config.json", { credentials: "omit" });
      if (response.ok) return await response.json();
    } catch {
      // Unreachable server: defaults now; the socket keeps trying on its own.
    }
    return {};
  }

  function mount(config) {
    const host = document.createElement("chatserver-widget");
    // Inline !important through the CSSOM (allowed by CSP): page rules such as
    // `* { all: unset }` or `div { display: none !important }` cannot reach it.
    host.style.setProperty("all", "initial", "important");
    host.style.setProperty("display", "block", "important");
    const shadow = host.attachShadow({ mode: "open" });
    if ("adoptedStyleSheets" in shadow && typeof CSSStyleSheet.prototype.replaceSync === "function") {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      shadow.adoptedStyleSheets = [sheet];
    } else {
      const link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = origin + "/static/widget/widget.css";
      shadow.append(link);
    }
    const accent = COLOR.test(data.accentColor || "") ? data.accentColor : COLOR.test(config.accent_color || "") ? config.accent_color : "#2563eb";
    const settings = {
      ...config,
      locale,
      title: data.title || config.title || "",
      accent,
      position: data.position || config.position || "right",
    };
    view = new View({ shadow, chat, t, config: settings, emit, memory });
    document.body.append(host);
    greet(settings.greeting);
    if (chat.token) chat.connect(); // a returning visitor: catch up, count unread
    if (view.wasOpen()) view.open();
    for (const fn of queued.splice(0)) fn();
    emit("ready");
  }

  function greet(greeting) {
    if (!greeting || !(greeting.delay_seconds > 0) || chat.token) return;
    const text = greeting.text && greeting.text[locale];
    const pages = greeting.pages || [];
    if (!text || (pages.length && !pages.some((p) => globMatch(p, location.pathname)))) return;
    try {
      if (sessionStorage.getItem(memory.key + ":greeted")) return;
    } catch {
      /* no storage: greet */
    }
    setTimeout(() => view.showGreeting(text), greeting.delay_seconds * 1000);
  }

  const configured = loadConfig();
  const domReady =
    document.readyState === "loading"
      ? new Promise((resolve) => document.addEventListener("DOMContentLoaded", resolve, { once: true }))
      : Promise.resolve();
  Promise.all([configured, domReady]).then(([config]) => mount(config));
})();

/** Shell-style pattern (*, ?, [abc]) against a whole path, like Python's fnmatch. */
function globMatch(pattern, path) {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") source += ".*";
    else if (c === "?") source += ".";
    else if (c === "[" && pattern.indexOf("]", i + 2) > 0) {
      const end = pattern.indexOf("]", i + 2);
      let body = pattern.slice(i + 1, end).replace(/\\/g, "\\\\");
      if (body[0] === "!") body = "^" + body.slice(1);
      source += "[" + body + "]";
      i = end;
    } else source += c.replace(/[.+^${}()|\\\]\/]/g, "\\$&");
  }
  try {
    return new RegExp("^" + source + "$").test(path);
  } catch {
    return false;
  }
}
