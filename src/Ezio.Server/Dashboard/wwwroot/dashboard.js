// Ezio live dashboard: a snapshot, then server-sent events from /api/v1/events (read with
// fetch so the admin token can go in a header), plots from /api/v1/dashboard/series.
// Plain DOM code, no framework: the server embeds this file and serves it offline.
"use strict";

const state = { deployments: new Map(), machines: new Map(), insecure: false, live: false };
const PHASES = ["waiting", "registered", "checking", "partitioning", "downloading", "verifying", "finishing", "seeding", "done", "failed", "conflict"];
const ROW_HEIGHT = 40;
const SPARK = 40;

function fmtBytes(n) {
  if (!n) return "0 B";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return n.toFixed(i === 0 ? 0 : 1) + " " + units[i];
}
const fmtRate = (n) => fmtBytes(n) + "/s";
function fmtDuration(s) {
  if (!isFinite(s) || s < 0) return "–";
  s = Math.round(s);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return h ? `${h}h${String(m).padStart(2, "0")}m` : m ? `${m}m${String(sec).padStart(2, "0")}s` : `${sec}s`;
}
const pct = (done, total) => (total > 0 ? Math.min(100, (100 * done) / total) : 0);
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}
function bar(done, total, wide) {
  const p = pct(done, total);
  const b = el("div", { class: wide ? "bar wide" : "bar", role: "progressbar", "aria-valuenow": p.toFixed(1) });
  const fill = el("div");
  fill.style.width = p.toFixed(1) + "%";
  b.append(fill, el("span", { text: p.toFixed(1) + " %" }));
  return b;
}
function setBar(b, done, total) {
  const p = pct(done, total).toFixed(1);
  if (b.getAttribute("aria-valuenow") === p) return;
  b.setAttribute("aria-valuenow", p);
  b.firstChild.style.width = p + "%";
  b.lastChild.textContent = p + " %";
}
function setText(node, text) { if (node.textContent !== text) node.textContent = text; }

// ---- session: the admin token (sessionStorage: gone when the tab closes) ----
const session = {
  get token() { return sessionStorage.getItem("ezio.token") || ""; },
  get actor() { return sessionStorage.getItem("ezio.actor") || ""; },
  get admin() { return !!this.token || state.insecure; },
  headers(extra) {
    const h = Object.assign({}, extra);
    if (this.token) h.Authorization = "Bearer " + this.token;
    if (this.actor) h["X-Ezio-Actor"] = "dashboard:" + this.actor;
    return h;
  },
};

// Admin API call: JSON in and out; an error answer becomes an Error with the server's message.
async function api(method, path, body) {
  const init = { method, headers: session.headers(body === undefined ? {} : { "Content-Type": "application/json" }) };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(path, init);
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (res.status === 401) showSignIn("The server refused: " + ((json && json.error) || "admin token required"));
  if (!res.ok) throw new Error((json && json.error) || `${res.status} ${res.statusText}`);
  return json;
}

function toast(text, bad) {
  const t = document.getElementById("toast");
  t.textContent = text;
  t.className = bad ? "toast bad" : "toast";
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, 6000);
}

// ---- live view: deployment cards with a virtualised machine table ----
const cards = new Map();
const sparks = new Map(); // mac -> recent download rates

function machinesOf(d) {
  const list = [];
  const seen = new Set();
  // A Set per deployment snapshot: 500 machines must not cost 500 × 500 comparisons a render.
  if (!d.macSet) Object.defineProperty(d, "macSet", { value: new Set(d.machines) });
  for (const m of state.machines.values()) if (m.deploymentId === d.id && d.macSet.has(m.mac)) { list.push(m); seen.add(m.mac); }
  // Named machines that have not registered yet still get a row.
  for (const mac of d.machines) if (!seen.has(mac)) list.push({ mac, phase: "waiting", bytesDone: 0, bytesTotal: 0, rateIn: 0, rateOut: 0, peers: 0 });
  list.sort((a, b) => (a.mac < b.mac ? -1 : a.mac > b.mac ? 1 : 0));
  return list;
}

function phaseOf(m) { return m.conflict ? "conflict" : m.phase; }

function makeCard(d) {
  const c = { id: d.id, rows: new Map(), slice: "" };
  c.node = el("div", { class: "deployment", "data-deployment": d.id });
  c.title = el("div", { class: "title" });
  c.summary = el("div", { class: "summary" });
  c.phases = el("div", { class: "phases", "aria-label": "machines by phase" });
  c.overall = bar(0, 0, true);
  c.overall.setAttribute("data-field", "overall");
  c.mapLabel = el("span", { class: "muted" });
  c.mapBox = el("div", { class: "piecemap", hidden: "" }, c.mapLabel);
  c.map = el("canvas", { class: "strip", height: "18", "aria-label": "piece map" });
  c.mapBox.append(c.map);
  c.scroller = el("div", { class: "rows", tabindex: "-1" });
  c.body = el("tbody");
  c.table = el("table", {}, el("thead", {}, el("tr", {}, ...["Machine", "IP", "Phase", "Progress", "↓ in", "↑ out", "Rate", "Peers", "ETA", "Message", ""].map((h, i) => el("th", { text: h, class: [1, 5, 6, 7].includes(i) ? "wide-only" : "" })))), c.body);
  c.scroller.append(c.table);
  c.scroller.addEventListener("scroll", () => scheduleRender(), { passive: true });
  c.report = el("div", { class: "report", hidden: "" });
  c.node.append(c.title, c.summary, c.phases, c.overall, c.mapBox, c.scroller, c.report);
  return c;
}

function renderTitle(c, d) {
  const key = d.state + "|" + session.admin;
  if (c.titleKey === key) return;
  c.titleKey = key;
  const items = [el("h3", { text: d.image }), el("span", { class: "muted", text: d.id }),
    el("span", { class: "phase big " + d.state, "data-field": "state", text: d.state }),
    el("span", { class: "muted", "data-field": "resize", text: `resize: ${d.resize || "none"}` }),
    el("span", { class: "muted", text: `started ${new Date(d.createdAt).toLocaleString()}` })];
  if (session.admin && (d.state === "active" || d.state === "finishing")) {
    items.push(el("button", { class: "danger", "data-action": "cancel", onclick: () => cancelDeployment(d) , text: "Cancel deployment" }));
  }
  c.title.replaceChildren(...items);
}

function renderCard(c, d) {
  renderTitle(c, d);
  const machines = machinesOf(d);
  let done = 0, total = 0, rateIn = 0, rateOut = 0;
  const counts = {};
  for (const m of machines) {
    const finished = m.phase === "done" || m.phase === "seeding";
    done += finished ? m.bytesTotal || 0 : m.bytesDone || 0;
    total += m.bytesTotal || 0;
    rateIn += m.rateIn || 0;
    rateOut += m.rateOut || 0;
    const p = phaseOf(m);
    counts[p] = (counts[p] || 0) + 1;
  }
  const summaryKey = `${d.machinesDone}|${d.machinesFailed}|${machines.length}|${rateIn}|${rateOut}|${done}|${total}`;
  if (c.summaryKey !== summaryKey) {
    c.summaryKey = summaryKey;
    c.summary.replaceChildren(
      el("span", { "data-field": "machines", text: `${d.machinesDone} done, ${d.machinesFailed} failed, ${machines.length} machines` }),
      el("span", { "data-field": "rate-in", text: `↓ ${fmtRate(rateIn)}` }),
      el("span", { "data-field": "rate-out", text: `↑ ${fmtRate(rateOut)}` }),
      el("span", { text: `${fmtBytes(done)} of ${fmtBytes(total)}` }));
    c.phases.replaceChildren(...PHASES.filter((p) => counts[p]).map((p) => el("span", { class: "phase big " + p, "data-phase": p, text: `${counts[p]} ${p}` })));
  }
  setBar(c.overall, done, total);
  const map = series.maps.get(d.id);
  c.mapBox.hidden = !map;
  if (map && c.mapDrawn !== map) {
    c.mapDrawn = map;
    setText(c.mapLabel, `piece map: how many machines hold each part of the image (red: none, green: all), as the server's seeder sees its ${map.peers} peers`);
    Plots.strip(c.map, map.regions, Math.max(1, machines.length));
  }
  renderRows(c, machines);
  if (d.state === "finished" || d.state === "cancelled" || d.machinesDone + d.machinesFailed > 0) loadReport(c, d);
}

// Only the rows in view exist in the DOM; spacers keep the scroll height.
function renderRows(c, machines) {
  const visible = Math.ceil((c.scroller.clientHeight || 600) / ROW_HEIGHT) + 4;
  const first = Math.max(0, Math.floor(c.scroller.scrollTop / ROW_HEIGHT) - 2);
  const last = Math.min(machines.length, first + visible);
  const slice = machines.slice(first, last);
  const key = first + ":" + slice.map((m) => m.mac).join(",") + ":" + machines.length;
  for (const m of slice) updateRow(c, m);
  if (key !== c.slice) {
    c.slice = key;
    const top = el("tr", { class: "spacer" }); top.style.height = first * ROW_HEIGHT + "px";
    const bottom = el("tr", { class: "spacer" }); bottom.style.height = (machines.length - last) * ROW_HEIGHT + "px";
    c.body.replaceChildren(top, ...slice.map((m) => c.rows.get(m.mac).tr), bottom);
    const keep = new Set(slice.map((m) => m.mac));
    for (const mac of c.rows.keys()) if (!keep.has(mac)) c.rows.delete(mac);
  }
}

function updateRow(c, m) {
  let r = c.rows.get(m.mac);
  if (!r) {
    r = { tr: el("tr", { "data-mac": m.mac }) };
    r.name = el("td"); r.ip = el("td", { class: "wide-only" });
    r.phase = el("span", { class: "phase", "data-field": "phase" });
    r.bar = bar(0, 0);
    r.in = el("td", { class: "num" }); r.out = el("td", { class: "num wide-only" });
    r.spark = el("canvas", { class: "spark", width: "80", height: "22", "aria-hidden": "true" });
    r.peers = el("td", { class: "num wide-only" }); r.eta = el("td", { class: "num" });
    r.message = el("td", { "data-field": "message" });
    r.actions = el("td", { class: "actions" });
    r.tr.append(r.name, r.ip, el("td", {}, r.phase), el("td", {}, r.bar), r.in, r.out, el("td", { class: "wide-only" }, r.spark), r.peers, r.eta, r.message, r.actions);
    c.rows.set(m.mac, r);
  }
  if (r.m === m && r.admin === session.admin) return;
  r.m = m;
  r.admin = session.admin;
  const finished = m.phase === "done" || m.phase === "seeding";
  const eta = finished ? 0 : m.rateIn > 0 ? (m.bytesTotal - m.bytesDone) / m.rateIn : NaN;
  // A second registration of the MAC from another address: the job is paused until released.
  const phase = phaseOf(m);
  const message = m.conflict ? `conflict: ${m.conflict} registered this machine too; paused until an admin runs "ezio-server release ${m.mac}"` : m.message || "";
  setText(r.name, m.hostname ? `${m.hostname} (${m.mac})` : m.mac);
  setText(r.ip, m.ip || "");
  r.phase.className = "phase " + phase;
  setText(r.phase, phase);
  setBar(r.bar, finished ? 1 : m.bytesDone, finished ? 1 : m.bytesTotal);
  setText(r.in, fmtRate(m.rateIn || 0));
  setText(r.out, fmtRate(m.rateOut || 0));
  setText(r.peers, String(m.peers || 0));
  setText(r.eta, finished ? "done" : fmtDuration(eta));
  setText(r.message, message);
  r.message.className = m.phase === "failed" || m.conflict ? "error" : "muted";
  Plots.sparkline(r.spark, sparks.get(m.mac) || [], "#3b82f6");
  // Buttons are remade only when they change, so one keeps the keyboard focus across updates.
  const retry = session.admin && m.phase === "failed", release = session.admin && !!m.conflict;
  const actionsKey = `${retry}|${release}`;
  if (r.actionsKey !== actionsKey) {
    r.actionsKey = actionsKey;
    const buttons = [];
    if (retry) buttons.push(el("button", { "data-action": "retry", onclick: () => retryMachine(c.id, m.mac), text: "Retry" }));
    if (release) buttons.push(el("button", { "data-action": "release", onclick: () => releaseMachine(m.mac), text: "Release" }));
    r.actions.replaceChildren(...buttons);
  }
}

function render() {
  const root = document.getElementById("deployments");
  const open = [...state.deployments.values()].filter((d) => d.state === "active" || d.state === "finishing");
  // Nothing running: the last deployment stays with its final state and its report.
  const shown = open.length ? open : [...state.deployments.values()].slice(-1);
  document.getElementById("none").hidden = open.length > 0;
  const ids = new Set(shown.map((d) => d.id));
  for (const [id, c] of cards) if (!ids.has(id)) { c.node.remove(); cards.delete(id); }
  for (const d of shown) {
    let c = cards.get(d.id);
    if (!c) { c = makeCard(d); cards.set(d.id, c); root.append(c.node); }
    renderCard(c, d);
  }
  drawRates();
  if (typeof Console !== "undefined") Console.onRender();
}

// Batched: events only mark the page dirty; it redraws at most every 250 ms, in a frame.
let renderPending = false;
function scheduleRender() {
  if (renderPending) return;
  renderPending = true;
  setTimeout(() => requestAnimationFrame(() => { renderPending = false; render(); }), 250);
}

// ---- after-deployment report ----
async function loadReport(c, d) {
  const key = `${d.id}|${d.state}|${d.machinesDone}|${d.machinesFailed}`;
  if (c.reportKey === key) return;
  c.reportKey = key;
  try {
    const res = await fetch(`/api/v1/deployments/${encodeURIComponent(d.id)}/report`, { headers: session.headers() });
    if (!res.ok) return;
    const r = await res.json();
    const items = r.machines.map((m) => ({ value: m.seconds, ok: m.ok, label: m.hostname || m.mac })).sort((a, b) => a.value - b.value);
    const canvas = el("canvas", { class: "bars", height: "120", "aria-label": "time to done per machine, sorted" });
    const fromPeers = r.serverBytes == null ? null : Math.max(0, r.bytesFetched - r.serverBytes);
    const lines = [el("h4", { text: d.state === "finished" || d.state === "cancelled" ? "Report" : "Report so far" }),
      el("p", { "data-field": "report-times", text: items.length
        ? `time to done: fastest ${fmtDuration(items[0].value)}, median ${fmtDuration(items[Math.floor(items.length / 2)].value)}, slowest ${fmtDuration(items[items.length - 1].value)} (${items.length} machines)`
        : "no machine has finished yet" }),
      el("p", { "data-field": "report-bytes", text: r.serverBytes == null
        ? `fetched ${fmtBytes(r.bytesFetched)} in all (the server's share was not measured by this server run)`
        : `fetched ${fmtBytes(r.bytesFetched)}: ${fmtBytes(r.serverBytes)} from the server, ${fmtBytes(fromPeers)} from peers; the server sent ${r.serverCopies} copies of the ${fmtBytes(r.imageSizeBytes)} image` })];
    // The history records a result a moment after the event: look again until it is there.
    if (r.machines.length < d.machinesDone + d.machinesFailed) setTimeout(() => { c.reportKey = ""; scheduleRender(); }, 1000);
    c.report.replaceChildren(...lines, canvas);
    c.report.hidden = false;
    Plots.bars(canvas, items, fmtDuration);
  } catch (e) {
    c.reportKey = "";
    console.warn("report", e);
  }
}

// ---- aggregate rates over time, polled from the server's sampler ----
const series = { after: 0, samples: [], maps: new Map(), lineRate: 0, interval: 2 };
async function pollSeries() {
  try {
    const res = await fetch("/api/v1/dashboard/series?after=" + series.after, { headers: session.headers() });
    if (res.ok) {
      const s = await res.json();
      series.lineRate = s.lineRate;
      series.interval = s.intervalSeconds;
      for (const x of s.samples) { series.samples.push(x); series.after = x.seq; }
      if (series.samples.length > 900) series.samples.splice(0, series.samples.length - 900);
      series.maps = new Map(s.pieceMaps.map((m) => [m.deploymentId, m]));
      scheduleRender();
    } else if (res.status === 404 || res.status === 401) {
      series.after = 0;
    }
  } catch { /* the event stream shows the connection state */ }
  setTimeout(pollSeries, 2000);
}

function drawRates() {
  const canvas = document.getElementById("rates");
  if (!canvas || canvas.offsetParent === null) return;
  const s = series.samples.slice(-300);
  if (series.drawn === series.after && series.drawnWidth === canvas.clientWidth) return;
  series.drawn = series.after;
  series.drawnWidth = canvas.clientWidth;
  Plots.lines(canvas, [
    { values: s.map((x) => x.rateIn), color: "#3b82f6" },
    { values: s.map((x) => x.rateOut), color: "#2e8b57" },
    { values: s.map((x) => x.serverRate), color: "#e67e22" },
  ], series.lineRate, fmtRate, s.length ? `last ${fmtDuration(s.length * series.interval)}` : "");
  const last = s[s.length - 1];
  const share = last && last.rateIn > 0 ? Math.min(100, (100 * last.serverRate) / last.rateIn) : 0;
  setText(document.getElementById("rates-now"), last
    ? `now: ↓ ${fmtRate(last.rateIn)} ↑ ${fmtRate(last.rateOut)}, server ${fmtRate(last.serverRate)} (${share.toFixed(0)} % of the download)`
    : "");
  setText(document.getElementById("line-rate"), series.lineRate ? `line rate ${fmtRate(series.lineRate)}` : "");
}

// ---- history ----
async function loadHistory() {
  try {
    const res = await fetch("/api/v1/history", { headers: session.headers() });
    if (!res.ok) return null;
    const h = await res.json();
    document.getElementById("history-off").hidden = h.enabled;
    const body = document.querySelector("#history tbody");
    body.replaceChildren(...h.machines.map((m) => el("tr", {},
      el("td", { text: new Date(m.finishedAt).toLocaleString() }),
      el("td", { text: m.deploymentId }), el("td", { text: m.image }),
      el("td", { text: m.hostname ? `${m.hostname} (${m.mac})` : m.mac }), el("td", { text: m.ip || "" }),
      el("td", { class: "num", text: fmtDuration(m.seconds) }),
      el("td", { class: "num", text: m.ok ? fmtBytes(m.bytesFetched) : "–" }),
      el("td", { class: "num", text: m.ok ? fmtBytes(m.bytesWritten) : "–" }),
      el("td", { class: m.ok ? "ok" : "bad", text: m.ok ? "ok" : "failed: " + (m.reason || "") }))));
    return h;
  } catch (e) {
    console.warn("history", e);
    return null;
  }
}

// The server writes the history from its own subscription to the same events, so the record
// of a machine that has just ended may land a moment after this page hears of it: reload
// until it shows, a few times over about eight seconds.
async function loadHistoryFor(mac, deploymentId) {
  for (const wait of [0, 250, 500, 1000, 2000, 4000]) {
    if (wait) await new Promise((resolve) => setTimeout(resolve, wait));
    const h = await loadHistory();
    if (h && (!h.enabled || h.machines.some((x) => x.mac === mac && x.deploymentId === deploymentId))) return;
  }
}

function applySnapshot(s) {
  state.deployments = new Map(s.deployments.map((d) => [d.id, d]));
  state.machines = new Map(s.machines.map((m) => [m.mac, m]));
  state.insecure = s.insecure;
  document.getElementById("served").textContent = `server uploaded ${fmtBytes(s.serverBytesServed)}`;
  document.getElementById("insecure").hidden = !s.insecure;
  for (const c of cards.values()) { c.titleKey = ""; c.reportKey = ""; }
  scheduleRender();
}

function onMachine(m) {
  const spark = sparks.get(m.mac) || [];
  spark.push(m.rateIn || 0);
  if (spark.length > SPARK) spark.shift();
  sparks.set(m.mac, spark);
  state.machines.set(m.mac, m);
  if (m.phase === "done" || m.phase === "failed") pendingHistory.set(m.mac, m.deploymentId);
  scheduleRender();
}

// Done/failed machines reload the history once per batch, not once per machine.
const pendingHistory = new Map();
setInterval(() => {
  if (!pendingHistory.size) return;
  const [mac, dep] = pendingHistory.entries().next().value;
  pendingHistory.clear();
  loadHistoryFor(mac, dep);
}, 500);

// ---- the event stream: reconnects by itself; "live" only while it flows ----
function setConn(live, text) {
  state.live = live;
  const conn = document.getElementById("conn");
  conn.textContent = text;
  conn.className = live ? "conn on" : "conn off";
}

function dispatch(block) {
  let name = "message", data = "";
  for (const line of block.split("\n")) {
    if (line.startsWith("event: ")) name = line.slice(7);
    else if (line.startsWith("data: ")) data += line.slice(6);
  }
  if (!data) return;
  const value = JSON.parse(data);
  if (name === "snapshot") { applySnapshot(value); setConn(true, "live"); }
  else if (name === "machine") onMachine(value);
  else if (name === "deployment") {
    state.deployments.set(value.id, value);
    if (value.state === "finished" || value.state === "cancelled") loadHistory();
    scheduleRender();
  }
}

let streamAbort = null;
async function streamOnce() {
  const abort = new AbortController();
  streamAbort = abort;
  let watchdog = 0;
  // The server writes a keep-alive every 15 s: silence for 40 s means a dead connection.
  const kick = () => { clearTimeout(watchdog); watchdog = setTimeout(() => abort.abort(), 40000); };
  kick();
  try {
    const res = await fetch("/api/v1/events", { headers: session.headers(), signal: abort.signal, cache: "no-store" });
    if (res.status === 401) { showSignIn("This server's dashboard needs the admin token."); return "signin"; }
    if (!res.ok || !res.body) return "error";
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return "error";
      kick();
      buffer += value;
      let i;
      while ((i = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        dispatch(block);
      }
    }
  } catch (e) {
    return "error";
  } finally {
    clearTimeout(watchdog);
  }
}

let connecting = false;
async function connect() {
  connecting = true;
  let wait = 500;
  try {
    for (;;) {
      setConn(false, state.live ? "reconnecting…" : "connecting…");
      const t0 = Date.now();
      const outcome = await streamOnce();
      setConn(false, "reconnecting…");
      if (outcome === "signin") return;
      if (Date.now() - t0 > 10000) wait = 500;
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, 4000);
    }
  } finally {
    connecting = false;
  }
}
// After a sign-in: a running stream starts over with the token; a stopped one starts.
function reconnect() {
  if (connecting && streamAbort) streamAbort.abort();
  else if (!connecting) connect();
  loadHistory();
}

// ---- actions on the live view ----
async function cancelDeployment(d) {
  if (!confirmAction(`Cancel ${d.id} (${d.image})? Machines not done boot from their disk again.`)) return;
  try { await api("POST", `/api/v1/deployments/${encodeURIComponent(d.id)}/cancel`); toast(`${d.id} cancelled`); } catch (e) { toast(e.message, true); }
}
async function retryMachine(id, mac) {
  try { await api("POST", `/api/v1/deployments/${encodeURIComponent(id)}/machines/${encodeURIComponent(mac)}/retry`); toast(`${mac}: retry; it deploys at its next boot`); } catch (e) { toast(e.message, true); }
}
async function releaseMachine(mac) {
  try { await api("POST", `/api/v1/machines/${encodeURIComponent(mac)}/release`); toast(`${mac} released`); } catch (e) { toast(e.message, true); }
}
// A confirmation that a test (or a keyboard user) can turn off for the session.
function confirmAction(text) { return sessionStorage.getItem("ezio.noconfirm") === "1" || window.confirm(text); }

function showSignIn(why) {
  const form = document.getElementById("signin");
  form.hidden = false;
  document.getElementById("signin-why").textContent = why || "";
  document.getElementById("token").focus();
}

window.addEventListener("resize", () => { series.drawnWidth = -1; scheduleRender(); });
loadHistory();
connect();
pollSeries();
