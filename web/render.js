// Builds and updates the DOM of one conversation turn. All text goes in through textContent, never
// innerHTML: replies, knowledge passages and error messages are untrusted.
"use strict";

(function (global) {
  const SOURCE_LABEL = {
    auto: "auto",
    manual: "manual",
    fallback: "fallback",
  };
  const SOURCE_EXPLANATION = {
    auto: "The dialogue manager chose this skill.",
    manual: "You pinned this skill with the skill picker.",
    fallback: "The manager was not sure enough, so the default skill answered.",
  };

  function percent(p) {
    const n = Number(p);
    if (!Number.isFinite(n)) return "–";
    const v = Math.max(0, Math.min(1, n)) * 100;
    return v >= 10 || v === 0 ? `${Math.round(v)}%` : `${v.toFixed(1)}%`;
  }

  function cloneTemplate(id) {
    return document.getElementById(id).content.firstElementChild.cloneNode(true);
  }

  function userMessage(turn) {
    const el = cloneTemplate("user-message-template");
    el.querySelector("[data-testid=message-text]").textContent = turn.content;
    return el;
  }

  /** A bot turn's element plus the handles the stream updates. */
  function botMessage(turn, skillTitles) {
    const el = cloneTemplate("bot-message-template");
    const view = {
      el,
      badge: el.querySelector("[data-testid=skill-badge]"),
      status: el.querySelector("[data-testid=turn-status]"),
      bubble: el.querySelector(".bubble"),
      text: el.querySelector("[data-testid=bot-text]"),
      error: el.querySelector("[data-testid=error]"),
      retry: el.querySelector("[data-testid=retry]"),
      note: el.querySelector("[data-testid=route-note]"),
      probs: el.querySelector("[data-testid=probabilities]"),
      knowledge: el.querySelector("[data-testid=knowledge]"),
      textNode: document.createTextNode(""),
      tokenEvents: 0,
    };
    view.text.appendChild(view.textNode);
    view.textNode.data = turn.content || "";
    if (turn.route) setRoute(view, turn.route, skillTitles);
    setState(view, turn);
    return view;
  }

  function setRoute(view, route, skillTitles) {
    const skill = String(route.skill ?? "");
    const source = String(route.source ?? "");
    const probs = route.probabilities && typeof route.probabilities === "object" ? route.probabilities : {};
    let label = `${skill} · ${SOURCE_LABEL[source] || source}`;
    if (source === "auto" && probs[skill] !== undefined) label += ` ${percent(probs[skill])}`;
    view.badge.textContent = label;
    view.badge.dataset.skill = skill;
    view.badge.dataset.source = source;
    view.badge.className = `skill-badge source-${source.replace(/[^a-z]/g, "")}`;
    const title = skillTitles.get(skill);
    view.badge.title = `${title ? `${title}. ` : ""}${SOURCE_EXPLANATION[source] || ""}`;
    view.badge.hidden = false;
    view.el.dataset.skill = skill;
    view.el.dataset.source = source;

    // The server keeps the newest turns that fit the model's context and says how many it left out.
    const dropped = Number(route.dropped_messages) || 0;
    view.note.textContent = dropped > 0 ? `${dropped} older message${dropped === 1 ? "" : "s"} left out to fit the context` : "";
    view.note.hidden = dropped <= 0;

    renderProbabilities(view.probs, probs, skill, skillTitles);
    renderKnowledge(view.knowledge, Array.isArray(route.knowledge) ? route.knowledge : []);
  }

  function renderProbabilities(details, probs, chosen, skillTitles) {
    const entries = Object.entries(probs)
      .map(([id, p]) => [id, Number(p)])
      .filter(([, p]) => Number.isFinite(p))
      .sort((a, b) => b[1] - a[1]);
    const list = details.querySelector(".prob-list");
    list.replaceChildren();
    for (const [id, p] of entries) {
      const li = document.createElement("li");
      li.className = id === chosen ? "prob chosen" : "prob";
      li.dataset.skill = id;
      const name = document.createElement("span");
      name.className = "prob-name";
      name.textContent = id;
      if (skillTitles.get(id)) name.title = skillTitles.get(id);
      const track = document.createElement("span");
      track.className = "prob-track";
      track.setAttribute("aria-hidden", "true");
      const bar = document.createElement("span");
      bar.className = "prob-bar";
      bar.style.width = `${Math.max(0, Math.min(1, p)) * 100}%`;
      track.appendChild(bar);
      const value = document.createElement("span");
      value.className = "prob-value";
      value.textContent = percent(p);
      li.append(name, track, value);
      list.appendChild(li);
    }
    details.querySelector("summary").textContent = "Why this skill";
    details.hidden = entries.length === 0;
  }

  function renderKnowledge(details, passages) {
    const list = details.querySelector(".knowledge-list");
    list.replaceChildren();
    for (const k of passages) {
      const li = document.createElement("li");
      li.className = "passage";
      const head = document.createElement("div");
      head.className = "passage-head";
      const title = document.createElement("strong");
      title.textContent = k.title || k.id || "Passage";
      head.appendChild(title);
      const meta = [k.source, k.kind].filter(Boolean).join(" · ");
      if (meta || k.score !== undefined) {
        const small = document.createElement("span");
        small.className = "passage-meta";
        const score = Number(k.score);
        small.textContent = [meta, Number.isFinite(score) ? `score ${score.toFixed(2)}` : ""]
          .filter(Boolean)
          .join(" · ");
        head.appendChild(small);
      }
      const text = document.createElement("p");
      text.className = "passage-text";
      text.textContent = k.text || "";
      li.append(head, text);
      list.appendChild(li);
    }
    details.querySelector("summary").textContent = `Knowledge used (${passages.length})`;
    details.hidden = passages.length === 0;
  }

  function appendToken(view, text) {
    view.textNode.appendData(text);
    view.tokenEvents += 1;
    view.el.dataset.tokenEvents = String(view.tokenEvents);
  }

  function statsLine(turn) {
    const parts = [];
    const usage = turn.usage || {};
    const timings = turn.timings || {};
    if (Number.isFinite(usage.completion_tokens)) parts.push(`${usage.completion_tokens} tokens`);
    if (Number.isFinite(timings.tokens_per_s)) parts.push(`${timings.tokens_per_s.toFixed(1)} tok/s`);
    if (Number.isFinite(timings.ttft_ms)) parts.push(`first token ${Math.round(timings.ttft_ms)} ms`);
    if (turn.finishReason === "length") parts.push("cut at the token limit");
    return parts.join(" · ");
  }

  /** Shows a turn's state: waiting, streaming, done, stopped or error. */
  function setState(view, turn) {
    const state = turn.status || "done";
    view.el.dataset.state = state;
    view.el.setAttribute("aria-busy", state === "waiting" || state === "streaming" ? "true" : "false");
    const statusText = {
      waiting: "Thinking…",
      streaming: "Writing…",
      done: statsLine(turn),
      stopped: "Stopped",
      error: "",
    }[state];
    view.status.textContent = statusText ?? "";
    view.status.className = `status status-${state}`;
    if (turn.finishReason) view.el.dataset.finishReason = turn.finishReason;
    view.error.hidden = state !== "error";
    view.error.textContent = state === "error" ? turn.error || "Something went wrong." : "";
    view.bubble.hidden = state === "error" && !turn.content;
  }

  global.AdapterBotRender = { userMessage, botMessage, setRoute, appendToken, setState, percent };
})(window);
