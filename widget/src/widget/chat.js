// The visitor's side of the conversation: the connection, what the server has stored
// (by conversation and seq) and what is still on its way (the outbox). No DOM here: the
// view subscribes with onChange and reads the state.
//
// Delivery rules (docs/protocol.md): every message carries a client_id and is resent
// until acknowledged (the server stores a client_id once); after every (re)connect the
// widget asks for `history` after the last seq it holds and merges by seq, so nothing is
// lost or shown twice; a gap in seq (a message event missed) triggers the same.
import { io } from "socket.io-client";

const ACK_TIMEOUT_MS = 10_000;
// Retry spacing for errors that pass (rate_limited: 1 message/s after a burst of 20).
const RETRY_MS = 1_500;
const TYPING_REPEAT_MS = 2_500; // "still typing" at most this often
const TYPING_IDLE_MS = 4_000; // quiet this long = stopped typing
const AGENT_TYPING_TTL_MS = 8_000; // a lost "stopped typing" does not stick
const PAGE_URL_MAX = 2048; // limits.max_page_url_length: a longer one refuses the connection

function randomId() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return "w-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** localStorage holding one JSON record, written only once the visitor engaged. */
export class Memory {
  constructor(key) {
    this.key = key;
    this.data = {};
    try {
      this.data = JSON.parse(localStorage.getItem(key) || "{}") || {};
    } catch {
      this.data = {};
    }
  }
  get(name) {
    return this.data[name];
  }
  set(name, value, persist) {
    this.data[name] = value;
    if (persist) this.save();
  }
  save() {
    try {
      localStorage.setItem(this.key, JSON.stringify(this.data));
    } catch {
      // Storage full or blocked (private mode, sandboxed frame): the chat still works,
      // it just does not survive a reload.
    }
  }
  clear() {
    this.data = {};
    try {
      localStorage.removeItem(this.key);
    } catch {
      /* as above */
    }
  }
}

export class Chat {
  constructor({ origin, locale, department, memory }) {
    this.origin = origin;
    this.locale = locale;
    this.department = department || null;
    this.memory = memory;
    this.engaged = Boolean(memory.get("token"));
    this.socket = null;
    this.status = "idle"; // idle | connecting | online | offline
    this.everConnected = false;
    this.conversations = []; // [{id, state, queue_position, wait_seconds, agent, created_at, messages: Map}]
    this.outbox = (memory.get("outbox") || []).map((m) => ({ ...m, status: "pending" }));
    this.agentTyping = null;
    this.profile = null; // {name?, email?} from identify
    this.profileSent = false;
    this.pendingHandoff = false;
    this.departmentRefused = false;
    this.initialLoad = true;
    this.listeners = new Set();
    this.messageListeners = new Set();
    this.emailLeft = new Map(); // conversation id -> address
    this.rated = new Map(); // conversation id -> score
    this.transcriptSent = new Set(); // conversation ids whose transcript was emailed
    this._typingSentAt = 0;
    this._typingTimer = null;
    this._agentTypingTimer = null;
    this._pumping = false;
    this._historyBusy = false;
    this._historyAgain = false;
  }

  // --- state for the view -------------------------------------------------------

  onChange(fn) {
    this.listeners.add(fn);
  }
  onMessage(fn) {
    this.messageListeners.add(fn);
  }
  changed() {
    for (const fn of this.listeners) fn();
  }
  get current() {
    return this.conversations[this.conversations.length - 1] || null;
  }
  lastSeq(conversation) {
    let last = 0;
    for (const seq of conversation.messages.keys()) last = Math.max(last, seq);
    return last;
  }
  /** Messages from the other side not yet seen (the view marks them seen when shown). */
  unread() {
    const conversation = this.current;
    if (!conversation) return 0;
    const seen = this.memory.get("seen") || {};
    const after = seen.c === conversation.id ? seen.s : 0;
    let count = 0;
    for (const m of conversation.messages.values()) {
      if (m.seq > after && m.author.kind !== "visitor") count += 1;
    }
    return count;
  }
  markSeen() {
    const conversation = this.current;
    if (!conversation || !this.engaged) return;
    const seen = { c: conversation.id, s: this.lastSeq(conversation) };
    const old = this.memory.get("seen") || {};
    if (old.c !== seen.c || old.s !== seen.s) this.memory.set("seen", seen, true);
  }

  // --- connection -----------------------------------------------------------------

  /** The visitor opened the chat or wrote: from now on the token is kept. */
  engage() {
    if (this.engaged) return;
    this.engaged = true;
    if (this.token) this.persist();
  }

  get token() {
    return this.memory.get("token") || null;
  }

  persist() {
    if (!this.engaged) return;
    this.memory.set(
      "outbox",
      this.outbox.map(({ cid, text }) => ({ cid, text })),
      false,
    );
    this.memory.save();
  }

  connect() {
    if (this.socket) return;
    this.status = "connecting";
    const socket = io(this.origin + "/visitor", {
      // websocket first; long-polling when a proxy refuses websockets.
      transports: ["websocket", "polling"],
      tryAllTransports: true,
      reconnectionDelayMax: 5_000,
      auth: (cb) => {
        const auth = { locale: this.locale, page_url: location.href.slice(0, PAGE_URL_MAX) };
        if (this.token) auth.token = this.token;
        cb(auth);
      },
    });
    this.socket = socket;
    socket.on("connect", () => {
      this.status = "online";
      this.everConnected = true;
      this.changed();
    });
    socket.on("disconnect", () => {
      this.status = "offline";
      this.setAgentTyping(null);
      this.changed();
    });
    socket.on("connect_error", (err) => {
      this.status = "offline";
      this.changed();
      const data = err && err.data;
      if (!data) return; // a transport error: the manager retries with back-off
      // Refused by the server: the manager does not retry this by itself.
      if (data.field === "token") this.memory.set("token", null, this.engaged);
      setTimeout(() => socket.connect(), data.field === "token" ? 0 : 5_000);
    });
    socket.on("session", (session) => this.onSession(session));
    socket.on("message", (message) => this.merge(message, true));
    socket.on("conversation", (conversation) => this.upsert(conversation));
    socket.on("typing", (typing) => this.setAgentTyping(typing.typing ? typing.name : null));
    // Back online: reconnect now rather than when the back-off timer says so.
    addEventListener("online", () => {
      if (this.socket === socket && !socket.connected) socket.disconnect().connect();
    });
    addEventListener("offline", () => this.changed());
  }

  async onSession(session) {
    this.memory.set("token", session.token, this.engaged);
    this.profileSent = false;
    const current = this.current;
    if (session.conversation) {
      // Any other conversation this page still shows as open ended while it was away.
      for (const c of this.conversations) {
        if (c.id !== session.conversation.id) c.state = "closed";
      }
      this.upsert(session.conversation);
      for (const m of session.messages) this.merge(m, !this.initialLoad);
    } else if (current && current.state !== "closed") {
      // It ended while this page was away (the close event was missed).
      current.state = "closed";
      this.changed();
    } else if (!current && session.last_closed) {
      // A fresh page: show the chat that ended, and its rating prompt if still unrated.
      const closed = session.last_closed;
      this.upsert(closed.conversation);
      for (const m of closed.messages) this.merge(m, false);
      if (closed.rating) this.rated.set(closed.conversation.id, closed.rating.score);
    }
    this.initialLoad = false;
    this.changed();
    if (session.conversation) await this.history();
    await this.sendProfile();
    if (this.pendingHandoff) await this.handoff();
    this.pump();
  }

  call(event, payload) {
    if (!this.socket || !this.socket.connected) {
      return Promise.resolve({ ok: false, error: { code: "offline", message: "offline" } });
    }
    return this.socket
      .timeout(ACK_TIMEOUT_MS)
      .emitWithAck(event, payload)
      .catch(() => ({ ok: false, error: { code: "timeout", message: "no answer" } }));
  }

  // --- merging what the server stored --------------------------------------------

  conversation(id) {
    let conversation = this.conversations.find((c) => c.id === id);
    if (!conversation) {
      conversation = { id, state: "bot", created_at: "", messages: new Map() };
      this.conversations.push(conversation);
    }
    return conversation;
  }

  upsert(data) {
    const conversation = this.conversation(data.id);
    const { messages } = conversation;
    // Optional fields are absent when they do not apply: replace, never merge them.
    for (const key of ["queue_position", "wait_seconds", "agent"]) delete conversation[key];
    Object.assign(conversation, data, { messages });
    if (data.state !== "assigned") this.setAgentTyping(null, true);
    this.changed();
  }

  merge(message, live) {
    const conversation = this.conversation(message.conversation_id);
    if (message.client_id && message.author.kind === "visitor") {
      const before = this.outbox.length;
      this.outbox = this.outbox.filter((item) => item.cid !== message.client_id);
      if (this.outbox.length !== before) this.persist();
    }
    if (conversation.messages.has(message.seq)) return;
    const gap = conversation.messages.size > 0 && message.seq > this.lastSeq(conversation) + 1;
    conversation.messages.set(message.seq, message);
    if (message.author.kind === "agent") this.setAgentTyping(null, true);
    this.changed();
    if (live) for (const fn of this.messageListeners) fn(message);
    if (gap && live) this.history();
  }

  /** Everything after the last seq held, in pages, until the server says there is no more. */
  async history() {
    if (this._historyBusy) {
      this._historyAgain = true;
      return;
    }
    this._historyBusy = true;
    try {
      do {
        this._historyAgain = false;
        const conversation = this.current;
        if (!conversation || conversation.state === "closed") break;
        let more = true;
        while (more) {
          const ack = await this.call("history", { after_seq: this.lastSeq(conversation) });
          if (!ack.ok) return;
          for (const m of ack.messages) this.merge(m, true);
          more = ack.more && ack.messages.length > 0;
        }
      } while (this._historyAgain);
    } finally {
      this._historyBusy = false;
    }
  }

  // --- sending ---------------------------------------------------------------------

  send(text) {
    this.engage();
    this.outbox.push({ cid: randomId(), text, status: "pending" });
    this.persist();
    this.typing(false);
    this.connect();
    this.changed();
    this.pump();
  }

  retry(cid) {
    const item = this.outbox.find((i) => i.cid === cid);
    if (item) item.status = "pending";
    this.changed();
    this.pump();
  }

  /** Sends the outbox in order, one at a time, each until acknowledged. */
  async pump() {
    if (this._pumping) return;
    this._pumping = true;
    try {
      while (this.socket && this.socket.connected) {
        const item = this.outbox.find((i) => i.status === "pending");
        if (!item) break;
        const ack = await this.call("message", { text: item.text, client_id: item.cid });
        if (ack.ok) {
          this.merge(ack.message, true);
          continue;
        }
        const code = ack.error && ack.error.code;
        if (code === "offline") break; // the next session pumps again
        if (["timeout", "rate_limited", "unavailable", "internal"].includes(code)) {
          await wait(RETRY_MS);
          continue;
        }
        item.status = "failed"; // invalid / too_long: resending cannot help
        item.error = ack.error.message;
        this.changed();
      }
    } finally {
      this._pumping = false;
    }
  }

  async handoff() {
    this.engage();
    if (!this.socket || !this.socket.connected) {
      this.pendingHandoff = true;
      this.connect();
      return;
    }
    this.pendingHandoff = false;
    const payload = this.department && !this.departmentRefused ? { department: this.department } : {};
    let ack = await this.call("handoff", payload);
    if (!ack.ok && ack.error.code === "invalid" && payload.department) {
      // A server without per-page departments: ask without one.
      this.departmentRefused = true;
      ack = await this.call("handoff", {});
    }
    if (ack.ok) this.upsert(ack.conversation);
    else if (ack.error.code === "offline" || ack.error.code === "timeout") this.pendingHandoff = true;
  }

  identify(profile) {
    this.profile = { ...(this.profile || {}), ...profile };
    this.profileSent = false;
    this.changed();
    return this.sendProfile();
  }

  async sendProfile() {
    if (!this.profile || this.profileSent || !this.socket || !this.socket.connected) return null;
    const payload = {};
    for (const key of ["name", "email"]) if (this.profile[key]) payload[key] = this.profile[key];
    if (!payload.name && !payload.email) return null;
    this.profileSent = true;
    const ack = await this.call("identify", payload);
    if (!ack.ok && ["offline", "timeout"].includes(ack.error.code)) this.profileSent = false;
    return ack;
  }

  async leaveEmail(email) {
    const conversation = this.current;
    const ack = await this.call("leave_email", { email });
    if (ack.ok && conversation) {
      this.emailLeft.set(conversation.id, email);
      this.changed();
    }
    return ack;
  }

  /** Whether the server has an address for this visitor (as far as this page knows). */
  get emailKnown() {
    return Boolean((this.profile && this.profile.email) || this.emailLeft.size);
  }

  /** Email the transcript of the current conversation to the visitor's address. */
  async emailTranscript() {
    const conversation = this.current;
    const ack = await this.call("email_transcript", {});
    if (ack.ok && conversation) {
      this.transcriptSent.add(conversation.id);
      this.changed();
    }
    return ack;
  }

  async rate(score, comment) {
    const conversation = this.current;
    const payload = comment ? { score, comment } : { score };
    const ack = await this.call("rate", payload);
    if (ack.ok && conversation) {
      this.rated.set(conversation.id, score);
      this.changed();
    }
    return ack;
  }

  /** The visitor is typing: told to the agent at most every few seconds, and "stopped"
   * after a quiet spell or on send. Only once a person is involved. */
  typing(active) {
    const conversation = this.current;
    const withPerson = conversation && ["queued", "assigned"].includes(conversation.state);
    clearTimeout(this._typingTimer);
    if (!withPerson || !this.socket || !this.socket.connected) return;
    const now = Date.now();
    if (active) {
      if (now - this._typingSentAt > TYPING_REPEAT_MS) {
        this._typingSentAt = now;
        this.call("typing", { typing: true });
      }
      this._typingTimer = setTimeout(() => this.typing(false), TYPING_IDLE_MS);
    } else if (this._typingSentAt) {
      this._typingSentAt = 0;
      this.call("typing", { typing: false });
    }
  }

  setAgentTyping(name, quiet) {
    clearTimeout(this._agentTypingTimer);
    const changed = this.agentTyping !== name;
    this.agentTyping = name;
    if (name) this._agentTypingTimer = setTimeout(() => this.setAgentTyping(null), AGENT_TYPING_TTL_MS);
    if (changed && !quiet) this.changed();
  }

  /** Forget this visitor (the page's user signed out). */
  reset() {
    if (this.socket) {
      this.socket.disconnect();
      this.socket = null;
    }
    this.memory.clear();
    this.engaged = false;
    this.conversations = [];
    this.outbox = [];
    this.status = "idle";
    this.profile = null;
    this.changed();
  }
}
