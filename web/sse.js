// A server-sent-events parser for fetch() bodies. EventSource cannot POST, so the page reads the
// stream itself. Follows the HTML standard's event-stream rules: lines end in \n, \r\n or \r (a
// chunk may end between \r and \n), "data" lines join with \n, lines starting with ":" are
// comments (keep-alives), a blank line dispatches the event, and a field without a colon counts
// with an empty value. Events can be split across chunks anywhere, even inside a UTF-8 character.
"use strict";

(function (global) {
  function createSseParser(onEvent) {
    const decoder = new TextDecoder("utf-8");
    let buffer = "";
    let lastWasCR = false;
    let eventType = "";
    let dataLines = [];
    let lastId = "";

    function dispatch() {
      if (dataLines.length === 0) {
        eventType = "";
        return;
      }
      const event = { event: eventType || "message", data: dataLines.join("\n"), id: lastId };
      eventType = "";
      dataLines = [];
      onEvent(event);
    }

    function processLine(line) {
      if (line === "") {
        dispatch();
        return;
      }
      if (line.charCodeAt(0) === 58 /* ":" */) return;
      const colon = line.indexOf(":");
      let field = line;
      let value = "";
      if (colon !== -1) {
        field = line.slice(0, colon);
        value = line.slice(colon + 1);
        if (value.charCodeAt(0) === 32 /* " " */) value = value.slice(1);
      }
      if (field === "event") eventType = value;
      else if (field === "data") dataLines.push(value);
      else if (field === "id" && value.indexOf("\0") === -1) lastId = value;
      // "retry" and unknown fields do not matter to a fetch reader.
    }

    function pushText(text) {
      buffer += text;
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const c = buffer.charCodeAt(i);
        if (c === 10 /* \n */) {
          // The \n of a \r\n pair whose \r ended the previous line.
          if (lastWasCR && i === start) {
            lastWasCR = false;
            start = i + 1;
            continue;
          }
          processLine(buffer.slice(start, i));
          lastWasCR = false;
          start = i + 1;
        } else if (c === 13 /* \r */) {
          processLine(buffer.slice(start, i));
          lastWasCR = true;
          start = i + 1;
        } else {
          lastWasCR = false;
        }
      }
      buffer = buffer.slice(start);
    }

    return {
      /** Feeds bytes (Uint8Array) or text. */
      push(chunk) {
        pushText(typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true }));
      },
      /** Ends the stream; an event not closed by a blank line is dropped, as the standard says. */
      end() {
        pushText(decoder.decode());
        buffer = "";
        eventType = "";
        dataLines = [];
      },
    };
  }

  /** Reads a fetch Response body to the end, calling onEvent for each event. */
  async function readSseStream(response, onEvent) {
    const reader = response.body.getReader();
    const parser = createSseParser(onEvent);
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.push(value);
      }
      parser.end();
    } finally {
      reader.releaseLock();
    }
  }

  global.AdapterBotSse = { createSseParser, readSseStream };
})(window);
