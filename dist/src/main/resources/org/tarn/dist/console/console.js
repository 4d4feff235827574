// Tarn web console: a page over Jolokia's JSON protocol (https://jolokia.org/reference/html/manual/jolokia_protocol.html),
// served by the Tarn server next to its Jolokia agent (same origin, same authentication, same policy).
//
// Every POLL_MILLIS one bulk request reads the PoolManager, every Pool MBean and every Target MBean; the page is
// redrawn from that answer. Events come from the Pool MBeans' histories once, then live from Jolokia's pull-mode
// notifications of the PoolManager and TargetManager (every pool's and target's events). Actions are Jolokia
// exec requests on the Pool and PoolManager MBeans, each after a confirmation dialog; a refusal is shown as the
// server's own text (TARN-n ...). No request waits without a deadline (REQUEST_TIMEOUT_MILLIS).
"use strict";

const JOLOKIA = new URL("../jolokia/", document.baseURI).pathname;
const POLL_MILLIS = 2000;
const PULL_MILLIS = 1000;
const REQUEST_TIMEOUT_MILLIS = 15000;
const MAX_EVENTS = 200;
const POOL_MANAGER = "tarn:type=PoolManager";
const TARGET_MANAGER = "tarn:type=TargetManager";
const poolMBean = name => `tarn:type=Pool,name="${name}"`;

const $ = id => document.getElementById(id);

/** One element: el("td", {class: "x"}, "text", child, ...); attributes via setAttribute, text as text nodes. */
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c !== undefined && c !== null) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

/** Raised for a Jolokia answer with an error: the message is the server's (e.g. "TARN-2 no pool named ..."). */
class JolokiaError extends Error {
  constructor(response) {
    super(response.error || `Jolokia status ${response.status}`);
    this.status = response.status;
    this.errorType = response.error_type;
  }
}

/** POSTs one request or a bulk array to Jolokia; the parsed answer, or throws with a message for the operator. */
async function post(body) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), REQUEST_TIMEOUT_MILLIS);
  let answer;
  try {
    answer = await fetch(JOLOKIA, {
      method: "POST", body: JSON.stringify(body), signal: abort.signal, cache: "no-store",
      headers: {"Content-Type": "application/json"}
    });
  } catch (e) {
    throw new Error(abort.signal.aborted
      ? `no answer from Jolokia at ${JOLOKIA} within ${REQUEST_TIMEOUT_MILLIS / 1000} s`
      : `cannot reach Jolokia at ${JOLOKIA}: ${e.message}`);
  } finally {
    clearTimeout(timer);
  }
  if (!answer.ok) {
    throw new Error(`Jolokia at ${JOLOKIA} answered HTTP ${answer.status} ${answer.statusText}`);
  }
  return answer.json();
}

/** One request; its value, or throws the JolokiaError it carried. */
async function request(req) {
  const r = await post(req);
  if (r.status !== 200) throw new JolokiaError(r);
  return r.value;
}

const exec = (mbean, operation, ...args) => request({type: "exec", mbean, operation, arguments: args});

function showError(message) {
  $("error-text").textContent = message;
  $("error").hidden = false;
}

function clearError() {
  $("error").hidden = true;
  $("error-text").textContent = "";
}

function setStatus(ok, text) {
  $("status").textContent = text;
  $("status").className = "status " + (ok ? "ok" : "down");
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
function bytes(n) {
  let i = 0;
  let v = Number(n);
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return (i === 0 ? v : v.toFixed(v < 10 ? 2 : 1)) + " " + UNITS[i];
}

const badge = (value, extra) => el("span", {class: `badge ${value} ${extra || ""}`.trim()}, value);

// ---- confirmation dialog

/** Shows the dialog; resolves true when the operator confirms. */
function confirmAction(title, text, okLabel) {
  const dialog = $("confirm");
  $("confirm-title").textContent = title;
  $("confirm-text").textContent = text;
  $("confirm-ok").textContent = okLabel;
  return new Promise(resolve => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), {once: true});
    dialog.returnValue = "";
    dialog.showModal();
    $("confirm-cancel").focus();
  });
}

/** Runs an action after confirmation; its failure is shown as the server's text; then refreshes. */
async function act(title, text, okLabel, action) {
  if (!await confirmAction(title, text, okLabel)) return;
  clearError();
  try {
    await action();
  } catch (e) {
    showError(`${title}: ${e.message}`);
  }
  await refresh();
}

// ---- pools, vdev trees, targets

function vdevTree(rows) {
  // rows come in tree order (root, each top-level vdev, then its children) with their depth
  const root = el("ul", {class: "vdev-tree"});
  const stack = [{depth: -1, list: root}];
  for (const v of rows) {
    while (stack.length > 1 && stack[stack.length - 1].depth >= v.depth) stack.pop();
    const counter = (label, n) => el("span", {class: n > 0 ? "err" : null, title: label}, `${label} ${n}`);
    const li = el("li", {"data-vdev": v.name, "data-state": v.state},
      el("span", {class: "vdev"},
        el("span", {class: "name", title: v.name}, v.name),
        el("span", {class: "type"}, v.depth > 0 && v.type !== v.name ? v.type : ""),
        badge(v.state),
        el("span", {class: "counters"}, counter("READ", v.readErrors), " ", counter("WRITE", v.writeErrors), " ",
          counter("CKSUM", v.checksumErrors))));
    // the name column narrows with the depth, so states and counters line up across the tree
    li.querySelector(".name").style.setProperty("--depth", String(v.depth));
    stack[stack.length - 1].list.append(li);
    const children = el("ul");
    li.append(children);
    stack.push({depth: v.depth, list: children});
  }
  root.querySelectorAll("ul:empty").forEach(u => u.remove());
  return root;
}

function poolCard(p) {
  const used = p.SizeBytes > 0 ? Math.round(100 * p.AllocatedBytes / p.SizeBytes) : 0;
  const exportButton = el("button", {type: "button", class: "export", title: "Sync, mark the labels EXPORTED and "
      + "release the devices"}, "Export");
  exportButton.addEventListener("click", () => act(`Export pool ${p.Name}`,
    `Export pool '${p.Name}' cleanly: its changes are synced, its labels marked EXPORTED and its devices released. `
    + "It disappears from this server until it is imported again.", "Export",
    () => exec(poolMBean(p.Name), "export")));
  const forceButton = el("button", {type: "button", class: "force-export danger", title: "Export in bounded time, "
      + "dropping unsynced changes"}, "Force export");
  forceButton.addEventListener("click", () => act(`Force export pool ${p.Name}`,
    `Force-export pool '${p.Name}': it is released at once, whatever its devices do, and every change not yet `
    + `synced (${bytes(p.DirtyBytes)} dirty now, after txg ${p.SyncedTxg}) is lost. Use it when the devices hang `
    + "or another host must take the pool over.", "Force export",
    () => exec(poolMBean(p.Name), "forceExport")));
  const bar = el("span");
  bar.style.width = `${used}%`;   // through the CSSOM: the content security policy forbids style attributes
  return el("article", {class: `pool health-${p.Health}`, "data-pool": p.Name, id: `pool-${p.Name}`},
    el("div", {class: "pool-head"},
      el("h3", {}, p.Name),
      el("span", {class: "health"}, badge(p.Health)),
      el("span", {class: "state"}, badge(p.State)),
      p.ReadOnly ? badge("read-only") : null,
      el("span", {class: "actions"}, exportButton, forceButton)),
    el("div", {class: "facts"},
      el("span", {class: "capacity-text"}, el("b", {}, "capacity "),
        el("span", {class: "capacity" + (used >= 90 ? " full" : ""), title: `${used}% allocated`}, bar),
        ` ${bytes(p.AllocatedBytes)} of ${bytes(p.SizeBytes)} (${used}%), ${bytes(p.FreeBytes)} free`),
      el("span", {}, el("b", {}, "dirty "), `${bytes(p.DirtyBytes)} of ${bytes(p.DirtyMaxBytes)}`),
      el("span", {}, el("b", {}, "txg "), `${p.SyncedTxg} synced, ${p.OpenTxg} open`),
      el("span", {}, el("b", {}, "failmode "), p.Failmode),
      el("span", {}, el("b", {}, "guid "), p.Guid)),
    vdevTree(p.VdevTree || []));
}

function renderPools(pools) {
  const names = Object.keys(pools).sort();
  $("pools").replaceChildren(...names.map(n => poolCard(pools[n])));
  $("no-pools").hidden = names.length > 0;
}

function renderTargets(targets) {
  const rows = Object.values(targets).sort((a, b) => (a.Pool + "/" + a.Name).localeCompare(b.Pool + "/" + b.Name));
  $("targets").querySelector("tbody").replaceChildren(...rows.map(t => el("tr", {"data-target": t.Name,
      "data-pool": t.Pool},
    el("td", {}, t.Pool), el("td", {}, t.Name), el("td", {}, t.Role), el("td", {}, badge(t.State)),
    el("td", {}, badge(t.RecoveryStatus), t.RecoveryEndReason ? ` ${t.RecoveryEndReason}` : ""),
    el("td", {}, t.RecoveryRemainingMillis > 0 ? `${Math.ceil(t.RecoveryRemainingMillis / 1000)} s` : ""),
    el("td", {}, `${t.RecoveryKnownClients} / ${t.RecoveryConnectedClients} / ${t.RecoveryCompletedClients} / `
      + `${t.RecoveryEvictedClients}`),
    el("td", {}, t.RecoveryReplayedRequests), el("td", {}, t.LastTransno), el("td", {}, t.LastCommitted),
    el("td", {}, t.Failure))));
  $("targets").hidden = rows.length === 0;
  $("no-targets").hidden = rows.length > 0;
}

/** A pattern read: its values by MBean name; no MBean matching the pattern (404) is none, not an error. */
function patternValue(r) {
  if (r.status === 200) return r.value;
  if (r.status === 404 && r.error_type === "javax.management.InstanceNotFoundException") return {};
  throw new JolokiaError(r);
}

let refreshing = null;

/** Reads everything in one bulk request and redraws; at most one at a time. */
function refresh() {
  if (!refreshing) {
    refreshing = (async () => {
      try {
        const [manager, pools, targets] = await post([
          {type: "read", mbean: POOL_MANAGER},
          {type: "read", mbean: "tarn:type=Pool,*"},
          {type: "read", mbean: "tarn:type=Target,*"}]);
        if (manager.status !== 200) throw new JolokiaError(manager);
        const byName = {};
        for (const p of Object.values(patternValue(pools))) byName[p.Name] = p;
        renderPools(byName);
        renderTargets(patternValue(targets));
        $("host").textContent = `host ${manager.value.Hostname} (hostid ${manager.value.HostId}), search paths `
          + manager.value.SearchPaths.join(", ");
        setStatus(true, `connected, updated ${new Date().toLocaleTimeString()}`);
        document.body.dataset.loaded = "true";
      } catch (e) {
        setStatus(false, `not connected: ${e.message}`);
      } finally {
        refreshing = null;
      }
    })();
  }
  return refreshing;
}

async function pollForever() {
  await refresh();
  setTimeout(pollForever, POLL_MILLIS);
}

// ---- import

async function scan() {
  clearError();
  $("scan").disabled = true;
  try {
    const found = Object.values(await exec(POOL_MANAGER, "importablePools", ""))
      .sort((a, b) => a.name.localeCompare(b.name));
    $("importable").querySelector("tbody").replaceChildren(...found.map(importRow));
    $("importable").hidden = found.length === 0;
    $("no-importable").hidden = found.length > 0;
  } catch (e) {
    showError(`Scan for importable pools: ${e.message}`);
  } finally {
    $("scan").disabled = false;
  }
}

function importRow(p) {
  const row = el("tr", {"data-pool": p.name, "data-guid": p.guid},
    el("td", {}, p.name), el("td", {}, p.guid), el("td", {}, badge(p.state)), el("td", {}, p.host),
    el("td", {}, p.lastWritten), el("td", {}, p.txg), el("td", {class: "devices"}, p.devices),
    el("td", {class: "problems"}, p.problems));
  const importButton = el("button", {type: "button", class: "import"}, "Import");
  importButton.addEventListener("click", () => act(`Import pool ${p.name}`,
    `Import pool '${p.name}' (guid ${p.guid}, last written ${p.lastWritten} by ${p.host}) on this server.`,
    "Import", async () => {
      await exec(POOL_MANAGER, "importPool", p.guid, "");
      row.remove();
    }));
  const cell = el("td", {}, importButton);
  if (!p.importable) {
    const force = el("button", {type: "button", class: "force-import danger"}, "Import with force");
    force.addEventListener("click", () => act(`Force import pool ${p.name}`,
      `Import pool '${p.name}' with force although: ${p.problems}. Only do this when the host named there is `
      + "down or fenced: two hosts writing one pool destroy it.", "Import with force", async () => {
        await exec(POOL_MANAGER, "importPool", p.guid, "force=true");
        row.remove();
      }));
    cell.append(" ", force);
  }
  row.append(cell);
  return row;
}

// ---- events

function addEvent(time, pool, type, detail, live) {
  const list = $("events");
  list.prepend(el("li", {class: live ? "live" : null, "data-type": type || "", "data-pool": pool || ""},
    [time, pool, type ? el("span", {class: "type"}, type) : null, detail].filter(x => x).flatMap((x, i) =>
      i === 0 ? [x] : [" ", x])));
  while (list.children.length > MAX_EVENTS) list.lastElementChild.remove();
}

/** The recorded history of every imported pool, oldest first (lines "TIME DETAIL"). */
async function loadHistory() {
  const pools = await request({type: "read", mbean: POOL_MANAGER, attribute: "Pools"});
  const lines = [];
  for (const name of pools) {
    for (const line of await exec(poolMBean(name), "events")) {
      const space = line.indexOf(" ");
      lines.push({time: line.substring(0, space), pool: name, detail: line.substring(space + 1)});
    }
  }
  lines.sort((a, b) => a.time.localeCompare(b.time));
  for (const l of lines) addEvent(l.time, l.pool, "", l.detail, false);
}

/** Jolokia pull mode: register a client, subscribe to both managers, then pull from the notification store. */
async function followEvents() {
  const registered = await request({type: "notification", command: "register"});
  const client = registered.id;
  const store = registered.backend && registered.backend.pull && registered.backend.pull.store;
  if (!store) throw new Error("this Jolokia offers no pull-mode notifications");
  const handles = [];
  for (const mbean of [POOL_MANAGER, TARGET_MANAGER]) {
    try {
      handles.push(await request({type: "notification", command: "add", client, mode: "pull", mbean}));
    } catch (e) {
      if (mbean === POOL_MANAGER) throw e;   // no TargetManager: no targets on this server, pools only
    }
  }
  // leaving the page ends the subscription (Jolokia would drop an idle client later anyway)
  window.addEventListener("pagehide", () => fetch(JOLOKIA, {method: "POST", keepalive: true,
    body: JSON.stringify({type: "notification", command: "unregister", client})}).catch(() => {}));
  $("events-mode").textContent = "live (Jolokia pull-mode notifications)";
  const pull = async () => {
    try {
      const answers = await post(handles.map(h => ({type: "exec", mbean: store, operation: "pull",
        arguments: [client, h]})));
      for (const a of answers) {
        if (a.status !== 200) throw new JolokiaError(a);
        for (const n of (a.value && a.value.notifications) || []) {
          const d = n.userData || {};
          addEvent(d.time || new Date(n.timeStamp).toISOString(), d.pool, n.type, d.detail || n.message, true);
        }
      }
    } catch (e) {
      $("events-mode").textContent = `not following: ${e.message}`;
    }
    setTimeout(pull, PULL_MILLIS);
  };
  pull();
}

// ---- start

window.addEventListener("DOMContentLoaded", () => {
  $("error-close").addEventListener("click", clearError);
  $("scan").addEventListener("click", scan);
  pollForever();
  loadHistory().catch(e => addEvent(new Date().toISOString(), "", "console", `no history: ${e.message}`, false))
    .then(followEvents)
    .catch(e => { $("events-mode").textContent = `not following: ${e.message}`; });
});
