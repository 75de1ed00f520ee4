// c1-mock's dashboard: polls the control plane beside this page (/_mock/...) and renders it.
// Whatever the server says goes into the page as text (textContent, createElement), never as
// HTML. With C1MOCK_CONTROL_TOKEN set, the page asks for the token, keeps it in sessionStorage
// (this tab only) and sends it with every call.
"use strict";

(() => {
  const BASE = new URL("./", location.href); // the page is /_mock/ui: calls go to /_mock/...
  const TOKEN_KEY = "c1mock.controlToken";
  const POLL_MS = 2000;
  const JOURNAL_ROWS = 200;
  const $ = (id) => document.getElementById(id);

  let chosenBridge = null; // the id of the bridge whose credentials are shown
  let needsToken = false; // polling waits while the page asks for the token
  let generation = 0; // a refresh renders only if no newer one started meanwhile
  let messageFromPoll = false;
  const rendered = new Map(); // what each part last showed, to leave unchanged parts alone

  // --- talking to the server --------------------------------------------------------------

  class ServerError extends Error {
    constructor(status, message) {
      super(`${status}: ${message}`);
      this.status = status;
    }
  }

  // One call; the parsed JSON answer, or a ServerError with the message of C1's error body
  // ({"code", "message", "details"}). `raw` sends text with its own content type.
  async function call(method, path, { json, raw, type } = {}) {
    const headers = {};
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.Authorization = `Bearer ${token}`;
    let body;
    if (raw !== undefined) [body, headers["Content-Type"]] = [raw, type];
    if (json !== undefined) [body, headers["Content-Type"]] = [JSON.stringify(json), "application/json"];
    let response;
    try {
      response = await fetch(new URL(path, BASE), { method, headers, body, cache: "no-store" });
    } catch {
      throw new ServerError("no answer", "the server cannot be reached");
    }
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
    if (!response.ok) {
      const message = data && typeof data.message === "string" ? data.message : text || response.statusText;
      throw new ServerError(response.status, message);
    }
    return data;
  }

  function showMessage(error, fromPoll) {
    if (error instanceof ServerError && error.status === 401) return askForToken(error);
    $("message").textContent = error.message;
    $("message").hidden = false;
    messageFromPoll = fromPoll;
  }

  function clearMessage() {
    $("message").hidden = true;
    $("message").textContent = "";
  }

  // An action: its error is shown until the next action; the page refreshes afterwards.
  async function act(work) {
    clearMessage();
    try {
      await work();
    } catch (error) {
      showMessage(error, false);
    }
    await refresh();
  }

  // --- the control token ------------------------------------------------------------------

  function askForToken(error) {
    needsToken = true;
    const rejected = sessionStorage.getItem(TOKEN_KEY) !== null;
    sessionStorage.removeItem(TOKEN_KEY);
    $("token-error").textContent = rejected ? `${error.message} (the token was not accepted)` : "";
    $("token-error").hidden = !rejected;
    $("token-panel").hidden = false;
    $("main").hidden = true;
    $("forget-token").hidden = true;
    confirmReset(false);
    $("reset").hidden = true;
    $("token").focus();
  }

  function useToken(event) {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value);
    $("token").value = "";
    needsToken = false;
    $("token-panel").hidden = true;
    $("main").hidden = false;
    $("forget-token").hidden = false;
    $("reset").hidden = false;
    rendered.clear();
    refresh();
  }

  function forgetToken() {
    sessionStorage.removeItem(TOKEN_KEY);
    location.reload();
  }

  // --- rendering helpers ------------------------------------------------------------------

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  // A table row; each cell is [label, text or node, class]. The label shows on narrow screens.
  function row(cells) {
    const tr = document.createElement("tr");
    for (const [label, content, className] of cells) {
      const td = document.createElement("td");
      td.dataset.label = label;
      if (className) td.className = className;
      if (content instanceof Node) td.append(content);
      else td.textContent = content === null || content === undefined ? "" : String(content);
      tr.append(td);
    }
    return tr;
  }

  function changed(part, value) {
    const json = JSON.stringify(value);
    if (rendered.get(part) === json) return false;
    rendered.set(part, json);
    return true;
  }

  const time = (t) => (t ? t.replace("T", " ").replace(/\.\d+Z$/, "Z") : "");
  const timeOfDay = (t) => t.replace(/^.*T(\d\d:\d\d:\d\d(\.\d{1,3})?).*$/, "$1");
  const shortStatus = (s) => s.replace(/^TUNNEL_(CREDENTIAL|APPLIANCE)_STATUS_/, "");
  const shortOperation = (op) => op.split(".").pop();
  const mono = (text) => el("span", text, "mono");
  const withTitle = (node, title) => Object.assign(node, { title });

  const TONES = { ACTIVE: "ok", CONNECTED: "ok", CREATED: "ok", REVOKED: "bad", EXPIRED: "warn" };
  function badge(text, tone) {
    return el("span", text, `badge ${tone || TONES[text] || ""}`);
  }

  function statusBadge(status) {
    return badge(String(status), status >= 500 ? "bad" : status >= 400 ? "warn" : "ok");
  }

  function duration(seconds) {
    const sign = seconds < 0 ? "-" : "+";
    let left = Math.round(Math.abs(seconds));
    const parts = [];
    for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]]) {
      if (left >= size || (unit === "s" && parts.length === 0)) parts.push(`${Math.floor(left / size)}${unit}`);
      left %= size;
    }
    return sign + parts.join(" ");
  }

  // --- the parts of the page --------------------------------------------------------------

  function renderClock(clock) {
    const mode = !clock.virtual ? "real time" : clock.frozen ? "virtual, frozen" : "virtual, running";
    $("clock-now").textContent = time(clock.now);
    $("clock-mode").textContent = mode;
    $("clock-mode").className = `badge ${clock.virtual ? "warn" : "ok"}`;
    $("clock-offset").textContent = clock.offsetSeconds
      ? `${duration(clock.offsetSeconds)} from real time` : "";
    $("clock-summary").textContent = `server time ${time(clock.now)} (${mode})`;
  }

  function renderBridges(bridges) {
    if (!changed("bridges", [bridges, chosenBridge])) return;
    const body = $("bridges").tBodies[0];
    body.replaceChildren();
    for (const bridge of bridges) {
      const choose = el("button", bridge.displayName, "link");
      choose.type = "button";
      choose.addEventListener("click", () => chooseBridge(bridge.id));
      const tr = row([
        ["Name", choose],
        ["Id", mono(bridge.id), "nowrap"],
        ["Appliance", badge(shortStatus(bridge.appliance.status))],
        ["Last seen", time(bridge.appliance.lastSeenAt), "nowrap"],
      ]);
      if (bridge.id === chosenBridge) tr.className = "chosen";
      body.append(tr);
    }
    $("bridge-count").textContent = String(bridges.length);
    $("no-bridges").hidden = bridges.length > 0;
  }

  function renderTimeline(timeline) {
    if (!changed("timeline", timeline)) return;
    $("timeline-hint").hidden = timeline !== null;
    $("active-now").hidden = timeline === null;
    $("timeline-title").textContent = timeline ? `of ${timeline.bridge.displayName}` : "";
    $("timeline").replaceChildren();
    if (timeline === null) return;
    const active = timeline.credentials.find((c) => shortStatus(c.credentialStatus) === "ACTIVE");
    $("active-now").replaceChildren(
      ...(active
        ? [el("strong", "Active now: "), mono(active.clientId), el("span", ` expires ${time(active.expiresTime)}`, "muted")]
        : [el("strong", "No active credential.")]),
    );
    const statusNow = new Map(timeline.credentials.map((c) => [c.id, shortStatus(c.credentialStatus)]));
    for (const event of timeline.events) {
      const item = el("li");
      item.append(
        mono(time(event.time)), badge(event.event), el("span", event.clientId, "mono strong wrap"),
        el("span", "now", "muted"), badge(statusNow.get(event.credentialId)),
      );
      $("timeline").append(item);
    }
    if (timeline.events.length === 0) $("timeline").append(el("li", "No credentials yet.", "muted"));
  }

  function renderFaults(faults) {
    if (!changed("faults", faults)) return;
    const body = $("faults").tBodies[0];
    body.replaceChildren(...faults.map((fault) => row([
      ["Operation", shortOperation(fault.operation)],
      ["Status", statusBadge(fault.status)],
      ["Left", fault.remaining],
      ["Delay ms", fault.delayMs],
      ["Retry-After s", fault.retryAfter === null ? "" : fault.retryAfter],
    ])));
    $("faults").hidden = faults.length === 0;
    $("no-faults").hidden = faults.length > 0;
  }

  function renderJournal(entries) {
    if (!changed("journal", entries)) return;
    const newest = entries.slice(-JOURNAL_ROWS).reverse();
    $("journal").tBodies[0].replaceChildren(...newest.map((entry) => row([
      ["Time", withTitle(mono(timeOfDay(entry.time)), time(entry.time)), "nowrap"],
      ["Request", requestLine(entry)],
      ["Operation", shortOperation(entry.operationId)],
      ["Status", statusBadge(entry.status)],
      ["Client", el("span", entry.clientId, "mono wrap")],
      ["ms", entry.latencyMs.toFixed(1), "nowrap"],
    ])));
    $("journal-note").textContent = entries.length > JOURNAL_ROWS
      ? `Showing the newest ${JOURNAL_ROWS} of ${entries.length}.`
      : entries.length === 0 ? "No requests yet." : "";
  }

  function requestLine(entry) {
    const line = el("span");
    line.append(el("span", entry.method, "strong"), " ", el("span", entry.path, "mono wrap"));
    return line;
  }

  function journalPath() {
    const query = new URLSearchParams();
    const operation = $("filter-operation").value.trim();
    const status = $("filter-status").value.trim();
    if (operation) query.set("operationId", operation);
    if (status) query.set("status", status);
    return `requests?${query}`;
  }

  // --- refreshing ----------------------------------------------------------------------------

  async function fetchTimeline() {
    if (chosenBridge === null) return null;
    try {
      return await call("GET", `bridges/${encodeURIComponent(chosenBridge)}/timeline`);
    } catch (error) {
      if (!(error instanceof ServerError && error.status === 404)) throw error;
      chosenBridge = null; // the bridge is gone (deleted, or a reset)
      return null;
    }
  }

  async function refresh() {
    if (needsToken) return;
    const mine = ++generation;
    try {
      const [clock, state, faults, journal, timeline] = await Promise.all([
        call("GET", "clock"), call("GET", "state"), call("GET", "faults"),
        call("GET", journalPath()), fetchTimeline(),
      ]);
      if (mine !== generation) return;
      renderClock(clock);
      renderBridges(state.bridges);
      renderTimeline(timeline);
      renderFaults(faults.faults);
      renderJournal(journal.requests);
      if (messageFromPoll) clearMessage();
    } catch (error) {
      if (mine === generation) showMessage(error, true);
    }
  }

  async function poll() {
    if (!document.hidden) await refresh();
    setTimeout(poll, POLL_MS);
  }

  function chooseBridge(id) {
    chosenBridge = id;
    refresh();
  }

  // --- actions ------------------------------------------------------------------------------

  function number(id) {
    const value = $(id).value.trim();
    return value === "" ? undefined : Number(value);
  }

  function armFault(event) {
    event.preventDefault();
    const spec = {
      operation: $("fault-operation").value.trim(),
      status: number("fault-status"),
      times: number("fault-times"),
      delayMs: number("fault-delay") ?? 0,
    };
    if (number("fault-retry-after") !== undefined) spec.retryAfter = number("fault-retry-after");
    if ($("fault-error").value.trim()) spec.error = $("fault-error").value.trim();
    act(() => call("POST", "faults", { json: spec }));
  }

  function advance(event) {
    event.preventDefault();
    const seconds = number("advance-amount") * Number($("advance-unit").value);
    act(() => call("POST", "clock", { json: { advance: seconds } }));
  }

  async function seed(event) {
    event.preventDefault();
    const result = $("seed-result");
    result.className = "";
    result.textContent = "Seeding…";
    try {
      const answer = await call("POST", "seed", { raw: $("seed-text").value, type: "application/yaml" });
      const count = (list, noun) => `${list.length} ${noun}${list.length === 1 ? "" : "s"}`;
      result.textContent = `Seeded ${count(answer.bridges, "bridge")}, ${count(answer.credentials, "credential")}`
        + ` and ${count(answer.clients, "admin client")}.`;
    } catch (error) {
      if (error instanceof ServerError && error.status === 401) return askForToken(error);
      result.className = "error";
      result.textContent = error.message;
    }
    refresh();
  }

  async function loadSeedFile() {
    const file = $("seed-file").files[0];
    if (file) $("seed-text").value = await file.text();
  }

  function confirmReset(asking) {
    $("reset").hidden = asking;
    $("reset-confirm").hidden = !asking;
  }

  function on(id, type, handler) {
    $(id).addEventListener(type, handler);
  }

  function start() {
    on("token-form", "submit", useToken);
    on("forget-token", "click", forgetToken);
    on("reset", "click", () => confirmReset(true));
    on("reset-no", "click", () => confirmReset(false));
    on("reset-yes", "click", () => {
      confirmReset(false);
      chosenBridge = null;
      act(() => call("POST", "reset"));
    });
    on("advance-form", "submit", advance);
    on("freeze", "click", () => act(() => call("POST", "clock", { json: { frozen: true } })));
    on("unfreeze", "click", () => act(() => call("POST", "clock", { json: { frozen: false } })));
    on("real-time", "click", () => act(() => call("DELETE", "clock")));
    on("fault-form", "submit", armFault);
    on("clear-faults", "click", () => act(() => call("DELETE", "faults")));
    on("journal-filter", "submit", (event) => event.preventDefault());
    on("journal-filter", "input", () => refresh());
    on("clear-journal", "click", () => act(() => call("DELETE", "requests")));
    on("seed-form", "submit", seed);
    on("seed-file", "change", loadSeedFile);
    document.addEventListener("visibilitychange", () => document.hidden || refresh());
    $("forget-token").hidden = sessionStorage.getItem(TOKEN_KEY) === null;
    poll();
  }

  start();
})();
