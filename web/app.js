// The chat page: keeps the conversation in the browser (the server is stateless and gets the whole
// conversation each turn), streams replies from POST api/chat, and lets the user pin a skill,
// set a persona, stop a reply and start over.
"use strict";

(function () {
  const { readSseStream } = window.AdapterBotSse;
  const Render = window.AdapterBotRender;

  const STORAGE = {
    conversation: "adapterbot.conversation.v1",
    settings: "adapterbot.settings.v1",
    apiKey: "adapterbot.apiKey",
  };

  const $ = (id) => document.getElementById(id);
  const els = {
    conversation: $("conversation"),
    emptyState: $("empty-state"),
    composer: $("composer"),
    input: $("message-input"),
    send: $("send"),
    stop: $("stop"),
    newConversation: $("new-conversation"),
    skill: $("skill-select"),
    skillHelp: $("skill-help"),
    settingsToggle: $("settings-toggle"),
    settings: $("settings"),
    persona: $("persona"),
    temperature: $("temperature"),
    maxTokens: $("max-tokens"),
    apiKey: $("api-key"),
  };

  /** turns: {role:"user", content} | {role:"assistant", content, status, route?, error?, usage?, timings?, finishReason?} */
  let turns = [];
  /** The skills from the server: [{id, title, description}]. */
  let skills = [];
  const skillTitles = new Map();
  /** The reply being streamed: {controller, turn, view} or null. */
  let active = null;

  // ---------- storage (a browser that refuses storage still works, it just forgets) ----------

  function load(key, fallback) {
    try {
      const raw = localStorage.getItem(key);
      return raw === null ? fallback : JSON.parse(raw);
    } catch {
      return fallback;
    }
  }

  function save(key, value) {
    try {
      if (value === null) localStorage.removeItem(key);
      else localStorage.setItem(key, JSON.stringify(value));
    } catch {
      /* storage full or disabled */
    }
  }

  function saveConversation() {
    save(STORAGE.conversation, turns.length ? turns : null);
  }

  function saveSettings() {
    save(STORAGE.settings, {
      skill: els.skill.value,
      persona: els.persona.value,
      temperature: els.temperature.value,
      maxTokens: els.maxTokens.value,
    });
  }

  function restore() {
    const settings = load(STORAGE.settings, {});
    els.persona.value = typeof settings.persona === "string" ? settings.persona : "";
    els.temperature.value = typeof settings.temperature === "string" ? settings.temperature : "";
    els.maxTokens.value = typeof settings.maxTokens === "string" ? settings.maxTokens : "";
    els.skill.dataset.wanted = typeof settings.skill === "string" ? settings.skill : "auto";
    els.apiKey.value = load(STORAGE.apiKey, "") || "";

    const saved = load(STORAGE.conversation, []);
    turns = Array.isArray(saved) ? saved.filter(isValidTurn) : [];
    for (const t of turns) {
      // A reply that was streaming when the page closed did not finish.
      if (t.role === "assistant" && (t.status === "waiting" || t.status === "streaming")) t.status = "stopped";
    }
    renderAll();
  }

  function isValidTurn(t) {
    return t && (t.role === "user" || t.role === "assistant") && typeof t.content === "string";
  }

  // ---------- rendering ----------

  const views = new WeakMap();

  function renderAll() {
    els.conversation.querySelectorAll(".msg").forEach((n) => n.remove());
    turns.forEach((t) => appendTurnElement(t));
    updateEmptyState();
    updateRetryButtons();
    scrollToBottom(true);
  }

  function appendTurnElement(turn) {
    if (turn.role === "user") {
      els.conversation.appendChild(Render.userMessage(turn));
      return null;
    }
    const view = Render.botMessage(turn, skillTitles);
    view.retry.addEventListener("click", () => retry(turn));
    views.set(turn, view);
    els.conversation.appendChild(view.el);
    return view;
  }

  function updateEmptyState() {
    els.emptyState.hidden = turns.length > 0;
  }

  /** Only the last turn, when it failed, offers a retry. */
  function updateRetryButtons() {
    turns.forEach((t, i) => {
      const view = views.get(t);
      if (view) view.retry.hidden = !(t.status === "error" && i === turns.length - 1 && !active);
    });
  }

  function isNearBottom() {
    const c = els.conversation;
    return c.scrollHeight - c.scrollTop - c.clientHeight < 80;
  }

  function scrollToBottom(force) {
    if (force || isNearBottom()) els.conversation.scrollTop = els.conversation.scrollHeight;
  }

  function setStreaming(on) {
    // Stop takes Send's place while a reply streams.
    const hadFocus = document.activeElement === (on ? els.send : els.stop);
    els.send.hidden = on;
    els.stop.hidden = !on;
    if (hadFocus) (on ? els.stop : els.send).focus();
    els.composer.dataset.streaming = on ? "true" : "false";
  }

  // ---------- skills ----------

  function authHeaders() {
    const key = els.apiKey.value.trim();
    return key ? { Authorization: `Bearer ${key}` } : {};
  }

  function parseSkillList(body) {
    const list = Array.isArray(body) ? body : body && (body.skills || body.data);
    if (!Array.isArray(list)) return [];
    return list
      .filter((s) => s && typeof s.id === "string")
      .map((s) => ({ id: s.id, title: s.title || s.id, description: s.description || "" }));
  }

  async function loadSkills() {
    let response;
    try {
      response = await fetch("api/skills", { headers: authHeaders() });
    } catch (err) {
      els.skillHelp.textContent = `Could not load the skills: ${err.message}`;
      return;
    }
    if (!response.ok) {
      const message = await errorMessage(response);
      els.skillHelp.textContent =
        response.status === 401 ? `${message} Enter an API key in Settings.` : `Could not load the skills: ${message}`;
      return;
    }
    skills = parseSkillList(await response.json().catch(() => null));
    skillTitles.clear();
    skills.forEach((s) => skillTitles.set(s.id, s.title));
    const wanted = els.skill.value !== "auto" ? els.skill.value : els.skill.dataset.wanted || "auto";
    els.skill.querySelectorAll("option:not([value=auto])").forEach((o) => o.remove());
    for (const s of skills) {
      const option = document.createElement("option");
      option.value = s.id;
      option.textContent = s.title === s.id ? s.id : `${s.title} (${s.id})`;
      option.title = s.description;
      els.skill.appendChild(option);
    }
    els.skill.value = skills.some((s) => s.id === wanted) ? wanted : "auto";
    els.skill.dataset.loaded = "true";
    updateSkillHelp();
  }

  function updateSkillHelp() {
    const s = skills.find((x) => x.id === els.skill.value);
    els.skillHelp.textContent = s
      ? `Pinned: ${s.description || s.title}`
      : "The dialogue manager picks a skill for each message.";
  }

  // ---------- requests ----------

  /** A readable message from an error response: {"error":{"message"}}, {"error":"…"} or text. */
  async function errorMessage(response) {
    const fallback = `${response.status} ${response.statusText}`.trim();
    let text = "";
    try {
      text = await response.text();
    } catch {
      return fallback;
    }
    try {
      const body = JSON.parse(text);
      const e = body && body.error;
      if (e && typeof e.message === "string") return e.message;
      if (typeof e === "string") return e;
      if (body && typeof body.message === "string") return body.message;
    } catch {
      /* not JSON */
    }
    return text.trim().slice(0, 300) || fallback;
  }

  function numberField(input) {
    const raw = input.value.trim();
    if (raw === "") return undefined;
    const n = Number(raw);
    return Number.isFinite(n) ? n : undefined;
  }

  /** The conversation up to (not including) the given bot turn; failed empty replies are left out. */
  function requestMessages(upTo) {
    const out = [];
    for (const t of turns) {
      if (t === upTo) break;
      if (t.role === "assistant" && !t.content) continue;
      out.push({ role: t.role, content: t.content });
    }
    return out;
  }

  function requestBody(botTurn) {
    const body = { messages: requestMessages(botTurn), skill: els.skill.value || "auto" };
    const persona = els.persona.value
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean);
    if (persona.length) body.persona = persona;
    const temperature = numberField(els.temperature);
    if (temperature !== undefined) body.temperature = temperature;
    const maxTokens = numberField(els.maxTokens);
    if (maxTokens !== undefined) body.max_tokens = Math.round(maxTokens);
    return body;
  }

  function parseData(event) {
    try {
      return JSON.parse(event.data);
    } catch {
      return null;
    }
  }

  async function streamReply(botTurn) {
    const view = views.get(botTurn);
    const controller = new AbortController();
    active = { controller, turn: botTurn, view };
    setStreaming(true);
    updateRetryButtons();
    let ended = false;

    const finish = (status, extra) => {
      Object.assign(botTurn, extra, { status });
      Render.setState(view, botTurn);
      ended = true;
    };

    try {
      const response = await fetch("api/chat", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "text/event-stream", ...authHeaders() },
        body: JSON.stringify(requestBody(botTurn)),
        signal: controller.signal,
      });
      if (!response.ok) {
        const message = await errorMessage(response);
        const hint = response.status === 401 ? " Enter an API key in Settings." : "";
        finish("error", { error: `${message}${hint}` });
        return;
      }
      if (!(response.headers.get("content-type") || "").includes("text/event-stream")) {
        finish("error", { error: "The server did not answer with an event stream." });
        return;
      }
      await readSseStream(response, (event) => {
        if (ended) return;
        const data = parseData(event);
        if (event.event === "route" && data) {
          botTurn.route = data;
          Render.setRoute(view, data, skillTitles);
        } else if (event.event === "token" && data && typeof data.text === "string") {
          if (botTurn.status !== "streaming") {
            botTurn.status = "streaming";
            Render.setState(view, botTurn);
          }
          botTurn.content += data.text;
          Render.appendToken(view, data.text);
        } else if (event.event === "done") {
          finish("done", {
            finishReason: data && data.finish_reason,
            usage: data && data.usage,
            timings: data && data.timings,
          });
        } else if (event.event === "error") {
          const e = data && (data.error && typeof data.error === "object" ? data.error : data);
          finish("error", { error: (e && e.message) || event.data || "The server reported an error." });
        }
        scrollToBottom(false);
      });
      if (!ended) finish("error", { error: "The connection closed before the reply finished." });
    } catch (err) {
      if (err && err.name === "AbortError") finish("stopped", {});
      else finish("error", { error: `Could not reach the server: ${(err && err.message) || err}` });
    } finally {
      // "New conversation" may already have moved on to a new stream.
      if (active && active.turn === botTurn) {
        active = null;
        setStreaming(false);
      }
      saveConversation();
      updateRetryButtons();
      scrollToBottom(false);
    }
  }

  // ---------- actions ----------

  function send() {
    const text = els.input.value.trim();
    if (!text || active) return;
    els.input.value = "";
    autoGrow();
    const userTurn = { role: "user", content: text };
    turns.push(userTurn);
    appendTurnElement(userTurn);
    startReply();
  }

  function startReply() {
    const botTurn = { role: "assistant", content: "", status: "waiting" };
    turns.push(botTurn);
    appendTurnElement(botTurn);
    updateEmptyState();
    scrollToBottom(true);
    saveConversation();
    streamReply(botTurn);
  }

  function retry(failedTurn) {
    if (active || turns[turns.length - 1] !== failedTurn) return;
    const view = views.get(failedTurn);
    turns.pop();
    if (view) view.el.remove();
    startReply();
    els.input.focus();
  }

  function stop() {
    if (active) active.controller.abort();
    els.input.focus();
  }

  function newConversation() {
    if (active) {
      active.controller.abort();
      active = null;
      setStreaming(false);
    }
    turns = [];
    saveConversation();
    renderAll();
    els.input.value = "";
    autoGrow();
    els.input.focus();
  }

  function autoGrow() {
    const input = els.input;
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 200)}px`;
  }

  // ---------- wiring ----------

  els.composer.addEventListener("submit", (e) => {
    e.preventDefault();
    send();
  });
  els.input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && !e.altKey && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      send();
    }
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && active) {
      e.preventDefault();
      stop();
    }
  });
  els.input.addEventListener("input", autoGrow);
  els.stop.addEventListener("click", stop);
  els.newConversation.addEventListener("click", newConversation);
  els.skill.addEventListener("change", () => {
    updateSkillHelp();
    saveSettings();
  });
  els.settingsToggle.addEventListener("click", () => {
    const open = els.settings.hidden;
    els.settings.hidden = !open;
    els.settingsToggle.setAttribute("aria-expanded", String(open));
    if (open) els.persona.focus();
  });
  for (const input of [els.persona, els.temperature, els.maxTokens]) input.addEventListener("change", saveSettings);
  els.apiKey.addEventListener("change", () => {
    save(STORAGE.apiKey, els.apiKey.value.trim() || null);
    loadSkills();
  });

  restore();
  setStreaming(false);
  loadSkills();
  els.input.focus();
})();
