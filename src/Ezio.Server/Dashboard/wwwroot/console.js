// Ezio dashboard actions: sign-in, deploy, machines, groups, who-did-what. Every action is a
// call of the admin API the CLI uses (token in the Authorization header), so the server
// checks and records it the same way.
"use strict";

const Console = (() => {
  const $ = (id) => document.getElementById(id);
  let machines = [];   // overview rows of the machines page
  let groups = [];
  let images = [];

  // ---- pages (hash routing: back/forward and bookmarks work) ----
  const PAGES = ["live", "deploy", "machines", "groups", "history"];
  function showPage() {
    const page = PAGES.includes(location.hash.slice(1)) ? location.hash.slice(1) : "live";
    for (const p of PAGES) {
      $("page-" + p).hidden = p !== page;
      const link = document.querySelector(`nav a[href="#${p}"]`);
      if (p === page) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
    }
    document.body.dataset.page = page;
    if (page === "deploy") loadDeploy();
    if (page === "machines") loadMachines();
    if (page === "groups") loadGroups();
    if (page === "history") { loadHistory(); loadActions(); }
    scheduleRender();
  }

  function updateAdmin() {
    const admin = session.admin;
    document.body.classList.toggle("admin", admin);
    $("who").textContent = session.token ? `signed in${session.actor ? " as " + session.actor : ""}` : state.insecure ? "no token needed (--insecure)" : "";
    $("signout").hidden = !session.token;
    $("signin-open").hidden = admin;
    for (const n of document.querySelectorAll(".needs-admin")) n.hidden = !admin;
  }

  // ---- sign-in: the token is checked with a harmless admin read, then kept for the tab ----
  async function signIn(event) {
    event.preventDefault();
    const token = $("token").value.trim(), actor = $("actor").value.trim();
    const res = await fetch("/api/v1/groups", { headers: { Authorization: "Bearer " + token } });
    if (!res.ok) { $("signin-why").textContent = res.status === 401 ? "Wrong token." : `The server answered ${res.status}.`; return; }
    sessionStorage.setItem("ezio.token", token);
    if (actor) sessionStorage.setItem("ezio.actor", actor); else sessionStorage.removeItem("ezio.actor");
    $("token").value = "";
    $("signin").hidden = true;
    updateAdmin();
    for (const c of cards.values()) { c.titleKey = ""; for (const r of c.rows.values()) r.admin = null; }
    reconnect();
    showPage();
    toast("Signed in");
  }
  function signOut() {
    sessionStorage.removeItem("ezio.token");
    sessionStorage.removeItem("ezio.actor");
    location.hash = "#live";
    location.reload();
  }

  // ---- deploy ----
  async function loadDeploy() {
    if (!session.admin) { showSignIn("Sign in to deploy."); return; }
    try {
      [images, groups, machines] = await Promise.all([api("GET", "/api/v1/images"), api("GET", "/api/v1/groups"), api("GET", "/api/v1/machines/overview")]);
    } catch (e) { toast(e.message, true); return; }
    const chosen = document.querySelector("input[name=image]:checked")?.value;
    $("images").querySelector("tbody").replaceChildren(...images.map((i, n) => el("tr", {},
      el("td", {}, el("input", { type: "radio", name: "image", value: i.name, id: "image-" + n, ...(i.name === chosen || (!chosen && n === 0) ? { checked: "" } : {}) })),
      el("td", {}, el("label", { for: "image-" + n, text: i.name })),
      el("td", { class: "num", text: fmtBytes(i.sizeBytes) }), el("td", { class: "num", text: fmtBytes(i.minDiskBytes) }),
      el("td", { class: "num", title: `default policy: ${i.defaultResize}`, text: i.resizeMinDiskBytes == null ? "–" : fmtBytes(i.resizeMinDiskBytes) }),
      el("td", { class: "num", text: String(i.partitions) }), el("td", { class: "num", text: String(i.disks) }),
      el("td", { text: i.createdAt ? new Date(i.createdAt).toLocaleString() : "–" }))));
    $("no-images").hidden = images.length > 0;
    const pickedGroup = $("deploy-group").value;
    $("deploy-group").replaceChildren(...groups.map((g) => el("option", { value: g.name, text: `${g.name} (${g.machines.length})` })));
    if (pickedGroup) $("deploy-group").value = pickedGroup;
    const picked = new Set([...$("deploy-registered").selectedOptions].map((o) => o.value));
    $("deploy-registered").replaceChildren(...machines.map((o) => el("option", { value: o.machine.mac, ...(picked.has(o.machine.mac) ? { selected: "" } : {}),
      text: `${o.machine.mac}  ${o.machine.hostname || ""}  ${o.machine.ip || ""}  ${o.machine.phase}` })));
    sourceChanged();
  }

  function sourceChanged() {
    const source = document.querySelector("input[name=source]:checked").value;
    for (const s of ["registered", "group", "list"]) $("source-" + s).hidden = s !== source;
  }

  // The machines chosen on the deploy page, as MACs (the group's members for a group).
  function chosenMachines() {
    const source = document.querySelector("input[name=source]:checked").value;
    if (source === "registered") return [...$("deploy-registered").selectedOptions].map((o) => o.value);
    if (source === "group") return (groups.find((g) => g.name === $("deploy-group").value) || { machines: [] }).machines;
    return $("deploy-macs").value.split(/[\s,;]+/).filter((x) => x);
  }

  async function startDeployment(event) {
    event.preventDefault();
    const image = document.querySelector("input[name=image]:checked")?.value;
    const macs = chosenMachines();
    if (!image) { toast("Choose an image", true); return; }
    if (!macs.length) { toast("Choose machines", true); return; }
    const request = {
      image, machines: macs, after: $("deploy-after").value,
      hostnameTemplate: $("deploy-hostname").value.trim() || null,
      growLastPartition: $("deploy-grow").checked, verifyAfterWrite: $("deploy-verify").checked,
    };
    // Left at "image default", the request names no policy and the server picks the image's.
    if ($("deploy-resize").value) request.resize = $("deploy-resize").value;
    try {
      const d = await api("POST", "/api/v1/deployments", request);
      toast(`${d.id}: ${d.image} to ${d.machines.length} machines`);
      location.hash = "#live";
    } catch (e) { $("deploy-error").textContent = e.message; toast(e.message, true); }
  }

  async function wake(body) {
    try { const r = await api("POST", "/api/v1/wake", body); toast(`woke ${r.sent} machines via ${r.broadcast}:${r.port}`); } catch (e) { toast(e.message, true); }
  }

  // ---- machines page: a virtualised table of every known machine ----
  async function loadMachines() {
    if (!session.admin) { showSignIn("Sign in to see the machines."); return; }
    try { machines = await api("GET", "/api/v1/machines/overview"); } catch (e) { toast(e.message, true); return; }
    machines.sort((a, b) => (a.machine.mac < b.machine.mac ? -1 : 1));
    $("machines-count").textContent = `${machines.length} machines`;
    drawMachines(true);
  }

  function disksText(disks) { return (disks || []).map((d) => `${d.path.replace("/dev/", "")} ${fmtBytes(d.sizeBytes)}`).join(", "); }

  function drawMachines(force) {
    const scroller = $("machines-rows");
    const visible = Math.ceil((scroller.clientHeight || 600) / ROW_HEIGHT) + 4;
    const first = Math.max(0, Math.floor(scroller.scrollTop / ROW_HEIGHT) - 2);
    const last = Math.min(machines.length, first + visible);
    const key = `${first}:${last}:${machines.length}`;
    if (!force && key === drawMachines.key) return;
    drawMachines.key = key;
    const top = el("tr", { class: "spacer" }); top.style.height = first * ROW_HEIGHT + "px";
    const bottom = el("tr", { class: "spacer" }); bottom.style.height = (machines.length - last) * ROW_HEIGHT + "px";
    const rows = machines.slice(first, last).map((o) => {
      const m = o.machine;
      const result = o.lastOk == null ? "–" : o.lastOk ? "ok" : "failed: " + (o.lastReason || "");
      const actions = [el("button", { "data-action": "replace", onclick: () => openReplace(m.mac), text: "Replaced…" })];
      if (m.conflict) actions.unshift(el("button", { "data-action": "release", onclick: async () => { await releaseMachine(m.mac); loadMachines(); }, text: "Release" }));
      return el("tr", { "data-machine": m.mac },
        el("td", { text: m.mac }), el("td", { text: m.hostname || "" }), el("td", { class: "wide-only", text: m.ip || "" }),
        el("td", { text: m.lastSeen && !m.lastSeen.startsWith("0001") ? new Date(m.lastSeen).toLocaleString() : "–" }),
        el("td", {}, el("span", { class: "phase " + (m.conflict ? "conflict" : m.phase), text: m.conflict ? "conflict" : m.phase })),
        el("td", { text: o.lastImage || "–" }),
        el("td", { class: o.lastOk == null ? "muted" : o.lastOk ? "ok" : "bad", text: result }),
        el("td", { class: "wide-only", text: disksText(m.disks) }),
        el("td", { class: m.conflict ? "error" : "muted", text: m.conflict ? `also registered from ${m.conflict}` : "" }),
        el("td", { class: "actions" }, ...actions));
    });
    $("machines").querySelector("tbody").replaceChildren(top, ...rows, bottom);
  }

  function openReplace(mac) {
    $("replace-mac").textContent = mac;
    $("replace-new").value = "";
    $("replace-error").textContent = "";
    $("replace-dialog").showModal();
    $("replace-new").focus();
  }
  async function replace(event) {
    event.preventDefault();
    const mac = $("replace-mac").textContent, replacement = $("replace-new").value.trim() || null;
    try {
      const changed = await api("POST", `/api/v1/machines/${encodeURIComponent(mac)}/replace`, { replacement });
      $("replace-dialog").close();
      toast(`${mac} marked replaced${replacement ? " by " + replacement : ""} (${changed.length} open deployments changed)`);
      loadMachines();
    } catch (e) { $("replace-error").textContent = e.message; }
  }

  // ---- groups ----
  async function loadGroups() {
    if (!session.admin) { showSignIn("Sign in to edit groups."); return; }
    try { groups = await api("GET", "/api/v1/groups"); } catch (e) { toast(e.message, true); return; }
    $("groups").querySelector("tbody").replaceChildren(...groups.map((g) => el("tr", { "data-group": g.name },
      el("td", { text: g.name }), el("td", { class: "num", text: String(g.machines.length) }),
      el("td", { class: "actions" },
        el("button", { onclick: () => editGroup(g), text: "Edit" }),
        el("button", { "data-action": "wake", onclick: () => wake({ group: g.name }), text: "Wake" }),
        el("button", { onclick: () => deployGroup(g.name), text: "Deploy…" })))));
    $("no-groups").hidden = groups.length > 0;
  }
  function editGroup(g) {
    $("group-name").value = g.name;
    $("group-macs").value = g.machines.join("\n");
    $("group-name").focus();
  }
  function deployGroup(name) {
    location.hash = "#deploy";
    document.querySelector("input[name=source][value=group]").checked = true;
    $("deploy-group").replaceChildren(el("option", { value: name, text: name }));
    $("deploy-group").value = name;
    sourceChanged();
  }
  async function saveGroup(event) {
    event.preventDefault();
    const name = $("group-name").value.trim();
    const macs = $("group-macs").value.split(/[\s,;]+/).filter((x) => x);
    try {
      await api("PUT", "/api/v1/groups/" + encodeURIComponent(name), { name, machines: macs });
      toast(`group ${name} saved (${macs.length} machines)`);
      loadGroups();
    } catch (e) { toast(e.message, true); }
  }
  async function deleteGroup() {
    const name = $("group-name").value.trim();
    if (!name || !confirmAction(`Delete group ${name}?`)) return;
    try { await api("DELETE", "/api/v1/groups/" + encodeURIComponent(name)); toast(`group ${name} deleted`); $("group-name").value = ""; $("group-macs").value = ""; loadGroups(); }
    catch (e) { toast(e.message, true); }
  }

  // ---- who did what ----
  async function loadActions() {
    if (!session.admin) return;
    try {
      const rows = await api("GET", "/api/v1/actions");
      $("actions").querySelector("tbody").replaceChildren(...rows.map((a) => el("tr", {},
        el("td", { text: new Date(a.at).toLocaleString() }), el("td", { text: a.actor }), el("td", { text: a.address || "" }),
        el("td", { text: a.action }), el("td", { class: a.status < 400 ? "ok" : "bad", text: String(a.status) }))));
    } catch (e) { console.warn("actions", e); }
  }

  // Called after each render of the live view (the deploy page shows the same machines).
  function onRender() { updateAdmin(); }

  window.addEventListener("hashchange", showPage);
  $("signin-form").addEventListener("submit", signIn);
  $("signin-open").addEventListener("click", () => showSignIn(""));
  $("signout").addEventListener("click", signOut);
  $("deploy-form").addEventListener("submit", startDeployment);
  $("deploy-wake").addEventListener("click", () => { const macs = chosenMachines(); if (macs.length) wake({ machines: macs }); else toast("Choose machines", true); });
  for (const r of document.querySelectorAll("input[name=source]")) r.addEventListener("change", sourceChanged);
  $("group-form").addEventListener("submit", saveGroup);
  $("group-delete").addEventListener("click", deleteGroup);
  $("machines-rows").addEventListener("scroll", () => requestAnimationFrame(() => drawMachines(false)), { passive: true });
  $("replace-form").addEventListener("submit", replace);
  $("replace-cancel").addEventListener("click", () => $("replace-dialog").close());
  updateAdmin();
  showPage();
  return { onRender, loadMachines, loadGroups };
})();
