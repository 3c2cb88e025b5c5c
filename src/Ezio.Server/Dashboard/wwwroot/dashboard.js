// Ezio live dashboard: a snapshot, then server-sent events from /api/v1/events.
// Plain DOM code, no framework: the server embeds this file and serves it offline.
"use strict";

const state = { deployments: new Map(), machines: new Map() };

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
    if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
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

function render() {
  const root = document.getElementById("deployments");
  root.querySelectorAll(".deployment").forEach((n) => n.remove());
  const open = [...state.deployments.values()].filter((d) => d.state === "active" || d.state === "finishing");
  document.getElementById("none").hidden = open.length > 0;
  for (const d of open) root.append(renderDeployment(d));
}

function renderDeployment(d) {
  const machines = [...state.machines.values()].filter((m) => m.deploymentId === d.id);
  const seen = new Set(machines.map((m) => m.mac));
  // Named machines that have not registered yet still get a row.
  for (const mac of d.machines) if (!seen.has(mac)) machines.push({ mac, phase: "waiting", bytesDone: 0, bytesTotal: 0, rateIn: 0, rateOut: 0, peers: 0 });
  machines.sort((a, b) => a.mac.localeCompare(b.mac));
  const done = machines.reduce((s, m) => s + (m.phase === "done" || m.phase === "seeding" ? m.bytesTotal || 0 : m.bytesDone || 0), 0);
  const total = machines.reduce((s, m) => s + (m.bytesTotal || 0), 0);
  const rateIn = machines.reduce((s, m) => s + (m.rateIn || 0), 0);
  const rateOut = machines.reduce((s, m) => s + (m.rateOut || 0), 0);
  const card = el("div", { class: "deployment", "data-deployment": d.id });
  card.append(el("div", { class: "title" },
    el("h3", { text: d.image }), el("span", { class: "muted", text: d.id }),
    el("span", { class: "phase", text: d.state }),
    el("span", { class: "muted", text: `started ${new Date(d.createdAt).toLocaleString()}` })));
  card.append(el("div", { class: "summary" },
    el("span", { "data-field": "machines", text: `${d.machinesDone} done, ${d.machinesFailed} failed, ${machines.length} machines` }),
    el("span", { "data-field": "rate-in", text: `↓ ${fmtRate(rateIn)}` }),
    el("span", { "data-field": "rate-out", text: `↑ ${fmtRate(rateOut)}` }),
    el("span", { text: `${fmtBytes(done)} of ${fmtBytes(total)}` })));
  const overall = bar(done, total, true);
  overall.setAttribute("data-field", "overall");
  card.append(overall);
  const table = el("table", {}, el("thead", {}, el("tr", {}, ...["Machine", "IP", "Phase", "Progress", "↓ in", "↑ out", "Peers", "ETA", "Message"].map((h) => el("th", { text: h })))));
  const body = el("tbody");
  for (const m of machines) {
    const finished = m.phase === "done" || m.phase === "seeding";
    const eta = finished ? 0 : m.rateIn > 0 ? (m.bytesTotal - m.bytesDone) / m.rateIn : NaN;
    // A second registration of the MAC from another address: the job is paused until released.
    const phase = m.conflict ? "conflict" : m.phase;
    const message = m.conflict ? `conflict: ${m.conflict} registered this machine too; paused until an admin runs "ezio-server release ${m.mac}"` : m.message || "";
    body.append(el("tr", { "data-mac": m.mac },
      el("td", { text: m.hostname ? `${m.hostname} (${m.mac})` : m.mac }),
      el("td", { text: m.ip || "" }),
      el("td", {}, el("span", { class: "phase " + phase, "data-field": "phase", text: phase })),
      el("td", {}, bar(finished ? 1 : m.bytesDone, finished ? 1 : m.bytesTotal)),
      el("td", { class: "num", text: fmtRate(m.rateIn || 0) }),
      el("td", { class: "num", text: fmtRate(m.rateOut || 0) }),
      el("td", { class: "num", text: String(m.peers || 0) }),
      el("td", { class: "num", text: finished ? "done" : fmtDuration(eta) }),
      el("td", { class: m.phase === "failed" || m.conflict ? "error" : "muted", "data-field": "message", text: message })));
  }
  table.append(body);
  card.append(table);
  return card;
}

async function loadHistory() {
  try {
    const h = await (await fetch("/api/v1/history")).json();
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
  document.getElementById("served").textContent = `server uploaded ${fmtBytes(s.serverBytesServed)}`;
  document.getElementById("insecure").hidden = !s.insecure;
  render();
}

let renderPending = false;
function scheduleRender() {
  if (renderPending) return;
  renderPending = true;
  setTimeout(() => { renderPending = false; render(); }, 50);
}

function connect() {
  const conn = document.getElementById("conn");
  const source = new EventSource("/api/v1/events");
  source.addEventListener("open", () => { conn.textContent = "live"; conn.className = "conn on"; });
  source.addEventListener("error", () => { conn.textContent = "reconnecting…"; conn.className = "conn off"; });
  source.addEventListener("snapshot", (e) => applySnapshot(JSON.parse(e.data)));
  source.addEventListener("machine", (e) => {
    const m = JSON.parse(e.data);
    state.machines.set(m.mac, m);
    if (m.phase === "done" || m.phase === "failed") loadHistoryFor(m.mac, m.deploymentId);
    scheduleRender();
  });
  source.addEventListener("deployment", (e) => {
    const d = JSON.parse(e.data);
    state.deployments.set(d.id, d);
    if (d.state === "finished" || d.state === "cancelled") loadHistory();
    scheduleRender();
  });
}

loadHistory();
connect();
