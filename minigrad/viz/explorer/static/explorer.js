// The backprop explorer: draws the laid-out graph views, the details of a clicked vertex and the
// attention maps, from the JSON document in #explorer-data (see minigrad/viz/explorer/).
"use strict";

const DATA = JSON.parse(document.getElementById("explorer-data").textContent);
const SVG_NS = "http://www.w3.org/2000/svg";

// ------------------------------------------------------------------------------------- helpers

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

function svg(tag, attrs, parent) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

// A number as the page prints it: 4 significant digits (exponent when very small or large).
function fmt(x, digits = 4) {
  if (x === null || x === undefined) return "–";
  if (x === 0) return "0";
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e5 ? String(Number(x.toPrecision(digits))) : x.toExponential(digits - 1);
}

function shapeText(shape) {
  return shape && shape.length ? "[" + shape.join(", ") + "]" : "scalar";
}

const decoded = new Map();
// base64 little-endian float32 -> Float32Array (cached: the same text is decoded once).
function decode(b64) {
  if (!decoded.has(b64)) {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    decoded.set(b64, new Float32Array(bytes.buffer));
  }
  return decoded.get(b64);
}

// Colours. Gradient norms: ColorBrewer "Oranges" on a log scale, as in viz.draw.
const ORANGES = ["#fee6ce", "#fdd0a2", "#fdae6b", "#fd8d3c", "#f16913", "#d94801", "#a63603", "#7f2704"];
const KIND_FILL = { input: "#fff2cc", param: "#dae8fc", const: "#ffffff", output: "#d5e8d4",
  op: "#e8e8e8", module: "#e1d5e7" };
const KIND_STROKE = { input: "#b5912b", param: "#6c8ebf", const: "#999999", output: "#4d8a3a",
  op: "#666666", module: "#9673a6" };
const KIND_NAME = { input: "input", param: "parameter", const: "constant", output: "output",
  op: "op (and the tensor it made)", module: "module (click to open)" };

function gradScale() {
  const norms = [];
  for (const n of Object.values(DATA.nodes)) if (n.grad > 0) norms.push(n.grad);
  for (const m of Object.values(DATA.modules)) if (m.grad > 0) norms.push(m.grad);
  for (const v of DATA.views) for (const e of v.edges) if (e[3] > 0) norms.push(e[3]);
  if (!norms.length) return null;
  // From the 5th percentile up: a few vanishing gradients would otherwise darken everything.
  norms.sort((a, b) => a - b);
  const lo = Math.log10(norms[Math.floor(0.05 * (norms.length - 1))]), hi = Math.log10(norms[norms.length - 1]);
  return { lo, hi, t: (g) => (hi > lo ? Math.min(1, Math.max(0, (Math.log10(g) - lo) / (hi - lo))) : 1) };
}
const SCALE = gradScale();

function gradColor(g, lightest = 0) {
  if (g === null || g === undefined || !SCALE) return null;
  if (g === 0) return "#c8c8c8";
  const n = ORANGES.length - 1 - lightest;
  return ORANGES[lightest + Math.round(SCALE.t(g) * n)];
}

// Heatmap colours: diverging blue-white-red around 0 for values and gradients; white to dark
// blue from 0 to 1 for attention weights.
// Each returns [r, g, b]; css() makes the colour text.
function divergingRGB(x, scale) {
  const t = scale > 0 ? Math.max(-1, Math.min(1, x / scale)) : 0;
  const c = (a, b) => Math.round(a + (b - a) * Math.abs(t));
  return t >= 0 ? [c(255, 178), c(255, 24), c(255, 43)] : [c(255, 33), c(255, 102), c(255, 172)];
}
function sequentialRGB(x) {
  const t = Math.max(0, Math.min(1, x));
  const c = (a, b) => Math.round(a + (b - a) * t);
  return [c(255, 8), c(255, 48), c(255, 107)];
}
const css = (rgb) => `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`;
const diverging = (x, scale) => css(divergingRGB(x, scale));
const sequential = (x) => css(sequentialRGB(x));

// ------------------------------------------------------------------------------------- graph

const graphSvg = document.getElementById("graph");
const state = { view: DATA.depth, selected: null, zoom: null };

function nodeInfo(id) {
  return DATA.nodes[id] || DATA.modules[id];
}

function drawView(index) {
  state.view = index;
  const view = DATA.views[index];
  const byGrad = document.getElementById("by-grad").checked && SCALE;
  graphSvg.replaceChildren();
  const defs = svg("defs", {}, graphSvg);
  const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5,
    markerWidth: 6, markerHeight: 6, orient: "auto-start-reverse", markerUnits: "userSpaceOnUse" }, defs);
  svg("path", { d: "M0,0L10,5L0,10z", fill: "#555" }, marker);
  const root = svg("g", { id: "viewport" }, graphSvg);
  for (const [cid, x0, y0, x1, y1] of view.clusters) {
    const g = svg("g", { class: "cluster", "data-id": cid }, root);
    svg("rect", { x: x0, y: y0, width: x1 - x0, height: y1 - y0, rx: 6, fill: "#fafafa",
      stroke: "#b0b0b0" }, g);
    const m = DATA.modules[cid];
    const label = svg("text", { x: x0 + 6, y: y0 + 13, "font-size": 10, fill: "#555" }, g);
    label.textContent = m.label;
    svg("title", {}, label).textContent = `close ${m.name}`;
    label.addEventListener("click", (ev) => { ev.stopPropagation(); closeModule(cid); });
  }
  for (const [src, dst, d, grad] of view.edges) {
    const color = (grad !== null && SCALE && gradColor(grad, 2)) || "#888";
    const width = grad !== null && grad > 0 && SCALE ? 0.7 + 3.3 * SCALE.t(grad) : 0.8;
    const p = svg("path", { d, fill: "none", stroke: color, "stroke-width": width.toFixed(2),
      "marker-end": "url(#arrow)", "data-src": src, "data-dst": dst }, root);
    if (grad !== null) svg("title", {}, p).textContent = `gradient norm ${fmt(grad)}`;
  }
  for (const [id, x, y, w, h] of view.nodes) drawNode(root, id, x, y, w, h, byGrad);
  fitView(view);
  drawCrumbs();
  if (state.selected) highlight(state.selected);
}

function drawNode(root, id, x, y, w, h, byGrad) {
  const info = nodeInfo(id);
  const kind = DATA.modules[id] ? "module" : info.kind;
  const g = svg("g", { class: "node", "data-id": id, "data-kind": kind }, root);
  const fill = (byGrad && gradColor(info.grad)) || KIND_FILL[kind] || "#fff";
  const attrs = { fill, stroke: KIND_STROKE[kind] || "#666", class: "shape", "data-fill": fill };
  const box3d = kind === "module";
  if (kind === "op") {
    svg("ellipse", { cx: x, cy: y, rx: w / 2, ry: h / 2, ...attrs }, g);
  } else {
    if (box3d) {  // a 3-D box: a second face behind, up and to the right
      svg("rect", { x: x - w / 2 + 4, y: y - h / 2 - 4, width: w - 4, height: h - 4,
        fill: KIND_FILL.module, stroke: KIND_STROKE.module }, g);
    }
    svg("rect", { x: x - w / 2, y: y - h / 2, width: w - (box3d ? 4 : 0), height: h, rx: box3d ? 0 : 4,
      ...attrs, "stroke-dasharray": kind === "const" ? "3,2" : "none" }, g);
  }
  const lines = info.lines || [info.title || id];
  const dark = byGrad && info.grad > 0 && SCALE.t(info.grad) > 0.55;
  lines.forEach((line, i) => {
    const t = svg("text", { x: x - (box3d ? 2 : 0), y: y + (i - (lines.length - 1) / 2) * 12 + 3.5,
      "text-anchor": "middle", "font-size": 10, "font-weight": i === 0 ? "bold" : "normal",
      fill: dark ? "#fff" : "#222" }, g);
    t.textContent = line;
  });
  if (info.grad !== undefined && info.grad !== null) {
    svg("title", {}, g).textContent = `gradient norm ${fmt(info.grad)}`;
  }
  g.addEventListener("click", (ev) => {
    ev.stopPropagation();
    if (kind === "module") openModule(id);
    select(id);
  });
}

// Replay the backward pass on the current view: vertices light up in the order backward reaches
// them (the output first, the inputs and parameters last), with the arrows their gradient takes.
function playBackward() {
  const index = state.view;
  const ids = DATA.views[index].nodes.map((n) => n[0]).sort((a, b) => nodeInfo(b).order - nodeInfo(a).order);
  for (const s of graphSvg.querySelectorAll("g.node .shape")) s.setAttribute("fill", "#f2f2f2");
  for (const p of graphSvg.querySelectorAll("path[data-dst]")) p.style.opacity = 0.12;
  const status = document.getElementById("play-status");
  let k = 0;
  const timer = setInterval(() => {
    if (state.view !== index || k === ids.length) {
      clearInterval(timer);
      status.textContent = "";
      return;
    }
    const id = ids[k++];
    for (const s of graphSvg.querySelectorAll(`g.node[data-id="${id}"] .shape`)) s.setAttribute("fill", s.dataset.fill);
    for (const p of graphSvg.querySelectorAll(`path[data-dst="${id}"]`)) p.style.opacity = 1;
    status.textContent = `backward ${k}/${ids.length}: ${nameOf(id)}`;
  }, Math.max(30, Math.min(400, 5000 / ids.length)));
}

function openModule(cid) {
  drawView(DATA.modules[cid].view);
}

// Close an open module: back to its caller's view (or, at the first depths, to a shallower one).
function closeModule(cid) {
  const m = DATA.modules[cid];
  if (m.depth > DATA.depth && m.parent) openModule(m.parent);
  else drawView(m.depth - 1);
  select(cid);
}

function drawCrumbs() {
  const crumbs = document.getElementById("crumbs");
  const view = DATA.views[state.view];
  document.getElementById("depth").value = view.focus ? "" : String(state.view);
  crumbs.replaceChildren();
  if (!view.focus) return;
  const chain = [];
  for (let c = view.focus; c; c = DATA.modules[c].parent) chain.unshift(c);
  crumbs.append("open: ");
  chain.forEach((c, i) => {
    if (i) crumbs.append(" › ");
    const a = el("a", { "data-id": c }, DATA.modules[c].short);
    a.addEventListener("click", () => select(c));
    crumbs.append(a);
  });
}

// Pan and zoom: a transform on the viewport group.
// Fit the view (or, in a module's own view, that module) to the pane, but never so small that
// labels cannot be read: a bigger graph starts at its top and is panned.
function fitView(view) {
  const pane = graphSvg.getBoundingClientRect();
  const focus = view.focus && view.clusters.find((c) => c[0] === view.focus);
  const [x0, y0, x1, y1] = focus ? focus.slice(1) : [0, 0, view.w, view.h];
  const fit = Math.min((pane.width - 20) / (x1 - x0), (pane.height - 20) / (y1 - y0));
  const k = Math.max(0.6, Math.min(1.3, fit || 1));
  const top = Math.max(10, (pane.height - (y1 - y0) * k) / 2);
  state.zoom = { k, x: (pane.width - (x1 - x0) * k) / 2 - x0 * k, y: top - y0 * k };
  applyZoom();
}
function applyZoom() {
  const z = state.zoom;
  document.getElementById("viewport").setAttribute("transform", `translate(${z.x},${z.y}) scale(${z.k})`);
}
graphSvg.addEventListener("wheel", (ev) => {
  ev.preventDefault();
  const z = state.zoom, r = graphSvg.getBoundingClientRect();
  const f = Math.exp(-ev.deltaY * 0.0015), px = ev.clientX - r.left, py = ev.clientY - r.top;
  z.x = px - (px - z.x) * f; z.y = py - (py - z.y) * f; z.k *= f;
  applyZoom();
}, { passive: false });
graphSvg.addEventListener("mousedown", (ev) => {
  const start = { x: ev.clientX, y: ev.clientY, zx: state.zoom.x, zy: state.zoom.y };
  const move = (e) => { state.zoom.x = start.zx + e.clientX - start.x; state.zoom.y = start.zy + e.clientY - start.y; applyZoom(); };
  const up = () => { window.removeEventListener("mousemove", move); window.removeEventListener("mouseup", up); };
  window.addEventListener("mousemove", move);
  window.addEventListener("mouseup", up);
});

function highlight(id) {
  for (const g of graphSvg.querySelectorAll("g.node.selected")) g.classList.remove("selected");
  const g = graphSvg.querySelector(`g.node[data-id="${id}"]`);
  if (g) g.classList.add("selected");
}

function drawLegend() {
  const legend = document.getElementById("legend");
  const kinds = new Set(["module"]);
  for (const n of Object.values(DATA.nodes)) kinds.add(n.kind);
  const rows = [...kinds].filter((k) => KIND_NAME[k]).map((k) =>
    `<span class="sw" style="background:${KIND_FILL[k]};border:1px solid ${KIND_STROKE[k]}"></span> ${KIND_NAME[k]}`);
  if (SCALE) {
    const sw = ORANGES.map((c) => `<span class="sw" style="background:${c}"></span>`).join("");
    rows.push(`gradient norm ${fmt(10 ** SCALE.lo, 2)} ${sw} ${fmt(10 ** SCALE.hi, 2)} (log scale; arrow width too)`);
  } else {
    rows.push("no gradients recorded: run backward inside viz.record_gradients()");
  }
  legend.innerHTML = rows.join("<br>");
}

// ------------------------------------------------------------------------------------- details

const details = document.getElementById("details");

function ref(id, text) {
  const a = el("a", { class: "ref", "data-ref": id }, text);
  a.addEventListener("click", () => select(id));
  return a;
}

function nameOf(id) {
  const n = nodeInfo(id);
  if (!n) return id;
  if (DATA.modules[id]) return n.name;
  return (n.title || n.kind) + (n.shape ? " " + shapeText(n.shape) : "");
}

function select(id) {
  state.selected = id;
  reveal(id);
  highlight(id);
  if (DATA.modules[id]) showModule(id);
  else showNode(id);
}

// Make sure the graph shows vertex `id`: if the current view does not, go to the view of the
// module it belongs to, or that opens it if it is a module (else the first view that has it).
function reveal(id) {
  const shows = (v) => v.nodes.some((n) => n[0] === id) || v.clusters.some((c) => c[0] === id);
  if (shows(DATA.views[state.view])) return;
  const owner = DATA.modules[id] ? [id, DATA.modules[id]]
    : Object.entries(DATA.modules).find(([, m]) => m.name === DATA.nodes[id].module);
  const own = owner ? owner[1].view : -1;
  const index = own >= 0 && shows(DATA.views[own]) ? own : DATA.views.findIndex(shows);
  if (index >= 0) drawView(index);
}

// The search box: the first vertex whose name contains the text (parameters first).
function find(text) {
  const q = text.trim().toLowerCase();
  if (!q) return;
  const hits = Object.entries(DATA.nodes).filter(([, n]) => (n.title || "").toLowerCase().includes(q));
  hits.sort((a, b) => (a[1].kind === "param" ? 0 : 1) - (b[1].kind === "param" ? 0 : 1));
  const module = Object.entries(DATA.modules).find(([, m]) => m.name.toLowerCase() === q);
  const id = module ? module[0] : hits.length ? hits[0][0] : null;
  document.getElementById("find").classList.toggle("missing", id === null);
  if (module) openModule(id);
  if (id !== null) select(id);
}

function showNode(id) {
  const n = DATA.nodes[id];
  details.replaceChildren();
  details.append(el("h2", { id: "d-title" }, n.title || n.kind, " ",
    el("span", { class: "badge", style: `background:${KIND_STROKE[n.kind] || "#777"}` }, n.kind)));
  const kv = el("table", { class: "kv" });
  const row = (k, v, rid) => kv.append(el("tr", {}, el("td", {}, k), el("td", rid ? { id: rid } : {}, v)));
  row("module", n.module || "(top level)", "d-module");
  if (n.shape) row("shape", shapeText(n.shape), "d-shape");
  if (n.dtype) row("dtype", n.dtype, "d-dtype");
  if (n.made_by) row("made by", ref(n.made_by, nameOf(n.made_by)), "d-made-by");
  details.append(kv);
  if (n.op) {
    details.append(el("h3", {}, `op: ${n.op}`));
    details.append(el("div", { class: "formula", id: "d-forward" }, "forward:  " + n.forward));
    if (n.backward) details.append(el("div", { class: "formula", id: "d-backward" }, "backward: " + n.backward));
    details.append(el("details", {}, el("summary", {}, "the op's docstring"), el("pre", {}, n.doc)));
    details.append(flowTable(n.grad, n.inputs, "this op's output", "sent to input"));
  }
  const t = DATA.tensors[id];
  tensorSection("value", t && t.value, n.shape, id, n.kind === "op" || n.kind === "output"
    ? "not kept: backward freed it (use loss.backward(retain_graph=True))" : "not available");
  tensorSection("grad", t && t.grad, n.shape, id,
    "no gradient recorded (run backward inside viz.record_gradients())");
}

// The gradient norm of an output beside the norms of the gradients sent to each input.
function flowTable(outGrad, inputs, outLabel, inLabel) {
  const wrap = el("div", { id: "d-flow" });
  wrap.append(el("h3", {}, "gradient flow ", el("small", {}, "‖gradient‖ arriving, and what goes on to each input")));
  const rows = [[outLabel, outGrad, null]];
  for (const i of inputs || []) rows.push([i, i.grad, i.id]);
  const top = Math.max(...rows.map((r) => r[1] || 0)) || 1;
  const table = el("table", { class: "flow" });
  for (const [what, g, id] of rows) {
    const label = id === null ? what : el("span", {}, `${inLabel}${what.slot === null || what.slot === undefined ? "" : " " + what.slot}: `, ref(id, nameOf(id)));
    const ratio = id !== null && outGrad > 0 && g !== null ? ` ×${fmt(g / outGrad, 3)}` : "";
    table.append(el("tr", {}, el("td", {}, label),
      el("td", { class: "norm" }, g === null || g === undefined ? "–" : fmt(g) + ratio),
      el("td", {}, el("span", { class: "bar", style: `width:${Math.round(100 * (g || 0) / top)}px` }))));
  }
  wrap.append(table);
  return wrap;
}

function showModule(cid) {
  const m = DATA.modules[cid];
  details.replaceChildren();
  details.append(el("h2", { id: "d-title" }, m.name, " ", el("span", { class: "badge", style: `background:${KIND_STROKE.module}` }, "module")));
  const kv = el("table", { class: "kv" });
  kv.append(el("tr", {}, el("td", {}, "class"), el("td", {}, m.class)));
  kv.append(el("tr", {}, el("td", {}, "parameters"), el("td", {}, m.params.toLocaleString("en"))));
  details.append(kv);
  const open = el("button", {}, DATA.views[state.view].open.includes(cid) ? "close" : "open in the graph");
  open.addEventListener("click", () => (DATA.views[state.view].open.includes(cid) ? closeModule(cid) : (openModule(cid), select(cid))));
  details.append(open);
  parameterTable(m);
  if (m.outputs) {
    const out = m.outputs[0];
    details.append(flowTable(out ? out.grad : null, m.inputs.map((i) => ({ ...i, slot: null })), "its output", "reaching input "));
    for (const o of m.outputs) {
      details.append(el("p", {}, "output: ", ref(o.id, nameOf(o.id))));
    }
    if (out && DATA.tensors[out.id]) {
      const t = DATA.tensors[out.id];
      tensorSection("value", t.value, DATA.nodes[out.id].shape, out.id, "not kept");
      tensorSection("grad", t.grad, DATA.nodes[out.id].shape, out.id, "no gradient recorded");
    }
  }
}

// The parameters used inside a module, largest gradient first.
function parameterTable(m) {
  const inside = (n) => m.depth === 1 || n.module === m.name || n.module.startsWith(m.name + ".");
  const params = Object.entries(DATA.nodes).filter(([, n]) => n.kind === "param" && inside(n));
  if (!params.length) return;
  params.sort((a, b) => (b[1].grad || 0) - (a[1].grad || 0));
  const top = params[0][1].grad || 1;
  const table = el("table", { class: "flow", id: "d-params" });
  for (const [id, n] of params) {
    const name = m.depth > 1 && n.title.startsWith(m.name + ".") ? n.title.slice(m.name.length + 1) : n.title;
    table.append(el("tr", {}, el("td", {}, ref(id, name)), el("td", { class: "nowrap" }, shapeText(n.shape)),
      el("td", {}, fmt(n.grad)), el("td", {}, el("span", { class: "bar", style: `width:${Math.round(80 * (n.grad || 0) / top)}px` }))));
  }
  details.append(el("h3", {}, "parameters ", el("small", {}, "‖gradient‖, largest first")), table);
}

// A tensor's value or gradient: statistics, first elements, a heatmap of a 2-D slice, histogram.
function tensorSection(which, rec, shape, id, missing) {
  const box = el("section", { id: `d-${which}`, class: "tensor" });
  box.append(el("h3", {}, which === "value" ? "value" : "gradient  d loss / d this"));
  details.append(box);
  if (!rec) { box.append(el("p", { class: "muted" }, missing)); return; }
  const s = rec.stats;
  const stats = el("div", { class: "stats" });
  for (const k of ["norm", "min", "max", "mean", "std"]) {
    stats.append(el("span", {}, `${k} `, el("b", { class: `stat-${k}` }, fmt(s[k]))));
  }
  if (s.nonfinite) stats.append(el("span", { style: "color:#c00" }, `${s.nonfinite} not finite`));
  box.append(stats);
  const values = decode(rec.data);
  const nFirst = Math.min(8, rec.crop.length ? rec.crop[rec.crop.length - 1] : 1);
  const first = el("div", { class: "first" }, "first: ");
  for (let i = 0; i < nFirst; i++) first.append(el("span", { "data-index": i, title: String(values[i]) }, fmt(values[i], 6)));
  box.append(first);
  const total = shape.reduce((a, b) => a * b, 1);
  if (values.length < total) {
    box.append(el("p", { class: "muted" }, `showing the first block ${shapeText(rec.crop)} of ${shapeText(shape)}; the statistics and histogram cover all ${total.toLocaleString("en")} elements`));
  }
  if (shape.length) heatmap(box, values, rec.crop, which);
  histogram(box, rec.hist, which);
}

function heatmap(box, values, crop, which) {
  const nd = crop.length, rows = nd >= 2 ? crop[nd - 2] : 1, cols = crop[nd - 1];
  const lead = crop.slice(0, Math.max(0, nd - 2));
  const index = lead.map(() => 0);
  const slicer = el("div", { class: "slicer" });
  lead.forEach((n, d) => {
    const sel = el("select", { "data-dim": d });
    for (let i = 0; i < n; i++) sel.append(el("option", { value: i }, `dim ${d} = ${i}`));
    sel.addEventListener("change", () => { index[d] = Number(sel.value); draw(); });
    slicer.append(sel);
  });
  if (lead.length) box.append(slicer);
  const cell = Math.max(2, Math.min(16, Math.floor(400 / cols), Math.floor(260 / rows)));
  const map = svg("svg", { width: cols * cell, height: rows * cell, class: "heatmap" });
  const readout = el("div", { class: "readout" }, "\u00a0");
  box.append(map, readout);
  function draw() {
    let offset = 0;
    lead.forEach((_, d) => { offset = offset * crop[d] + index[d]; });
    offset *= rows * cols;
    let scale = 0;
    for (let i = 0; i < rows * cols; i++) if (isFinite(values[offset + i])) scale = Math.max(scale, Math.abs(values[offset + i]));
    map.replaceChildren();
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const v = values[offset + r * cols + c];
        const rect = svg("rect", { x: c * cell, y: r * cell, width: cell, height: cell,
          fill: isFinite(v) ? diverging(v, scale) : "#000" }, map);
        rect.addEventListener("mouseenter", () => {
          const at = index.concat(nd >= 2 ? [r, c] : [c]);
          readout.textContent = `[${at.join(", ")}] = ${v}`;
        });
      }
    }
    readout.textContent = `colour: -${fmt(scale, 3)} (blue) … 0 (white) … +${fmt(scale, 3)} (red); hover a cell`;
  }
  draw();
}

function histogram(box, hist, which) {
  if (!hist) return;
  const w = 300, h = 60, n = hist.counts.length, top = Math.max(...hist.counts) || 1;
  const plot = svg("svg", { width: w, height: h + 14, class: "histogram" });
  hist.counts.forEach((c, i) => {
    const bh = c ? Math.max(1, (h * c) / top) : 0;
    const bar = svg("rect", { x: (i * w) / n, y: h - bh, width: w / n - 1, height: bh,
      fill: which === "value" ? "#6c8ebf" : "#f16913" }, plot);
    const lo = hist.lo + ((hist.hi - hist.lo) * i) / n, hi = hist.lo + ((hist.hi - hist.lo) * (i + 1)) / n;
    svg("title", {}, bar).textContent = `${c} in [${fmt(lo)}, ${fmt(hi)})`;
  });
  const lo = svg("text", { x: 0, y: h + 12, "font-size": 10 }, plot);
  lo.textContent = fmt(hist.lo);
  const hi = svg("text", { x: w, y: h + 12, "font-size": 10, "text-anchor": "end" }, plot);
  hi.textContent = fmt(hist.hi);
  box.append(el("div", { class: "muted" }, "histogram"), plot);
}

// ------------------------------------------------------------------------------------- attention

const attn = { layer: 0, head: 0, grad: false, query: 0 };

function setupAttention() {
  const layer = document.getElementById("attn-layer");
  if (!DATA.attention.length) {
    for (const e of document.querySelectorAll("#attention-pane > :not(#attn-note)")) e.hidden = true;
    document.getElementById("attn-note").textContent =
      "No attention weights in this graph. Attention computed by F.scaled_dot_product_attention " +
      "or kept by MultiHeadAttention(store_attention=True) shows here when the forward values " +
      "are kept: loss.backward(retain_graph=True).";
    return;
  }
  DATA.attention.forEach((a, i) => layer.append(el("option", { value: i }, a.name)));
  layer.addEventListener("change", () => { attn.layer = Number(layer.value); attn.head = 0; attn.query = 0; drawAttention(); });
  document.getElementById("attn-grad").addEventListener("change", (ev) => { attn.grad = ev.target.checked; drawAttention(); });
  drawAttention();
}

// One attention map of a head (weights, or gradients), and its masked cells: views into the data.
function headMaps(a, head, grad) {
  const size = a.queries.length * a.keys.length, off = head * size;
  return {
    shown: decode(grad ? a.grad : a.weights).subarray(off, off + size),
    masked: a.masked ? decode(a.masked).subarray(off, off + size) : null,
  };
}

function largest(shown, masked) {
  let scale = 0;
  for (let i = 0; i < shown.length; i++) if (!(masked && masked[i])) scale = Math.max(scale, Math.abs(shown[i]));
  return scale;
}

// Every layer and head at a glance, one small picture each (a canvas pixel per cell); click one
// to look at it closely.
function drawOverview() {
  const table = el("table", { id: "attn-overview" });
  DATA.attention.forEach((a, layer) => {
    const row = el("tr", {}, el("td", { class: "muted" }, a.name));
    const grad = attn.grad && a.grad;
    for (let h = 0; h < a.heads; h++) {
      const { shown, masked } = headMaps(a, h, grad);
      const scale = largest(shown, masked);
      const S = a.keys.length, L = a.queries.length;
      const canvas = el("canvas", { width: S, height: L, "data-layer": layer, "data-head": h,
        style: `width:${Math.max(24, Math.min(64, 4 * S))}px`,
        class: layer === attn.layer && h === attn.head ? "active" : "" });
      const ctx = canvas.getContext("2d"), image = ctx.createImageData(S, L);
      for (let i = 0; i < shown.length; i++) {
        const rgb = masked && masked[i] ? [235, 235, 235] : grad ? divergingRGB(shown[i], scale) : sequentialRGB(shown[i]);
        image.data.set([...rgb, 255], 4 * i);
      }
      ctx.putImageData(image, 0, 0);
      canvas.addEventListener("click", () => {
        attn.layer = layer; attn.head = h;
        document.getElementById("attn-layer").value = String(layer);
        drawAttention();
      });
      row.append(el("td", {}, canvas));
    }
    table.append(row);
  });
  document.getElementById("attn-overview").replaceWith(table);
}

function drawAttention() {
  const a = DATA.attention[attn.layer];
  const heads = document.getElementById("attn-heads");
  heads.replaceChildren("head ");
  for (let h = 0; h < a.heads; h++) {
    const b = el("button", { "data-head": h, class: h === attn.head ? "active" : "" }, String(h));
    b.addEventListener("click", () => { attn.head = h; drawAttention(); });
    heads.append(b);
  }
  const toggle = document.getElementById("attn-grad");
  toggle.disabled = !a.grad;
  if (!a.grad) attn.grad = false;
  toggle.checked = attn.grad;
  const L = a.queries.length, S = a.keys.length;
  const { shown, masked } = headMaps(a, attn.head, attn.grad);
  const scale = largest(shown, masked);
  drawOverview();
  const color = (v) => (attn.grad ? diverging(v, scale) : sequential(v));
  document.getElementById("attn-scale").textContent = attn.grad
    ? `colour: d loss / d weight, blue negative, red positive, up to |${fmt(scale, 3)}|`
    : "colour: weight, white 0 … dark blue 1";
  attentionMap(a, shown, masked, color, L, S);
  attentionLines(a, shown, masked, scale, L, S);
  if (!document.getElementById("attention-pane").hidden) showQuery(a, Math.min(attn.query, L - 1));
  document.getElementById("attn-note").replaceChildren(
    `${a.name}, batch element ${a.sample}: each row is one query's weights over the keys (rows sum to 1). `,
    masked ? "Crossed-out cells are masked: the query may not attend to that key. " : "",
    "Graph vertex: ", ref(a.node, DATA.nodes[a.node].title));
}

// The details of one query of the current head: its weights over the keys and the gradient of
// the loss with respect to each, as bars.
function showQuery(a, q) {
  attn.query = q;
  const L = a.queries.length, S = a.keys.length, off = attn.head * L * S + q * S;
  const w = decode(a.weights).subarray(off, off + S);
  const g = a.grad ? decode(a.grad).subarray(off, off + S) : null;
  const m = a.masked ? decode(a.masked).subarray(off, off + S) : null;
  details.replaceChildren(el("h2", { id: "d-title" }, `query ${q}: ${a.queries[q]}`));
  details.append(el("p", {}, `${a.name}, head ${attn.head}. Click a cell of the heatmap for another query.`));
  const top = Math.max(...Array.from(g || [0], Math.abs)) || 1;
  const table = el("table", { class: "flow", id: "d-query" });
  table.append(el("tr", {}, el("th", {}, "key"), el("th", {}, "weight"), el("th", {}, "d loss / d weight")));
  for (let k = 0; k < S; k++) {
    const masked = m && m[k];
    const gradBar = g && !masked ? el("span", { class: "bar", style: `width:${Math.round(60 * Math.abs(g[k]) / top)}px;background:${g[k] < 0 ? "#2166ac" : "#b2182b"}` }) : "";
    table.append(el("tr", {}, el("td", {}, `${k}: ${a.keys[k]}`),
      el("td", {}, masked ? "masked" : fmt(w[k]), " ", el("span", { class: "bar", style: `width:${Math.round(60 * w[k])}px;background:#08306b` })),
      el("td", {}, g && !masked ? fmt(g[k]) : "–", " ", gradBar)));
  }
  details.append(table);
  if (g) {
    details.append(el("p", { class: "muted" }, "A gradient descent step moves each weight against its gradient: " +
      "blue (negative) weights would grow, red ones shrink. The softmax's backward turns these into the " +
      "gradient of the scores: dS = P * (dP - rowsum(dP * P))."));
  }
  details.append(el("p", {}, "Graph vertex: ", ref(a.node, DATA.nodes[a.node].title)));
}

function attentionMap(a, shown, masked, color, L, S) {
  const map = document.getElementById("attn-map");
  const cell = Math.max(8, Math.min(36, Math.floor(480 / Math.max(L, S))));
  const pad = 8 + 7 * Math.max(...a.queries.map((t) => t.length), ...a.keys.map((t) => t.length));
  map.setAttribute("width", pad + S * cell + 4);
  map.setAttribute("height", pad + L * cell + 4);
  map.replaceChildren();
  a.keys.forEach((t, k) => {
    const x = pad + k * cell + cell / 2;
    svg("text", { x, y: pad - 4, "font-size": 10, transform: `rotate(-60 ${x} ${pad - 4})` }, map).textContent = t;
  });
  a.queries.forEach((t, q) => {
    svg("text", { x: pad - 4, y: pad + q * cell + cell / 2 + 3, "font-size": 10, "text-anchor": "end" }, map).textContent = t;
  });
  for (let q = 0; q < L; q++) {
    for (let k = 0; k < S; k++) {
      const i = q * S + k, x = pad + k * cell, y = pad + q * cell, m = masked && masked[i];
      const r = svg("rect", { x, y, width: cell, height: cell, fill: m ? "#eeeeee" : color(shown[i]),
        stroke: "#fff", "stroke-width": 0.5, class: "cell", "data-q": q, "data-k": k, "data-v": shown[i],
        "data-masked": m ? 1 : 0 }, map);
      svg("title", {}, r).textContent = `query ${q} (${a.queries[q]}) → key ${k} (${a.keys[k]}): ${m ? "masked" : shown[i]}`;
      r.addEventListener("click", () => showQuery(a, q));
      if (m) svg("path", { d: `M${x + 2},${y + 2}L${x + cell - 2},${y + cell - 2}M${x + cell - 2},${y + 2}L${x + 2},${y + cell - 2}`,
        stroke: "#bbb", "stroke-width": 1 }, map);
    }
  }
}

function attentionLines(a, shown, masked, scale, L, S) {
  const box = document.getElementById("attn-lines");
  const row = 18, width = 280, left = 90, right = width - 90, top = 24;
  box.setAttribute("width", width);
  box.setAttribute("height", Math.max(L, S) * row + top);
  box.replaceChildren();
  const lines = [];
  for (let q = 0; q < L; q++) {
    for (let k = 0; k < S; k++) {
      const i = q * S + k;
      if (masked && masked[i]) continue;
      const strength = attn.grad ? (scale > 0 ? Math.abs(shown[i]) / scale : 0) : shown[i];
      const line = svg("line", { x1: left, y1: top + q * row, x2: right, y2: top + k * row,
        stroke: attn.grad ? (shown[i] >= 0 ? "#b2182b" : "#2166ac") : "#08306b",
        "stroke-width": 0.5 + 3 * strength, "stroke-opacity": strength.toFixed(3), "data-q": q, "data-k": k }, box);
      lines.push(line);
    }
  }
  const side = (labels, x, anchor, isQuery) => labels.forEach((t, i) => {
    const label = svg("text", { x, y: top + 4 + i * row, "font-size": 11, "text-anchor": anchor }, box);
    label.textContent = t;
    if (isQuery) {
      label.addEventListener("mouseenter", () => lines.forEach((l) => { l.style.display = Number(l.dataset.q) === i ? "" : "none"; }));
      label.addEventListener("mouseleave", () => lines.forEach((l) => { l.style.display = ""; }));
    }
  });
  side(a.queries, left - 6, "end", true);
  side(a.keys, right + 6, "start", false);
  svg("text", { x: left - 6, y: 8, "font-size": 9, "text-anchor": "end", fill: "#888" }, box).textContent = "queries";
  svg("text", { x: right + 6, y: 8, "font-size": 9, fill: "#888" }, box).textContent = "keys";
}

// ------------------------------------------------------------------------------------- start

function setupTabs() {
  for (const b of document.querySelectorAll("#tabs button")) {
    b.addEventListener("click", () => {
      for (const o of document.querySelectorAll("#tabs button")) o.classList.toggle("active", o === b);
      const graph = b.dataset.tab === "graph";
      document.getElementById("graph-pane").hidden = !graph;
      document.getElementById("attention-pane").hidden = graph;
      document.getElementById("graph-tools").style.visibility = graph ? "visible" : "hidden";
      if (graph) drawView(state.view);
      else if (DATA.attention.length) drawAttention();
    });
  }
}

function setupGraphTools() {
  const depth = document.getElementById("depth");
  const deepest = Math.max(0, ...Object.values(DATA.modules).map((m) => m.depth));
  depth.append(el("option", { value: "", disabled: "" }, "–"));
  for (let d = 0; d <= deepest; d++) depth.append(el("option", { value: d }, d === deepest ? `${d} (every op)` : String(d)));
  depth.addEventListener("change", () => drawView(Number(depth.value)));
  document.getElementById("by-grad").addEventListener("change", () => drawView(state.view));
  document.getElementById("fit").addEventListener("click", () => fitView(DATA.views[state.view]));
  document.getElementById("play").addEventListener("click", playBackward);
  const search = document.getElementById("find");
  search.addEventListener("keydown", (ev) => { if (ev.key === "Enter") find(search.value); });
  if (!SCALE) document.getElementById("by-grad").checked = false;
}

// What the page could not show, and how to get it.
function noteMissing() {
  const notes = [];
  if (!DATA.kept.intermediate_values) {
    notes.push("Forward values of intermediate tensors were not kept: run loss.backward(retain_graph=True) before viz.explore.");
  }
  if (!DATA.kept.gradients) {
    notes.push("No gradients were recorded: run the backward pass inside viz.record_gradients().");
  }
  for (const n of notes) details.append(el("p", { class: "warning" }, n));
}

document.getElementById("title").textContent = DATA.title;
noteMissing();
setupTabs();
setupGraphTools();
drawLegend();
drawView(state.view);
setupAttention();
