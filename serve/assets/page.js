"use strict";
// The explorer's page: controls built from the server's config (sim's
// field table, the strategies registry), the URL as the state, and the
// API's answers drawn in place. Nothing is fetched but the API.
const CONFIG = /*CONFIG*/null;
const SVGNS = "http://www.w3.org/2000/svg";
const $ = (sel) => document.querySelector(sel);

// h makes an element: h("td", {class: "x"}, "text", child...). Text is
// always set as text, never parsed as markup.
function h(tag, attrs, ...kids) {
  const e = tag.startsWith("svg:") ? document.createElementNS(SVGNS, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
}

const defaults = Object.fromEntries(CONFIG.fields.map((f) => [f.name, f.default]));
const tabs = ["explore", "step", "ask"];
let tab = "explore";

// ---- the URL: the scenario's fields, why, step.* for explain, tab ----

function readURL() {
  const all = new URLSearchParams(location.search);
  const scen = new URLSearchParams(), step = new URLSearchParams();
  for (const [k, v] of all) {
    if (k === "tab") { if (tabs.includes(v)) tab = v; }
    else if (k.startsWith("step.")) step.set(k.slice(5), v);
    else scen.set(k, v);
  }
  return { scen, step };
}

function writeURL(scenQuery) {
  const parts = [];
  if (scenQuery) parts.push(scenQuery);
  const step = explainParams(true).toString();
  if (step) parts.push(step.replace(/(^|&)/g, "$1step."));
  if (tab !== "explore") parts.push("tab=" + tab);
  const q = parts.join("&");
  history.replaceState(null, "", q ? "?" + q : location.pathname);
}

// ---- tabs ----

function showTab(name) {
  tab = name;
  for (const t of tabs) {
    $("#" + t).hidden = t !== name;
    $("#tab-" + t).setAttribute("aria-selected", String(t === name));
  }
  writeURL(lastQuery);
}
for (const t of tabs) $("#tab-" + t).addEventListener("click", () => showTab(t));

// ---- Explore: controls from the field table ----

function baseValues() {
  const p = $("#preset").value;
  return p ? CONFIG.preset_values[p] : defaults;
}

function splitSpecs(s) { // as sim.SplitStrategies: a KEY=VALUE item continues the spec before it
  const out = [];
  for (let it of s.split(",")) {
    it = it.trim();
    if (!it) continue;
    if (out.length && it.includes("=") && !it.includes(":")) out[out.length - 1] += "," + it;
    else out.push(it);
  }
  return out;
}

function buildControls() {
  for (const p of CONFIG.presets) $("#preset").append(h("option", { value: p.name, title: p.description }, p.name));
  for (const f of CONFIG.fields) {
    const id = "f-" + f.name;
    const input = h("input", { id, name: f.name, "data-field": f.name, title: f.help, spellcheck: "false" });
    const box = h("div", { class: "field" }, h("label", { for: id }, f.name), input);
    if (f.choices) {
      box.append(h("datalist", { id: id + "-list" }, ...f.choices.map((c) => h("option", { value: c }))));
      input.setAttribute("list", id + "-list");
    }
    if (f.name === "rate") {
      const slider = h("input", { type: "range", id: "rate-slider", min: 0, max: 400, step: 1, "aria-label": "rate (log scale)" });
      slider.addEventListener("input", () => {
        const v = Math.pow(10, slider.value / 100);
        input.value = String(Number(v.toPrecision(v < 10 ? 2 : 3)));
        schedule(150);
      });
      box.append(slider);
    }
    if (f.name === "strategy") {
      const chips = h("div", { class: "chips", id: "chips" });
      for (const name of [...CONFIG.strategies, ...CONFIG.profiles.map((p) => "profile:" + p)]) {
        const b = h("button", { type: "button", "data-spec": name, title: "add or remove " + name }, name);
        b.addEventListener("click", () => {
          const specs = splitSpecs(input.value);
          const i = specs.indexOf(name);
          if (i >= 0) specs.splice(i, 1); else specs.push(name);
          input.value = specs.join(",");
          run();
        });
        chips.append(b);
      }
      box.append(chips);
    }
    box.append(h("small", {}, f.help));
    $(f.primary ? "#fields-primary" : "#fields-more").append(box);
    input.addEventListener("change", () => run());
  }
  $("#scenario").addEventListener("submit", (e) => { e.preventDefault(); run(); });
  $("#preset").addEventListener("change", () => { fillControls(new URLSearchParams()); run(); });
  $("#reset").addEventListener("click", () => { $("#preset").value = ""; $("#why").value = CONFIG.why; fillControls(new URLSearchParams()); run(); });
  $("#upload").addEventListener("change", upload);
  $("#why").addEventListener("change", () => run());
}

// fillControls sets every control from q over the preset's (or default) values.
function fillControls(q) {
  const base = baseValues();
  for (const f of CONFIG.fields) $("#f-" + f.name).value = q.has(f.name) ? q.get(f.name) : base[f.name];
  syncChrome();
}

// syncChrome follows the text controls: the slider, the chips.
function syncChrome() {
  const r = Number($("#f-rate").value);
  if (r > 0) $("#rate-slider").value = String(Math.round(100 * Math.log10(r)));
  const specs = splitSpecs($("#f-strategy").value);
  for (const b of document.querySelectorAll("#chips button")) b.classList.toggle("on", specs.includes(b.dataset.spec));
}

// scenarioParams is the query the controls give: the preset, the fields
// that differ from it, and why.
function scenarioParams() {
  const q = new URLSearchParams(), base = baseValues();
  if ($("#preset").value) q.set("preset", $("#preset").value);
  for (const f of CONFIG.fields) {
    const v = $("#f-" + f.name).value;
    if (v.trim() !== base[f.name]) q.set(f.name, v);
  }
  const why = $("#why").value.trim();
  if (why && why !== String(CONFIG.why)) q.set("why", why);
  return q;
}

let timer = 0;
function schedule(ms) { clearTimeout(timer); timer = setTimeout(run, ms); }

let lastQuery = "", runSeq = 0, controller = null, runs = 0;

// run asks the server to run the controls' scenario and draws the answer;
// an answer to an older request is dropped.
async function run() {
  clearTimeout(timer);
  syncChrome();
  const seq = ++runSeq;
  if (controller) controller.abort();
  controller = new AbortController();
  const q = scenarioParams().toString();
  const t0 = performance.now();
  $("#status").textContent = "running…";
  document.body.dataset.busy = "true";
  let res, body;
  try {
    res = await fetch("/api/run?" + q, { signal: controller.signal });
    body = await res.json();
  } catch (e) {
    if (e.name === "AbortError") return;
    body = { error: "the server did not answer: " + e.message };
  }
  if (seq !== runSeq) return;
  const t1 = performance.now();
  clearInvalid("#scenario");
  if (!res || !res.ok) {
    showError("#error", "#f-", body);
    $("#status").textContent = "not run: see the message";
    lastQuery = q; // so that a reload shows the same message
    writeURL(q);
  } else {
    $("#error").hidden = true;
    render(body);
    lastQuery = body.query;
    $("#download").href = "/api/scenario.yaml" + (body.query ? "?" + body.query : "");
    writeURL(body.query);
    void document.body.offsetHeight; // lay the new charts out before the clock stops
    const ms = performance.now() - t0;
    runs++;
    document.body.dataset.runMs = ms.toFixed(1);
    document.body.dataset.runs = String(runs);
    $("#status").textContent = `ran and redrew in ${Math.round(ms)} ms (server ${Math.round(body.timing.sim_ms)} ms to simulate, ` +
      `${Math.round(body.timing.charts_ms)} ms to draw; page ${Math.round(ms - (t1 - t0))} ms)`;
  }
  document.body.dataset.busy = "false";
}

function clearInvalid(form) {
  for (const e of document.querySelectorAll(form + " .invalid")) { e.classList.remove("invalid"); e.removeAttribute("aria-invalid"); }
}

function showError(box, prefix, body) {
  const e = $(box);
  e.textContent = body.error || "error";
  e.hidden = false;
  const input = body.field && document.getElementById(prefix.slice(1) + body.field);
  if (input) { input.classList.add("invalid"); input.setAttribute("aria-invalid", "true"); }
  if (body.field === "why") $("#why").classList.add("invalid");
}

function render(a) {
  // The results table.
  const t = $("#results");
  t.replaceChildren(h("thead", {}, h("tr", {}, ...a.columns.map((c) => h("th", { "data-col": c.key, title: c.help }, c.label)))));
  const tb = h("tbody");
  for (const r of a.rows) {
    tb.append(h("tr", {}, ...r.map((v, i) => {
      const key = a.columns[i].key;
      return h("td", { "data-col": key, class: key === "failures" && v !== "0" ? "hot" : null }, v);
    })));
  }
  t.append(tb);

  // The capacity gauges.
  const cap = $("#capacity");
  cap.replaceChildren();
  for (const c of a.capacity) cap.append(gauge(c));

  // The charts: SVG drawn by the server from the run alone.
  const charts = $("#charts");
  charts.replaceChildren();
  for (const c of a.charts) {
    const fig = h("figure", { "data-chart": c.name, "aria-label": c.title }); // the chart draws its title
    const svg = h("div", { class: "svg" });
    svg.innerHTML = c.svg;
    fig.append(svg, h("figcaption", {}, c.caption));
    charts.append(fig);
  }
  renderAsk(a);
}

function gauge(c) {
  const W = 640, H = 34, pad = 8;
  const top = Math.max(c.rate, c.limit || 0) * 1.3 || 1;
  const x = (v) => pad + (W - 2 * pad) * Math.min(v / top, 1);
  const svg = h("svg:svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": c.text });
  svg.append(h("svg:rect", { x: pad, y: 12, width: W - 2 * pad, height: 10, rx: 3, class: "free" }));
  if (c.limit > 0) {
    svg.append(h("svg:rect", { x: x(c.limit), y: 12, width: W - pad - x(c.limit), height: 10, fill: "#f6d5d1" }));
    svg.append(h("svg:line", { x1: x(c.limit), x2: x(c.limit), y1: 2, y2: 32, class: "cap-limit", "data-limit": c.limit.toFixed(1) }));
  }
  svg.append(h("svg:circle", { cx: x(c.rate), cy: 17, r: 7, class: "cap-marker", "data-over": String(c.over), "data-rate": c.rate }));
  return h("div", { class: "cap", "data-strategy": c.strategy }, svg, h("p", {}, c.text));
}

// ---- Ask ----

function renderAsk(a) {
  const w = a.why, out = $("#why-answer");
  const yes = (b) => h("span", { class: b ? "yes" : "no" }, b ? "yes" : "no");
  out.replaceChildren(
    h("p", { id: "why-verdict" }, w.verdict),
    h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "in this scenario"), h("th", {}, "range"), h("th", {}, `holds ${w.port}?`), h("th", {}, "picked"), h("th", {}, "how it picks"))),
      h("tbody", {}, ...w.strategies.map((s) => h("tr", {}, h("td", {}, s.strategy), h("td", {}, s.range), h("td", {}, yes(s.holds)),
        h("td", {}, s.picks ? `${s.picks}× (first at ${s.first_s.toFixed(2)} s, to ${s.first_dst})` : "never"), h("td", {}, s.how))))),
    h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "system"), h("th", {}, "range"), h("th", {}, `holds ${w.port}?`))),
      h("tbody", {}, ...w.systems.map((s) => h("tr", {}, h("td", {}, s.system + (s.when ? " (" + s.when + ")" : "")), h("td", {}, s.range), h("td", {}, yes(s.holds)))))));
  $("#cap-answer").replaceChildren(
    h("p", {}, "A closed connection keeps its 4-tuple in TIME_WAIT, so one destination sustains only about usable ports ÷ (lifetime + TIME_WAIT) new connections a second; past that, connect() fails with EADDRNOTAVAIL, “cannot assign requested address”."),
    h("ul", {}, ...a.capacity.map((c) => h("li", {}, c.text))));
  $("#findings").replaceChildren(...a.findings.map((f) => h("li", {}, f)));
}

// ---- load and save scenario files ----

async function upload() {
  const f = $("#upload").files[0];
  if (!f) return;
  const res = await fetch("/api/scenario", { method: "POST", body: await f.text() });
  const body = await res.json();
  $("#upload").value = "";
  if (!res.ok) { showError("#error", "#f-", body); return; }
  $("#preset").value = "";
  fillControls(new URLSearchParams(body.query));
  run();
}

// ---- Step through ----

const xKeys = ["strategy", "seed", "count", "dst", "src", "range", "reserved", "kind", "interval", "close"];
let walk = null, pos = 0, playing = 0, walkSeq = 0;

function xDefault(k) {
  return { strategy: CONFIG.explain.strategy, seed: String(CONFIG.explain.seed), count: String(CONFIG.explain.count), interval: CONFIG.explain.interval }[k] || "";
}

function buildExplain(step) {
  for (const s of CONFIG.strategies) $("#spec-list").append(h("option", { value: s }));
  for (const p of CONFIG.profiles) $("#spec-list").append(h("option", { value: "profile:" + p }));
  for (const k of CONFIG.kinds) $("#x-kind").append(h("option", { value: k }, k));
  for (const k of xKeys) {
    const e = $("#x-" + k);
    if (k === "close") e.checked = step.get("close") === "true";
    else if (k === "strategy" && step.has("profile")) e.value = "profile:" + step.get("profile");
    else e.value = step.has(k) ? step.get(k) : xDefault(k);
    e.addEventListener("change", loadWalk);
  }
  $("#explain").addEventListener("submit", (e) => { e.preventDefault(); loadWalk(); });
  $("#p-reset").addEventListener("click", () => { stop(); pos = 0; drawPick(); });
  $("#p-back").addEventListener("click", () => { stop(); if (pos > 0) pos--; drawPick(); });
  $("#p-step").addEventListener("click", () => { stop(); stepOnce(); });
  $("#p-play").addEventListener("click", () => {
    if (playing) { stop(); return; }
    if (walk && pos >= walk.picks.length) pos = 0;
    $("#p-play").textContent = "pause";
    playing = setInterval(() => { if (!stepOnce()) stop(); }, 800);
  });
  document.addEventListener("keydown", (e) => {
    if (tab !== "step" || ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName)) return;
    if (e.key === "ArrowRight") { stop(); stepOnce(); } else if (e.key === "ArrowLeft") { stop(); if (pos > 0) pos--; drawPick(); }
  });
}

function stop() { clearInterval(playing); playing = 0; $("#p-play").textContent = "play"; }
function stepOnce() { if (!walk || pos >= walk.picks.length) return false; pos++; drawPick(); return true; }

// explainParams are explain's flags from the form; forURL leaves out the
// defaults.
function explainParams(forURL) {
  const q = new URLSearchParams();
  for (const k of xKeys) {
    const e = $("#x-" + k);
    let v = k === "close" ? (e.checked ? "true" : "") : e.value.trim();
    if (!v || (forURL && v === xDefault(k))) continue;
    if (k === "strategy" && v.startsWith("profile:")) q.set("profile", v.slice(8));
    else q.set(k, v);
  }
  return q;
}

async function loadWalk() {
  stop();
  const seq = ++walkSeq;
  let res, body;
  try {
    res = await fetch("/api/explain?" + explainParams(false));
    body = await res.json();
  } catch (e) {
    body = { error: "the server did not answer: " + e.message };
  }
  if (seq !== walkSeq) return;
  clearInvalid("#explain");
  if (!res || !res.ok) {
    if (body.field === "profile") body.field = "strategy";
    showError("#step-error", "#x-", body);
    return;
  }
  $("#step-error").hidden = true;
  walk = body;
  pos = 0;
  $("#command").textContent = walk.command;
  $("#summary").textContent = walk.summary + (walk.kernel ? ` (the kernel would serve ${walk.kind} with ${walk.kernel})` : "");
  drawPick();
  writeURL(lastQuery);
  document.body.dataset.walk = String(walkSeq);
}

const plural = (n, w) => `${n} ${w}${n === 1 ? "" : "s"}`;

// drawPick shows the table as pick pos finds it, then what pick pos did.
function drawPick() {
  if (!walk) return;
  const n = walk.picks.length, pk = pos > 0 ? walk.picks[pos - 1] : null;
  $("#position").textContent = `pick ${pos} of ${n}`;
  $("#p-back").disabled = pos === 0;
  $("#p-step").disabled = pos === n;
  $("#pick-head").textContent = !pk ? "Press step (or →) to make the first pick."
    : `#${pk.n}  t=${pk.time_s}s  ${walk.src} -> ${pk.dst}  ` +
      (pk.error ? `FAILED after ${plural(pk.probes, "probe")}: ${pk.error}` : `port ${pk.port} after ${plural(pk.probes, "probe")}`);

  // What is in use when pick pos is made: the earlier picks, unless reset.
  const used = new Map(); // port -> "used" (same destination) or "shared"
  if (!walk.close) {
    for (const p of walk.picks.slice(0, Math.max(0, pos - 1))) {
      if (!p.port) continue;
      const same = !pk || p.dst === pk.dst || walk.kind !== "connect";
      if (same || !used.has(p.port)) used.set(p.port, same ? "used" : "shared");
    }
  }
  const probes = pk ? pk.steps.filter((s) => s.what === "probe") : [];
  for (const s of probes) if (!s.usable && /TIME_WAIT/.test(s.detail)) used.set(s.port, "tw");
  const reserved = (p) => walk.reserved.some((r) => p >= r.lo && p <= r.hi);
  const state = (p) => reserved(p) ? "reserved" : used.get(p) || "free";
  drawStrip(state, probes, pk);
  drawZoom(state, probes, pk);
  drawSteps(pk);

  const list = $("#picks");
  list.replaceChildren(...walk.picks.slice(0, pos).map((p) => h("li", {
    "data-n": p.n, "data-port": p.port, "data-probes": p.probes, class: p.error ? "failed" : null,
  }, p.error ? `#${p.n} failed (${plural(p.probes, "probe")})` : `#${p.n} → ${p.port} (${plural(p.probes, "probe")})`)));
}

// drawStrip draws the whole range: free, then the reserved ranges and the
// ports in use on top, and the probes above it in order.
function drawStrip(state, probes, pk) {
  const W = 960, x0 = 10, w = W - 20, lo = walk.range.lo, hi = walk.range.hi, size = hi - lo + 1;
  const svg = $("#strip"), pw = Math.max(1.5, w / size);
  const x = (p) => x0 + (p - lo) * w / size;
  svg.replaceChildren(h("svg:rect", { x: x0, y: 30, width: w, height: 22, class: "free" }));
  for (const r of walk.reserved) {
    const a = Math.max(r.lo, lo), b = Math.min(r.hi, hi);
    if (a <= b) svg.append(h("svg:rect", { x: x(a), y: 30, width: Math.max(pw, (b - a + 1) * w / size), height: 22, class: "reserved" }));
  }
  const seen = new Set();
  for (const p of [...walk.picks.map((p) => p.port), ...probes.map((s) => s.port)]) {
    const st = p && !seen.has(p) ? state(p) : "free";
    seen.add(p);
    if (st !== "free" && st !== "reserved") svg.append(h("svg:rect", { x: x(p), y: 30, width: pw, height: 22, class: st }));
  }
  svg.append(h("svg:text", { x: x0, y: 66 }, String(lo)), h("svg:text", { x: W - 10, y: 66, "text-anchor": "end" }, String(hi)));
  probes.slice(0, 200).forEach((s, i) => {
    const cls = s.usable ? "good" : "bad", cx = x(s.port) + pw / 2;
    svg.append(h("svg:text", { x: cx, y: 26, "text-anchor": "middle", class: cls }, "▼"));
    if (i < 9 && probes.length > 1) svg.append(h("svg:text", { x: cx, y: 12, "text-anchor": "middle", class: cls }, String(i + 1)));
  });
  if (pk && pk.port) svg.append(h("svg:text", { x: x(pk.port) + pw / 2, y: 66, "text-anchor": "middle", class: "good" }, String(pk.port)));
}

// drawZoom draws the ports around the choice (or the first probe) one by
// one, with the order they were probed in.
function drawZoom(state, probes, pk) {
  const svg = $("#zoom"), size = walk.range.hi - walk.range.lo + 1, span = Math.min(40, size - 1), W = 960, cw = (W - 20) / (span + 1);
  svg.replaceChildren();
  const centre = pk && pk.port ? pk.port : probes.length ? probes[0].port : walk.range.lo + span / 2;
  const lo = Math.max(walk.range.lo, Math.min(centre - Math.floor(span / 2), walk.range.hi - span));
  const order = new Map();
  probes.forEach((s, i) => { if (!order.has(s.port)) order.set(s.port, [i + 1, s.usable]); });
  for (let i = 0; i <= span; i++) {
    const p = lo + i, x = 10 + i * cw;
    svg.append(h("svg:rect", { x: x + 1, y: 18, width: cw - 2, height: 22, class: state(p), stroke: p === (pk && pk.port) ? "#1e8449" : "none", "stroke-width": 3 }));
    if (order.has(p)) {
      const [k, ok] = order.get(p);
      svg.append(h("svg:text", { x: x + cw / 2, y: 14, "text-anchor": "middle", class: ok ? "good" : "bad" }, String(k)));
    }
    if (p % 5 === 0) svg.append(h("svg:text", { x: x + cw / 2, y: 56, "text-anchor": "middle" }, String(p)));
  }
}

// drawSteps lists the pick's steps, a long run of rejected probes folded
// into one line as explain's text does.
function drawSteps(pk) {
  const t = $("#steps");
  if (!pk) { t.replaceChildren(); return; }
  const rows = [];
  const steps = pk.steps;
  for (let i = 0; i < steps.length && rows.length < 400; i++) {
    const s = steps[i];
    let detail = s.detail, cls = s.what;
    if (s.usable !== undefined) {
      cls = s.usable ? "usable" : "rejected";
      let verdict = s.usable ? "usable" : "rejected";
      if (!s.usable) {
        let n = 0;
        while (i + n < steps.length && steps[i + n].what === "probe" && steps[i + n].usable === false &&
          steps[i + n].detail === s.detail && steps[i + n].port === s.port + n) n++;
        if (n >= 5) { verdict = `rejected ×${n} (${s.port}-${steps[i + n - 1].port})`; i += n - 1; }
      }
      detail = verdict + ": " + detail;
    }
    rows.push(h("tr", { class: cls }, h("td", {}, s.what), h("td", {}, s.port || ""), h("td", {}, detail)));
  }
  t.replaceChildren(h("tbody", {}, ...rows));
}

// ---- start ----

const start = readURL();
buildControls();
buildExplain(start.step);
if (start.scen.has("preset") && CONFIG.preset_values[start.scen.get("preset")]) $("#preset").value = start.scen.get("preset");
fillControls(start.scen);
$("#why").value = start.scen.get("why") || CONFIG.why;
lastQuery = scenarioParams().toString(); // the URL keeps it until the server answers
showTab(tab);
run();
loadWalk();
