// The agent console: one page over the /agent Socket.IO namespace (docs/protocol.md,
// "Namespace /agent"). No framework; the page's CSP allows no inline script.
//
// Rules this file keeps:
// - Every piece of text that comes from the server (messages, names, notes, page URLs,
//   canned responses) reaches the DOM through textContent / createTextNode, never
//   innerHTML, so markup in a message is shown as the characters it is.
// - State lives in `state`; the DOM is drawn from it. Messages are kept per chat by `seq`
//   and notes by `id`, so anything that arrives twice (an event and an ack, or a
//   `history` reply after a reconnect) is merged, never duplicated.
// - Every send waits for its ack and is retried (same client_id) until it gets one or a
//   definite refusal; sends of one chat go out in order.

const ACK_TIMEOUT_MS = 10_000;
// Retried with a doubling pause up to this cap: long enough not to hammer a server that
// is restarting, short enough that a message goes out soon after it is back.
const RETRY_MAX_MS = 10_000;
// A `typing: true` at most this often while the agent keeps typing, and `typing: false`
// after this long without a keystroke (the visitor's indicator would otherwise stick).
const TYPING_REPEAT_MS = 3_000;
const TYPING_IDLE_MS = 4_000;
// If a visitor's `typing: false` is lost (they closed the tab), stop showing it anyway.
const TYPING_SHOWN_MS = 12_000;
const RETRYABLE = new Set(["unavailable", "internal", "rate_limited"]);

const $ = (id) => document.getElementById(id);
const el = {
  body: document.body,
  connection: $("connection"),
  queueCount: $("queue-count"),
  statusSwitch: $("status-switch"),
  statusLabel: $("status-label"),
  soundToggle: $("sound-toggle"),
  notifyButton: $("notify-button"),
  agentName: $("agent-name"),
  banner: $("banner"),
  chatList: $("chat-list"),
  chatsEmpty: $("chats-empty"),
  chatsCount: $("chats-count"),
  chatTitle: $("chat-title"),
  chatSubtitle: $("chat-subtitle"),
  transferButton: $("transfer-button"),
  closeButton: $("close-button"),
  transcript: $("transcript"),
  typing: $("typing"),
  composer: $("composer"),
  text: $("composer-text"),
  composerLabel: $("composer-label"),
  composerError: $("composer-error"),
  noteToggle: $("note-toggle"),
  cannedButton: $("canned-button"),
  cannedSuggest: $("canned-suggest"),
  sendButton: $("send-button"),
  visitorEmpty: $("visitor-empty"),
  visitorDetails: $("visitor-details"),
  vName: $("v-name"),
  vEmail: $("v-email"),
  vPage: $("v-page"),
  vLocale: $("v-locale"),
  vPrevious: $("v-previous"),
  vDepartment: $("v-department"),
  vStarted: $("v-started"),
  vId: $("v-id"),
  transferDialog: $("transfer-dialog"),
  transferForm: $("transfer-form"),
  transferTo: $("transfer-to"),
  transferToLabel: $("transfer-to-label"),
  transferError: $("transfer-error"),
  transferCancel: $("transfer-cancel"),
  closeDialog: $("close-dialog"),
  closeForm: $("close-form"),
  closeError: $("close-error"),
  closeCancel: $("close-cancel"),
  cannedDialog: $("canned-dialog"),
  cannedFilter: $("canned-filter"),
  cannedList: $("canned-list"),
  cannedEmpty: $("canned-empty"),
};

const state = {
  socket: null,
  connected: false,
  agent: null,
  queueWaiting: null,
  canned: [],
  chats: new Map(), // conversation_id -> chat (see newChat)
  activeId: null,
  statusBusy: false,
};

// ----------------------------------------------------------------------------- helpers

function h(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function randomHex(bytes) {
  const data = new Uint8Array(bytes);
  crypto.getRandomValues(data);
  return Array.from(data, (b) => b.toString(16).padStart(2, "0")).join("");
}

// client_id: unique per message on this client, at most 64 printable characters.
const clientPrefix = `k-${randomHex(8)}`;
let clientCounter = 0;
const nextClientId = () => `${clientPrefix}-${++clientCounter}`;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

function formatTime(iso, format = timeFormat) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : format.format(date);
}

function showBanner(text) {
  el.banner.textContent = text;
  el.banner.hidden = !text;
}

class AckError extends Error {
  constructor(error) {
    super((error && error.message) || "the server refused the request");
    this.code = (error && error.code) || "error";
  }
}

// --------------------------------------------------------------------------- sending

const connectWaiters = [];

function whenConnected() {
  if (state.connected) return Promise.resolve();
  return new Promise((resolve) => connectWaiters.push(resolve));
}

// Emits until the server acks: a lost ack (timeout, disconnect) or a retryable error
// code is retried after a pause; any other error code rejects with AckError.
async function sendReliably(event, payload) {
  let pause = 500;
  for (;;) {
    await whenConnected();
    try {
      const ack = await state.socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload);
      if (ack && ack.ok) return ack;
      const error = ack && ack.error;
      if (!error || !RETRYABLE.has(error.code)) throw new AckError(error);
    } catch (err) {
      if (err instanceof AckError) throw err;
      // No ack in time, or the socket went down: the same payload goes again.
    }
    await sleep(pause);
    pause = Math.min(pause * 2, RETRY_MAX_MS);
  }
}

// Fire-and-forget (typing): one try, errors ignored.
function sendOnce(event, payload) {
  if (!state.connected) return;
  state.socket.timeout(ACK_TIMEOUT_MS).emit(event, payload, () => {});
}

// ----------------------------------------------------------------------------- chats

function newChat(view) {
  return {
    id: view.conversation.id,
    conversation: view.conversation,
    visitor: view.visitor || {},
    messages: new Map(), // seq -> Message
    notes: new Map(), // id -> Note
    pending: new Map(), // local key -> {key, kind, text, created_at, status, error, client_id}
    unread: 0,
    typing: false,
    typingTimer: null,
    gone: null, // why it left this agent ("closed", "transferred", ...), while still shown
    sendChain: Promise.resolve(),
  };
}

function lastSeq(chat) {
  let max = 0;
  for (const seq of chat.messages.keys()) if (seq > max) max = seq;
  return max;
}

function lastMessage(chat) {
  const seq = lastSeq(chat);
  return seq ? chat.messages.get(seq) : null;
}

function activeChat() {
  return state.activeId ? state.chats.get(state.activeId) || null : null;
}

function visitorLabel(chat) {
  const name = chat.visitor && chat.visitor.name;
  if (name) return name;
  const id = (chat.visitor && chat.visitor.id) || chat.conversation.visitor_id || chat.id;
  // Ids are time-ordered (they start with a timestamp): the tail tells visitors apart.
  return `Visitor ${String(id).slice(-6)}`;
}

function upsertChat(view) {
  let chat = state.chats.get(view.conversation.id);
  if (!chat) {
    chat = newChat(view);
    state.chats.set(chat.id, chat);
  } else {
    chat.conversation = { ...chat.conversation, ...view.conversation };
    if (view.visitor) chat.visitor = view.visitor;
    chat.gone = null;
  }
  for (const message of view.messages || []) addMessage(chat, message, { quiet: true });
  for (const note of view.notes || []) addNote(chat, note);
  return chat;
}

function addMessage(chat, message, { quiet = false } = {}) {
  if (typeof message.seq !== "number" || chat.messages.has(message.seq)) return false;
  chat.messages.set(message.seq, message);
  if (message.client_id && chat.pending.has(message.client_id)) {
    chat.pending.delete(message.client_id);
    removeTranscriptItem(chat, `p:${message.client_id}`);
  }
  if (message.author && message.author.kind === "visitor") setVisitorTyping(chat, false);
  if (chat.id === state.activeId) insertTranscriptItem(chat, { kind: "message", data: message });
  if (!quiet) renderChatList();
  return true;
}

function addNote(chat, note) {
  if (!note || chat.notes.has(note.id)) return false;
  chat.notes.set(note.id, note);
  // The event for our own note can come before the ack: drop the placeholder then.
  for (const pending of chat.pending.values()) {
    if (pending.kind === "note" && pending.text === note.text) {
      chat.pending.delete(pending.key);
      removeTranscriptItem(chat, `p:${pending.key}`);
      break;
    }
  }
  if (chat.id === state.activeId) insertTranscriptItem(chat, { kind: "note", data: note });
  return true;
}

function markGone(chat, reason) {
  chat.gone = reason;
  setVisitorTyping(chat, false);
  if (chat.id !== state.activeId) {
    state.chats.delete(chat.id);
  }
  renderChatList();
  if (chat.id === state.activeId) renderConversation();
}

// Asks for everything after the last seq held, until the server says there is no more.
async function catchUp(chat) {
  for (;;) {
    let ack;
    try {
      ack = await sendReliably("history", { conversation_id: chat.id, after_seq: lastSeq(chat) });
    } catch (err) {
      if (err instanceof AckError && (err.code === "forbidden" || err.code === "not_found")) {
        if (!chat.gone) markGone(chat, "unassigned");
      }
      return;
    }
    for (const message of ack.messages || []) addMessage(chat, message, { quiet: true });
    for (const note of ack.notes || []) addNote(chat, note);
    renderChatList();
    if (!ack.more || !(ack.messages || []).length) return;
  }
}

// ------------------------------------------------------------------------ transcript

const itemOf = new WeakMap(); // transcript element -> {kind, data}

function itemKey(item) {
  if (item.kind === "message") return `m:${item.data.seq}`;
  if (item.kind === "note") return `n:${item.data.id}`;
  return `p:${item.data.key}`;
}

// Messages in seq order; notes placed by time among them; unsent ones last.
function compareItems(a, b) {
  if (a.kind === "pending" || b.kind === "pending") {
    if (a.kind !== b.kind) return a.kind === "pending" ? 1 : -1;
    return a.data.order - b.data.order;
  }
  if (a.kind === "message" && b.kind === "message") return a.data.seq - b.data.seq;
  const at = a.data.created_at || "";
  const bt = b.data.created_at || "";
  if (at !== bt) return at < bt ? -1 : 1;
  if (a.kind !== b.kind) return a.kind === "message" ? -1 : 1;
  return 0;
}

function authorLabel(chat, author) {
  switch (author && author.kind) {
    case "visitor":
      return visitorLabel(chat);
    case "bot":
      return author.name || "Bot";
    case "agent":
      return author.name || "Agent";
    default:
      return "System";
  }
}

function renderItem(chat, item) {
  const node = h("article", "msg");
  node.dataset.key = itemKey(item);
  itemOf.set(node, item);
  const meta = h("div", "msg-meta");
  const text = h("p", "msg-text", item.data.text);

  if (item.kind === "message") {
    const kind = (item.data.author && item.data.author.kind) || "system";
    node.classList.add(`msg-${kind}`);
    meta.append(h("span", "msg-author", authorLabel(chat, item.data.author)));
    if (kind === "bot") meta.append(h("span", "tag tag-bot", "bot"));
    const time = h("time", "msg-time", formatTime(item.data.created_at));
    time.dateTime = item.data.created_at || "";
    time.title = formatTime(item.data.created_at, dateTimeFormat);
    meta.append(time);
    node.append(meta, text);
    if (kind === "bot" && Array.isArray(item.data.suggestions) && item.data.suggestions.length) {
      const list = h("ul", "msg-suggestions");
      list.setAttribute("aria-label", "Suggested questions");
      for (const suggestion of item.data.suggestions) list.append(h("li", "", suggestion.question));
      node.append(list);
    }
    if (kind === "bot" && item.data.faq_id) node.append(h("p", "msg-faq", `FAQ: ${item.data.faq_id}`));
  } else if (item.kind === "note") {
    node.classList.add("msg-note");
    meta.append(h("span", "tag tag-note", "Internal note"));
    meta.append(h("span", "msg-author", (item.data.author && item.data.author.name) || "Agent"));
    const time = h("time", "msg-time", formatTime(item.data.created_at));
    time.dateTime = item.data.created_at || "";
    meta.append(time);
    node.append(meta, text);
  } else {
    const pending = item.data;
    node.classList.add(pending.kind === "note" ? "msg-note" : "msg-agent", "msg-pending");
    if (pending.kind === "note") meta.append(h("span", "tag tag-note", "Internal note"));
    meta.append(h("span", "msg-author", (state.agent && state.agent.name) || "You"));
    if (pending.status === "failed") {
      node.classList.add("msg-failed");
      meta.append(h("span", "msg-status", `Not sent: ${pending.error || "refused"}`));
      const retry = h("button", "btn btn-small", "Retry");
      retry.type = "button";
      retry.addEventListener("click", () => {
        chat.pending.delete(pending.key);
        removeTranscriptItem(chat, `p:${pending.key}`);
        if (pending.kind === "note") sendNote(chat, pending.text, pending.client_id);
        else sendMessage(chat, pending.text, pending.client_id);
      });
      meta.append(retry);
    } else {
      meta.append(h("span", "msg-status", "Sending…"));
    }
    node.append(meta, text);
  }
  return node;
}

function nearBottom() {
  const t = el.transcript;
  return t.scrollHeight - t.scrollTop - t.clientHeight < 80;
}

function insertTranscriptItem(chat, item) {
  const stick = nearBottom();
  const key = itemKey(item);
  const existing = el.transcript.querySelector(`[data-key="${CSS.escape(key)}"]`);
  const node = renderItem(chat, item);
  if (existing) {
    existing.replaceWith(node);
  } else {
    // Usually the new item goes last: walk back from the end to its place.
    let before = null;
    for (let child = el.transcript.lastElementChild; child; child = child.previousElementSibling) {
      const other = itemOf.get(child);
      if (!other || compareItems(other, item) <= 0) break;
      before = child;
    }
    el.transcript.querySelector(".transcript-placeholder")?.remove();
    el.transcript.insertBefore(node, before);
  }
  if (stick) el.transcript.scrollTop = el.transcript.scrollHeight;
}

function removeTranscriptItem(chat, key) {
  if (chat.id !== state.activeId) return;
  el.transcript.querySelector(`[data-key="${CSS.escape(key)}"]`)?.remove();
}

function renderTranscript() {
  const chat = activeChat();
  el.transcript.setAttribute("aria-busy", "true");
  el.transcript.replaceChildren();
  if (!chat) {
    el.transcript.append(h("p", "transcript-placeholder", "Choose a chat on the left to see its transcript."));
  } else {
    const items = [
      ...Array.from(chat.messages.values(), (data) => ({ kind: "message", data })),
      ...Array.from(chat.notes.values(), (data) => ({ kind: "note", data })),
      ...Array.from(chat.pending.values(), (data) => ({ kind: "pending", data })),
    ].sort(compareItems);
    el.transcript.append(...items.map((item) => renderItem(chat, item)));
    if (chat.gone) el.transcript.append(h("p", "transcript-end", goneText(chat.gone)));
    el.transcript.scrollTop = el.transcript.scrollHeight;
  }
  el.transcript.removeAttribute("aria-busy");
}

function goneText(reason) {
  return (
    {
      closed: "This chat is closed.",
      transferred: "This chat was transferred.",
      no_reply: "This chat went back to the queue: no reply in time.",
      offline: "This chat went back to the queue while you were offline.",
    }[reason] || "This chat is no longer assigned to you."
  );
}

// ------------------------------------------------------------------------ rendering

function renderChatList() {
  const chats = Array.from(state.chats.values());
  const items = chats.map((chat) => {
    const li = h("li");
    const button = h("button", "chat-item");
    button.type = "button";
    button.dataset.id = chat.id;
    if (chat.id === state.activeId) button.setAttribute("aria-current", "true");
    if (chat.gone) button.classList.add("chat-gone");

    const top = h("span", "chat-item-top");
    top.append(h("span", "chat-item-name", visitorLabel(chat)));
    if (chat.unread > 0) {
      const badge = h("span", "badge", chat.unread);
      badge.append(h("span", "visually-hidden", " unread"));
      top.append(badge);
    }
    button.append(top);

    const last = lastMessage(chat);
    const preview = chat.typing
      ? "typing…"
      : last
        ? `${last.author.kind === "visitor" ? "" : `${authorLabel(chat, last.author)}: `}${last.text}`
        : "";
    button.append(h("span", "chat-item-preview", preview));
    if (chat.gone) button.append(h("span", "chat-item-state", chat.gone === "closed" ? "closed" : "left"));
    li.append(button);
    return li;
  });
  el.chatList.replaceChildren(...items);
  el.chatsEmpty.hidden = chats.length > 0;
  el.chatsCount.textContent = chats.length ? `(${chats.filter((c) => !c.gone).length})` : "";
  const unread = chats.reduce((sum, chat) => sum + chat.unread, 0);
  document.title = `${unread ? `(${unread}) ` : ""}Agent console · chatserver`;
}

function setText(node, value) {
  node.textContent = value === null || value === undefined || value === "" ? "—" : String(value);
}

function renderVisitor(chat) {
  el.visitorEmpty.hidden = Boolean(chat);
  el.visitorDetails.hidden = !chat;
  if (!chat) return;
  const v = chat.visitor || {};
  setText(el.vName, v.name);
  setText(el.vEmail, v.email);
  el.vPage.replaceChildren();
  const url = v.page_url;
  let safe = false;
  try {
    safe = Boolean(url) && ["http:", "https:"].includes(new URL(url).protocol);
  } catch {
    safe = false;
  }
  if (safe) {
    const link = h("a", "", url);
    link.href = url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    el.vPage.append(link);
  } else {
    setText(el.vPage, url);
  }
  setText(el.vLocale, v.locale);
  setText(el.vPrevious, typeof v.previous_conversations === "number" ? v.previous_conversations : null);
  setText(el.vDepartment, chat.conversation.department);
  setText(el.vStarted, formatTime(chat.conversation.created_at, dateTimeFormat));
  setText(el.vId, v.id || chat.conversation.visitor_id);
}

function renderConversation() {
  const chat = activeChat();
  // Replies can be written and sent while the connection is down: they wait as
  // "Sending…" and go out (same client_id) once it is back.
  const usable = Boolean(chat) && !chat.gone;
  el.chatTitle.textContent = chat ? visitorLabel(chat) : "No chat open";
  const subtitle = [];
  if (chat) {
    subtitle.push(chat.gone ? goneText(chat.gone) : `State: ${chat.conversation.state}`);
    if (chat.visitor && chat.visitor.locale) subtitle.push(`Language: ${chat.visitor.locale}`);
  }
  el.chatSubtitle.textContent = subtitle.join(" · ");
  for (const control of [el.text, el.noteToggle, el.sendButton, el.transferButton, el.closeButton]) {
    control.disabled = !usable;
  }
  el.cannedButton.disabled = !usable || state.canned.length === 0;
  el.composerLabel.textContent = el.noteToggle.checked ? "Write an internal note" : "Reply to the visitor";
  renderTranscript();
  renderTyping();
  renderVisitor(chat);
}

function renderTyping() {
  const chat = activeChat();
  el.typing.textContent = chat && chat.typing && !chat.gone ? `${visitorLabel(chat)} is typing…` : "";
}

function renderConnection(stateName, text) {
  el.connection.dataset.state = stateName;
  el.connection.textContent = text;
}

function renderAgent() {
  const agent = state.agent;
  const online = Boolean(agent) && agent.status === "online";
  el.statusSwitch.setAttribute("aria-checked", String(online));
  el.statusLabel.textContent = online ? "Online" : "Away";
  el.statusSwitch.disabled = !state.connected || state.statusBusy;
  if (agent && agent.name) el.agentName.textContent = agent.name;
}

function renderQueue() {
  el.queueCount.textContent = state.queueWaiting === null ? "–" : String(state.queueWaiting);
}

function openChat(id) {
  const previous = activeChat();
  if (previous && previous.id !== id) stopTyping(previous);
  state.activeId = id;
  // Chats that already left this agent stay listed only while they are the open one.
  for (const chat of Array.from(state.chats.values())) {
    if (chat.gone && chat.id !== id) state.chats.delete(chat.id);
  }
  const chat = activeChat();
  if (chat && !document.hidden) chat.unread = 0;
  el.composerError.textContent = "";
  hideSuggestions();
  renderChatList();
  renderConversation();
}

// ------------------------------------------------------------------------ alerts

let audio = null;

function unlockAudio() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!audio && Context) audio = new Context();
  if (audio && audio.state === "suspended") audio.resume().catch(() => {});
}

// Two short sine tones (~0.3 s): no audio file to ship, quiet enough for an office.
function beep() {
  if (!el.soundToggle.checked || !audio || audio.state !== "running") return;
  const start = audio.currentTime;
  [880, 1320].forEach((frequency, i) => {
    const t = start + i * 0.14;
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = "sine";
    osc.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.18, t + 0.015);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.13);
    osc.connect(gain).connect(audio.destination);
    osc.start(t);
    osc.stop(t + 0.14);
  });
}

function renderNotifyButton() {
  el.notifyButton.hidden = !("Notification" in window) || Notification.permission !== "default";
}

// A sound and a desktop notification when the agent might not see the change: the page
// is hidden or another chat is open.
function alertAgent(chat, title, body) {
  if (!document.hidden && chat.id === state.activeId) return;
  beep();
  if ("Notification" in window && Notification.permission === "granted") {
    try {
      const notification = new Notification(title, { body, tag: chat.id });
      notification.addEventListener("click", () => {
        window.focus();
        if (state.chats.has(chat.id)) openChat(chat.id);
        notification.close();
      });
    } catch {
      // Some browsers only allow notifications from a service worker: the sound stays.
    }
  }
}

// ------------------------------------------------------------------------ typing

function setVisitorTyping(chat, typing) {
  clearTimeout(chat.typingTimer);
  chat.typing = typing;
  if (typing) chat.typingTimer = setTimeout(() => setVisitorTyping(chat, false), TYPING_SHOWN_MS);
  if (chat.id === state.activeId) renderTyping();
}

const outgoingTyping = { chatId: null, sentAt: 0, idleTimer: null };

function noteTyping() {
  const chat = activeChat();
  if (!chat || chat.gone || el.noteToggle.checked) return;
  if (!el.text.value.trim()) {
    stopTyping(chat);
    return;
  }
  const now = Date.now();
  if (outgoingTyping.chatId !== chat.id || now - outgoingTyping.sentAt > TYPING_REPEAT_MS) {
    if (outgoingTyping.chatId && outgoingTyping.chatId !== chat.id) {
      sendOnce("typing", { conversation_id: outgoingTyping.chatId, typing: false });
    }
    sendOnce("typing", { conversation_id: chat.id, typing: true });
    outgoingTyping.chatId = chat.id;
    outgoingTyping.sentAt = now;
  }
  clearTimeout(outgoingTyping.idleTimer);
  outgoingTyping.idleTimer = setTimeout(() => stopTyping(chat), TYPING_IDLE_MS);
}

function stopTyping(chat) {
  clearTimeout(outgoingTyping.idleTimer);
  if (chat && outgoingTyping.chatId === chat.id) {
    sendOnce("typing", { conversation_id: chat.id, typing: false });
    outgoingTyping.chatId = null;
    outgoingTyping.sentAt = 0;
  }
}

// ------------------------------------------------------------------------ sending

let pendingOrder = 0;

function addPending(chat, pending) {
  pending.order = ++pendingOrder;
  pending.created_at = new Date().toISOString();
  pending.status = "sending";
  chat.pending.set(pending.key, pending);
  if (chat.id === state.activeId) insertTranscriptItem(chat, { kind: "pending", data: pending });
  return pending;
}

function failPending(chat, pending, err) {
  if (!chat.pending.has(pending.key)) return;
  pending.status = "failed";
  pending.error = err instanceof Error ? err.message : String(err);
  if (chat.id === state.activeId) insertTranscriptItem(chat, { kind: "pending", data: pending });
}

// Sends of one chat go out one after another, so the visitor sees them in typing order.
function enqueue(chat, task) {
  chat.sendChain = chat.sendChain.then(task, task);
  return chat.sendChain;
}

function sendMessage(chat, text, clientId = nextClientId()) {
  const pending = addPending(chat, { key: clientId, client_id: clientId, kind: "message", text });
  enqueue(chat, async () => {
    try {
      const ack = await sendReliably("message", { conversation_id: chat.id, text, client_id: clientId });
      addMessage(chat, ack.message);
    } catch (err) {
      failPending(chat, pending, err);
    }
  });
}

function sendNote(chat, text, clientId = nextClientId()) {
  const pending = addPending(chat, { key: `note-${clientId}`, client_id: clientId, kind: "note", text });
  enqueue(chat, async () => {
    try {
      // The same client_id on every retry: a note whose ack was lost is stored once.
      const ack = await sendReliably("note", { conversation_id: chat.id, text, client_id: clientId });
      chat.pending.delete(pending.key);
      removeTranscriptItem(chat, `p:${pending.key}`);
      addNote(chat, ack.note);
    } catch (err) {
      failPending(chat, pending, err);
    }
  });
}

function submitComposer() {
  const chat = activeChat();
  const text = el.text.value.trim();
  if (!chat || chat.gone || !text) return;
  el.composerError.textContent = "";
  if (el.noteToggle.checked) {
    sendNote(chat, text);
  } else {
    stopTyping(chat);
    sendMessage(chat, text);
  }
  el.text.value = "";
  hideSuggestions();
  el.text.focus();
}

// ------------------------------------------------------------------------ canned

const suggest = { items: [], index: 0, start: 0, end: 0 };

// canned/*.yaml texts may say {agent}: the signed-in agent's name goes there.
function cannedText(item) {
  const name = (state.agent && state.agent.name) || el.body.dataset.agentName || "";
  return String(item.text || "").replaceAll("{agent}", name);
}

function cannedMatches(query) {
  const q = query.toLowerCase();
  const locale = activeChat()?.visitor?.locale;
  return state.canned
    .filter((c) => String(c.shortcut || "").toLowerCase().startsWith(q))
    .sort((a, b) => Number(b.locale === locale) - Number(a.locale === locale) || a.shortcut.localeCompare(b.shortcut));
}

// "/short" right before the caret, at the start of the text or after white space.
function shortcutAtCaret() {
  const caret = el.text.selectionStart;
  if (caret !== el.text.selectionEnd) return null;
  const match = /(^|\s)\/([^\s/]*)$/.exec(el.text.value.slice(0, caret));
  if (!match) return null;
  return { query: match[2], start: caret - match[2].length - 1, end: caret };
}

function updateSuggestions() {
  const found = state.canned.length ? shortcutAtCaret() : null;
  const items = found ? cannedMatches(found.query) : [];
  if (!items.length) {
    hideSuggestions();
    return;
  }
  Object.assign(suggest, { items, index: 0, start: found.start, end: found.end });
  renderSuggestions();
}

function renderSuggestions() {
  const options = suggest.items.map((item, i) => {
    const li = h("li", "canned-option");
    li.id = `canned-opt-${i}`;
    li.setAttribute("role", "option");
    li.setAttribute("aria-selected", String(i === suggest.index));
    li.append(h("span", "canned-shortcut", `/${item.shortcut}`), h("span", "canned-title", item.title || ""));
    li.append(h("span", "canned-text", cannedText(item)));
    li.addEventListener("mousedown", (event) => {
      event.preventDefault(); // keep the focus (and the caret) in the textarea
      suggest.index = i;
      acceptSuggestion();
    });
    return li;
  });
  el.cannedSuggest.replaceChildren(...options);
  el.cannedSuggest.hidden = false;
  el.text.setAttribute("aria-expanded", "true");
  el.text.setAttribute("aria-activedescendant", `canned-opt-${suggest.index}`);
}

function hideSuggestions() {
  suggest.items = [];
  el.cannedSuggest.hidden = true;
  el.cannedSuggest.replaceChildren();
  el.text.setAttribute("aria-expanded", "false");
  el.text.removeAttribute("aria-activedescendant");
}

function replaceRange(start, end, text) {
  el.text.setRangeText(text, start, end, "end");
  el.text.focus();
  noteTyping();
}

function acceptSuggestion() {
  const item = suggest.items[suggest.index];
  if (!item) return;
  const { start, end } = suggest;
  hideSuggestions();
  replaceRange(start, end, cannedText(item));
}

function renderCannedList() {
  const q = el.cannedFilter.value.trim().toLowerCase();
  const items = state.canned.filter((c) =>
    [c.shortcut, c.title, c.text].some((field) => String(field || "").toLowerCase().includes(q)),
  );
  el.cannedList.replaceChildren(
    ...items.map((item) => {
      const li = h("li");
      const button = h("button", "canned-pick");
      button.type = "button";
      const head = h("span", "canned-pick-head");
      head.append(h("span", "canned-title", item.title || item.shortcut), h("span", "canned-shortcut", `/${item.shortcut}`));
      if (item.locale) head.append(h("span", "tag", item.locale));
      button.append(head, h("span", "canned-text", cannedText(item)));
      button.addEventListener("click", () => {
        el.cannedDialog.close();
        replaceRange(el.text.selectionStart, el.text.selectionEnd, cannedText(item));
      });
      li.append(button);
      return li;
    }),
  );
  el.cannedEmpty.hidden = items.length > 0;
}

// ------------------------------------------------------------------------ events

function onAgentSession(session) {
  state.agent = session.agent || state.agent;
  state.queueWaiting = session.queue ? session.queue.waiting : state.queueWaiting;
  state.canned = Array.isArray(session.canned) ? session.canned : [];
  const current = new Set();
  for (const view of session.conversations || []) current.add(upsertChat(view).id);
  // Chats that left this agent while the connection was down.
  for (const chat of Array.from(state.chats.values())) {
    if (!current.has(chat.id) && !chat.gone) markGone(chat, "unassigned");
  }
  if (!state.activeId && current.size) state.activeId = current.values().next().value;
  renderAgent();
  renderQueue();
  renderChatList();
  renderConversation();
  // The session already holds each transcript; ask for anything after it anyway, which
  // also covers messages that raced the session on a reconnect.
  for (const id of current) catchUp(state.chats.get(id));
}

function onAssigned(view) {
  const isNew = !state.chats.has(view.conversation.id) || state.chats.get(view.conversation.id).gone;
  const chat = upsertChat(view);
  if (isNew) {
    const last = lastMessage(chat);
    alertAgent(chat, `New chat: ${visitorLabel(chat)}`, last ? last.text : "A visitor is waiting.");
    if (chat.id !== state.activeId) chat.unread = Math.max(chat.unread, 1);
  }
  if (!activeChat()) {
    openChat(chat.id);
  } else {
    renderChatList();
    if (chat.id === state.activeId) renderConversation();
  }
}

function onUnassigned(event) {
  const chat = state.chats.get(event.conversation_id);
  if (chat) markGone(chat, event.reason || "unassigned");
}

function onMessage(message) {
  const chat = state.chats.get(message.conversation_id);
  if (!chat || !addMessage(chat, message)) return;
  if (message.author && message.author.kind === "visitor") {
    if (document.hidden || chat.id !== state.activeId) {
      chat.unread += 1;
      renderChatList();
      alertAgent(chat, visitorLabel(chat), message.text);
    }
  }
}

function onNote(note) {
  const chat = state.chats.get(note.conversation_id);
  if (chat) addNote(chat, note);
}

function onConversation(conversation) {
  const chat = state.chats.get(conversation.id);
  if (!chat) return;
  chat.conversation = { ...chat.conversation, ...conversation };
  if (conversation.state === "closed" && !chat.gone) {
    markGone(chat, "closed");
    return;
  }
  if (chat.id === state.activeId) {
    renderChatList();
    renderConversation();
  }
}

function onTyping(event) {
  const chat = state.chats.get(event.conversation_id);
  if (!chat) return;
  setVisitorTyping(chat, Boolean(event.typing));
  renderChatList();
}

function onConnect() {
  state.connected = true;
  showBanner("");
  renderConnection("connected", "Connected");
  for (const resolve of connectWaiters.splice(0)) resolve();
  renderAgent();
  renderConversation();
}

function onDisconnect(reason) {
  state.connected = false;
  renderConnection("reconnecting", "Reconnecting…");
  renderAgent();
  renderConversation();
  // The server closed this socket itself (e.g. the agent was disabled): socket.io does
  // not reconnect on its own then; trying again either works or ends in unauthorized.
  if (reason === "io server disconnect") setTimeout(() => state.socket.connect(), 1_000);
}

function onConnectError(err) {
  const code = err && err.data && err.data.code;
  if (code === "unauthorized") {
    renderConnection("offline", "Signed out");
    window.location.assign("/console/login");
    return;
  }
  renderConnection("reconnecting", "Cannot connect; retrying…");
  // A refusal by the server (not a network error) is not retried by socket.io itself.
  if (!state.socket.active) setTimeout(() => state.socket.connect(), 3_000);
}

function bindSocket(socket) {
  socket.on("connect", onConnect);
  socket.on("disconnect", onDisconnect);
  socket.on("connect_error", onConnectError);
  socket.on("agent_session", onAgentSession);
  socket.on("assigned", onAssigned);
  socket.on("unassigned", onUnassigned);
  socket.on("message", onMessage);
  socket.on("note", onNote);
  socket.on("conversation", onConversation);
  socket.on("typing", onTyping);
  socket.on("queue", (queue) => {
    state.queueWaiting = queue.waiting;
    renderQueue();
  });
  socket.on("agent", (agent) => {
    state.agent = { ...state.agent, ...agent };
    renderAgent();
  });
}

// ------------------------------------------------------------------------ UI wiring

function bindUi() {
  el.chatList.addEventListener("click", (event) => {
    const button = event.target.closest(".chat-item");
    if (button) openChat(button.dataset.id);
  });

  // Alt+ArrowUp / Alt+ArrowDown: previous / next chat, from anywhere on the page.
  document.addEventListener("keydown", (event) => {
    if (!event.altKey || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
    const ids = Array.from(state.chats.keys());
    if (!ids.length) return;
    event.preventDefault();
    const at = ids.indexOf(state.activeId);
    const step = event.key === "ArrowUp" ? -1 : 1;
    openChat(ids[(at + step + ids.length) % ids.length]);
    el.chatList.querySelector('[aria-current="true"]')?.focus();
  });

  el.composer.addEventListener("submit", (event) => {
    event.preventDefault();
    submitComposer();
  });

  el.text.addEventListener("keydown", (event) => {
    if (!el.cannedSuggest.hidden && suggest.items.length) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const n = suggest.items.length;
        suggest.index = (suggest.index + (event.key === "ArrowDown" ? 1 : -1) + n) % n;
        renderSuggestions();
        return;
      }
      if (event.key === "Tab" || (event.key === "Enter" && !event.shiftKey)) {
        event.preventDefault();
        acceptSuggestion();
        return;
      }
      if (event.key === "Escape") {
        event.preventDefault();
        hideSuggestions();
        return;
      }
    }
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submitComposer();
    }
  });
  el.text.addEventListener("input", () => {
    updateSuggestions();
    noteTyping();
  });
  el.text.addEventListener("click", updateSuggestions);
  el.text.addEventListener("blur", () => {
    hideSuggestions();
    const chat = activeChat();
    if (chat) stopTyping(chat);
  });

  el.noteToggle.addEventListener("change", () => {
    el.composer.classList.toggle("composer-note", el.noteToggle.checked);
    el.composerLabel.textContent = el.noteToggle.checked ? "Write an internal note" : "Reply to the visitor";
    el.sendButton.textContent = el.noteToggle.checked ? "Add note" : "Send";
    const chat = activeChat();
    if (el.noteToggle.checked && chat) stopTyping(chat);
  });

  el.statusSwitch.addEventListener("click", async () => {
    const wanted = el.statusSwitch.getAttribute("aria-checked") === "true" ? "away" : "online";
    state.statusBusy = true;
    renderAgent();
    try {
      const ack = await sendReliably("status", { status: wanted });
      state.agent = { ...state.agent, ...ack.agent };
    } catch (err) {
      showBanner(`Could not change your status: ${err.message}`);
    } finally {
      state.statusBusy = false;
      renderAgent();
    }
  });

  el.notifyButton.addEventListener("click", async () => {
    try {
      await Notification.requestPermission();
    } finally {
      renderNotifyButton();
    }
  });
  // Browsers start audio only after a user gesture: the first click or key press does it.
  for (const type of ["pointerdown", "keydown"]) {
    document.addEventListener(type, unlockAudio, { passive: true });
  }

  document.addEventListener("visibilitychange", () => {
    const chat = activeChat();
    if (!document.hidden && chat && chat.unread) {
      chat.unread = 0;
      renderChatList();
    }
  });

  // Transfer
  el.transferButton.addEventListener("click", () => {
    el.transferError.textContent = "";
    el.transferTo.value = "";
    el.transferDialog.showModal();
    el.transferTo.focus();
  });
  el.transferForm.addEventListener("change", () => {
    const target = el.transferForm.elements.target.value;
    el.transferToLabel.textContent = target === "department" ? "Department" : "Agent's username";
  });
  el.transferCancel.addEventListener("click", () => el.transferDialog.close());
  el.transferForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chat = activeChat();
    const to = el.transferTo.value.trim();
    if (!chat || !to) return;
    const target = el.transferForm.elements.target.value;
    const payload = { conversation_id: chat.id, [target === "department" ? "to_department" : "to_agent"]: to };
    el.transferError.textContent = "";
    try {
      await sendReliably("transfer", payload);
      el.transferDialog.close();
      if (!chat.gone) markGone(chat, "transferred");
    } catch (err) {
      el.transferError.textContent = `Not transferred: ${err.message}`;
    }
  });

  // Close
  el.closeButton.addEventListener("click", () => {
    el.closeError.textContent = "";
    el.closeDialog.showModal();
  });
  el.closeCancel.addEventListener("click", () => el.closeDialog.close());
  el.closeForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chat = activeChat();
    if (!chat) return;
    try {
      const ack = await sendReliably("close", { conversation_id: chat.id });
      chat.conversation = { ...chat.conversation, ...ack.conversation };
      el.closeDialog.close();
      if (!chat.gone) markGone(chat, "closed");
    } catch (err) {
      el.closeError.textContent = `Not closed: ${err.message}`;
    }
  });

  // Canned picker
  el.cannedButton.addEventListener("click", () => {
    el.cannedFilter.value = "";
    renderCannedList();
    el.cannedDialog.showModal();
    el.cannedFilter.focus();
  });
  el.cannedFilter.addEventListener("input", renderCannedList);
}

// ------------------------------------------------------------------------ start

async function start() {
  bindUi();
  renderNotifyButton();
  renderChatList();
  renderConversation();
  const url = el.body.dataset.socketioUrl;
  if (!url) {
    renderConnection("offline", "Offline");
    showBanner("The Socket.IO client is missing on the server: run scripts/setup (npm run build:console in widget/).");
    return;
  }
  let io;
  try {
    ({ io } = await import(url));
  } catch {
    renderConnection("offline", "Offline");
    showBanner("Could not load the Socket.IO client. Reload the page to try again.");
    return;
  }
  // Same origin: the HttpOnly chatserver_agent cookie goes with the handshake. Websocket
  // first; long-polling only where a proxy refuses websockets.
  state.socket = io("/agent", {
    transports: ["websocket"],
    withCredentials: true,
  });
  bindSocket(state.socket);
}

start();
