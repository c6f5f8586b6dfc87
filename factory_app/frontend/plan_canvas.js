// The plan view you work in (plain JS, no build step): the floor from above, drawn to scale.
// Tools: Select (click, shift-click, drag a box; drag items to move them, arrow keys nudge
// them a grid step; R turns, D copies, Delete removes; a selected station not yet on the
// floor is placed with a click), Keep-out (drag a rectangle), Dock (click), Conveyor (click two stations),
// Measure (click two points). The app receives one event per gesture through the "edit"
// trigger, e.g. {op: "move", items: ["station:weld"], lead: "station:weld", dx, dy} in metres;
// it snaps, validates and applies it, and sends the new layout (the last valid one when it
// refused the gesture). Labels are drawn last, at a fixed pixel size with a halo, so they stay
// readable at every zoom. Item keys are "station:ID", "zone:ID", "dock:ID", "conveyor:ID".
// One file of about 500 lines on purpose: Streamlit takes the component as a single script
// string, and there is no bundler to join smaller modules.
const NS = "http://www.w3.org/2000/svg";
const EPS = 1e-6;
const TOOLS = [["select", "Select", "V"], ["zone", "Keep-out", "K"], ["dock", "Dock", "O"],
  ["conveyor", "Conveyor", "C"], ["measure", "Measure", "M"]];
const HINTS = {
  select: "Click selects, shift-click adds, drag on the floor selects a box; drag a selected item to move the group.",
  zone: "Drag a rectangle to draw a keep-out zone (snapped to the grid).",
  dock: "Click where the dock goes (on the floor, snapped to the grid).",
  conveyor: "Click the station the conveyor starts at, then the station it feeds.",
  measure: "Click two points: the distance is shown in metres.",
};

export default function (component) {
  const { parentElement, setTriggerValue } = component;
  const data = component.data[0]; // the app sends [plan]: a list, so Streamlit does not scan it for data frames
  let S = parentElement.__plan;
  if (!S) {
    S = parentElement.__plan = { tool: "select", zoneKind: "column", dockKind: "receiving", view: null,
      measure: null, from: null, status: "" };
    build(S, parentElement, setTriggerValue);
  }
  S.send = setTriggerValue;
  const floorKey = `${data.floor.width}x${data.floor.depth}`; // a new floor is shown whole; edits keep the zoom
  if (S.fitFor !== floorKey) { S.view = null; S.fitFor = floorKey; }
  S.data = data;
  S.selected = new Set(data.selected || []);
  S.drag = null;
  S.status = "";
  draw(S);
}

function el(tag, attrs, parent) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

function html(tag, attrs, parent, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

// --- the page: toolbar, status line and the drawing, built once ------------------------------

function build(S, parentElement, send) {
  const root = parentElement.querySelector(".plan") || html("div", { class: "plan" }, parentElement);
  root.replaceChildren();
  root.style.fontFamily = "sans-serif";
  const bar = html("div", { style: "display:flex;flex-wrap:wrap;gap:4px;align-items:center;margin-bottom:4px" }, root);
  const button = (label, title, onclick, testid) => {
    const b = html("button", { type: "button", title, "data-testid": testid,
      style: "padding:2px 8px;border:1px solid #bbb;border-radius:4px;background:#fff;cursor:pointer;font-size:13px" },
    bar, label);
    b.addEventListener("click", () => { onclick(); S.svg.focus({ preventScroll: true }); });
    return b;
  };
  S.toolButtons = {};
  for (const [tool, label, key] of TOOLS) {
    S.toolButtons[tool] = button(label, `${label} (${key})`, () => setTool(S, tool), `plan-tool-${tool}`);
  }
  const picker = (kinds, field, testid) => {
    const s = html("select", { "data-testid": testid, style: "font-size:13px" }, bar);
    for (const k of kinds) html("option", { value: k }, s, k);
    s.addEventListener("change", () => { S[field] = s.value; });
    return s;
  };
  S.zonePicker = picker(["column", "wall", "hazard"], "zoneKind", "plan-zone-kind");
  S.dockPicker = picker(["receiving", "shipping"], "dockKind", "plan-dock-kind");
  html("span", { style: "width:8px" }, bar);
  button("⟳ 90°", "Turn the selected stations and keep-out zones 90° (R)", () => act(S, "rotate"), "plan-rotate");
  button("Copy", "Copy the selected stations and keep-out zones to a free place (D)", () => act(S, "duplicate"), "plan-duplicate");
  button("Delete", "Delete the selected items (Delete)", () => act(S, "delete"), "plan-delete");
  html("span", { style: "width:8px" }, bar);
  button("+", "Zoom in (+)", () => zoom(S, 1.25), "plan-zoom-in");
  button("−", "Zoom out (−)", () => zoom(S, 0.8), "plan-zoom-out");
  button("Fit", "Show the whole floor (0)", () => { S.view = null; draw(S); }, "plan-fit");
  S.statusLine = html("div", { "data-testid": "plan-status", style: "font-size:12px;color:#444;height:18px;line-height:18px;margin-bottom:2px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis" }, root);
  S.svg = el("svg", { "data-testid": "plan-canvas", tabindex: 0, style: "outline:none;touch-action:none;user-select:none" }, root);
  S.svg.addEventListener("pointerdown", (e) => pointerDown(S, e));
  S.svg.addEventListener("pointermove", (e) => pointerMove(S, e));
  S.svg.addEventListener("pointerup", (e) => pointerUp(S, e));
  S.svg.addEventListener("wheel", (e) => {
    if (!e.ctrlKey && !e.metaKey && document.activeElement !== S.svg && S.svg.getRootNode().activeElement !== S.svg) return;
    e.preventDefault();
    zoom(S, e.deltaY < 0 ? 1.15 : 1 / 1.15, toMetres(S, e));
  }, { passive: false });
  S.svg.addEventListener("keydown", (e) => keyDown(S, e));
  S.root = root;
}

function setTool(S, tool) {
  S.tool = tool;
  S.from = null;
  S.drag = null;
  draw(S);
}

function say(S, text) {
  S.status = text;
  const waiting = S.tool === "select" && unplacedSelected(S);
  S.statusLine.textContent = text || (waiting ? `'${waiting}' is not on the floor yet: click where its centre goes.` : HINTS[S.tool]);
}

// a selected station that is not on the floor yet (one just added in the editor)
function unplacedSelected(S) {
  const key = [...S.selected].find((k) => k.startsWith("station:") && (S.data.unplaced || []).includes(split(k)[1]));
  return key ? split(key)[1] : null;
}

// the arrow keys move the selection one grid step
function nudge(S, dx, dy) {
  const items = [...S.selected].filter((k) => movable(S, k) && !(S.data.unplaced || []).includes(split(k)[1]));
  if (!items.length) { say(S, "Select something that can move first."); return; }
  S.send("edit", { op: "move", items, lead: items[0], dx: dx * S.data.grid, dy: dy * S.data.grid });
}

function act(S, op) {
  const items = [...S.selected];
  if (!items.length) { say(S, "Select something first."); return; }
  S.send("edit", { op, items });
}

function keyDown(S, e) {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const k = e.key;
  const tools = Object.fromEntries(TOOLS.map(([t, , key]) => [key.toLowerCase(), t]));
  if (k === "r" || k === "R") act(S, "rotate");
  else if (k === "d" || k === "D") act(S, "duplicate");
  else if (k === "Delete" || k === "Backspace") act(S, "delete");
  else if (k === "+" || k === "=") zoom(S, 1.25);
  else if (k === "-" || k === "_") zoom(S, 0.8);
  else if (k === "0") { S.view = null; draw(S); }
  else if (k.startsWith("Arrow")) nudge(S, { ArrowLeft: -1, ArrowRight: 1 }[k] || 0, { ArrowDown: -1, ArrowUp: 1 }[k] || 0);
  else if (k === "Escape") { S.from = null; S.measure = null; S.drag = null; select(S, [], null); }
  else if (tools[k.toLowerCase()]) setTool(S, tools[k.toLowerCase()]);
  else return;
  e.preventDefault();
  e.stopPropagation(); // Streamlit's own shortcuts (R reruns, C clears the cache) must not see it
}

// --- geometry: metres on the floor <-> pixels in the drawing ---------------------------------

function frame(S) {
  const b = S.data.bounds, pad = 0.5;
  const width = Math.max(240, S.root.clientWidth || 800);
  const base = width / (b.xmax - b.xmin + 2 * pad);
  const height = Math.min(900, Math.max(320, (b.ymax - b.ymin + 2 * pad) * base));
  if (!S.view) S.view = { k: 1, cx: (b.xmin + b.xmax) / 2, cy: (b.ymin + b.ymax) / 2 };
  const scale = base * S.view.k;
  return { width, height, scale,
    px: (x) => width / 2 + (x - S.view.cx) * scale, py: (y) => height / 2 - (y - S.view.cy) * scale };
}

function toMetres(S, e) {
  const r = S.svg.getBoundingClientRect(), f = S.frame;
  return { x: S.view.cx + (e.clientX - r.left - f.width / 2) / f.scale, y: S.view.cy - (e.clientY - r.top - f.height / 2) / f.scale };
}

function zoom(S, factor, at) {
  const v = S.view;
  const k = Math.min(40, Math.max(0.5, v.k * factor));
  if (at) { // keep the point under the pointer where it is
    const real = k / v.k;
    v.cx = at.x - (at.x - v.cx) / real;
    v.cy = at.y - (at.y - v.cy) / real;
  }
  v.k = k;
  draw(S);
}

const snap = (v, g) => Math.round(v / g) * g;

function overlaps(a, b) {
  return a.xmin < b.xmax - EPS && b.xmin < a.xmax - EPS && a.ymin < b.ymax - EPS && b.ymin < a.ymax - EPS;
}

function stationRect(s, dx = 0, dy = 0) {
  return { xmin: s.x - s.w / 2 + dx, ymin: s.y - s.d / 2 + dy, xmax: s.x + s.w / 2 + dx, ymax: s.y + s.d / 2 + dy };
}

function anchor(S, key) {
  const [kind, id] = split(key);
  if (kind === "station") { const s = S.data.stations.find((t) => t.id === id); return [s.x, s.y]; }
  if (kind === "zone") { const z = S.data.zones.find((t) => t.id === id); return [z.xmin, z.ymin]; }
  const d = S.data.docks.find((t) => t.id === id); return [d.x, d.y];
}

function split(key) { const i = key.indexOf(":"); return [key.slice(0, i), key.slice(i + 1)]; }

// The snapped move of a dragged group, and whether the layout check would take it (stations
// inside the floor and clear of each other and of keep-out zones): shown while dragging.
function dragPreview(S, drag, dxm, dym) {
  const g = S.data.grid, [ax, ay] = anchor(S, drag.lead);
  const sx = snap(ax + dxm, g) - ax, sy = snap(ay + dym, g) - ay;
  const moving = new Set(drag.items);
  const shift = (key, r) => moving.has(key) ? { xmin: r.xmin + sx, ymin: r.ymin + sy, xmax: r.xmax + sx, ymax: r.ymax + sy } : r;
  const zones = S.data.zones.map((z) => shift(`zone:${z.id}`, z));
  const stations = S.data.stations.map((s) => [s.id, shift(`station:${s.id}`, stationRect(s))]);
  const floor = { xmin: 0, ymin: 0, xmax: S.data.floor.width, ymax: S.data.floor.depth };
  const bad = new Set();
  for (const [id, r] of stations) {
    if (!moving.has(`station:${id}`) && !zones.some((z, i) => moving.has(`zone:${S.data.zones[i].id}`) && overlaps(r, z))) continue;
    const off = r.xmin < floor.xmin - EPS || r.ymin < floor.ymin - EPS || r.xmax > floor.xmax + EPS || r.ymax > floor.ymax + EPS;
    if (off || zones.some((z) => overlaps(r, z)) || stations.some(([o, q]) => o !== id && overlaps(r, q))) bad.add(`station:${id}`);
  }
  for (const z of S.data.zones) {
    const r = shift(`zone:${z.id}`, z);
    if (moving.has(`zone:${z.id}`) && (r.xmin < -EPS || r.ymin < -EPS || r.xmax > floor.xmax + EPS || r.ymax > floor.ymax + EPS)) bad.add(`zone:${z.id}`);
  }
  for (const d of S.data.docks) {
    const x = d.x + sx, y = d.y + sy;
    if (moving.has(`dock:${d.id}`) && (x < -EPS || y < -EPS || x > floor.xmax + EPS || y > floor.ymax + EPS)) bad.add(`dock:${d.id}`);
  }
  return { sx, sy, bad };
}

// --- drawing ---------------------------------------------------------------------------------

function draw(S) {
  const f = (S.frame = frame(S));
  const { px, py, scale } = f;
  const d = S.data, svg = S.svg;
  svg.replaceChildren();
  svg.setAttribute("width", f.width);
  svg.setAttribute("height", f.height);
  svg.setAttribute("data-px-per-m", scale); // the scale, for the browser test to aim with
  for (const [tool, b] of Object.entries(S.toolButtons)) {
    b.style.background = tool === S.tool ? "#dbe8ff" : "#fff";
    b.setAttribute("aria-pressed", tool === S.tool);
  }
  S.zonePicker.style.display = S.tool === "zone" ? "" : "none";
  S.dockPicker.style.display = S.tool === "dock" ? "" : "none";
  svg.style.cursor = S.tool === "select" ? "default" : "crosshair";
  const box = (r, attrs, parent) => el("rect", { x: px(r.xmin), y: py(r.ymax), width: (r.xmax - r.xmin) * scale,
    height: (r.ymax - r.ymin) * scale, ...attrs }, parent || svg);
  el("rect", { x: 0, y: 0, width: f.width, height: f.height, fill: "#fafafa", "data-background": 1 }, svg);
  const floor = { xmin: 0, ymin: 0, xmax: d.floor.width, ymax: d.floor.depth };
  box(floor, { fill: d.floor.colour, stroke: "#4a525c", "stroke-width": 1.5 });
  if (d.grid * scale >= 8) { // grid lines where they are far enough apart to help
    const lines = el("g", { stroke: "#c3c9d1", "stroke-width": 0.5, "pointer-events": "none" }, svg);
    for (let x = d.grid; x < d.floor.width - EPS; x += d.grid) el("line", { x1: px(x), x2: px(x), y1: py(0), y2: py(d.floor.depth) }, lines);
    for (let y = d.grid; y < d.floor.depth - EPS; y += d.grid) el("line", { x1: px(0), x2: px(d.floor.width), y1: py(y), y2: py(y) }, lines);
  }
  const drag = S.drag && S.drag.moved ? S.drag : null;
  const offset = (key) => (drag && drag.items.includes(key) ? `translate(${drag.preview.sx * scale},${-drag.preview.sy * scale})` : "");
  const outline = (key, normal, width) => {
    if (drag && drag.preview.bad.has(key)) return { stroke: "#d62728", "stroke-width": 3 };
    if (S.selected.has(key)) return { stroke: "#1f6feb", "stroke-width": 3 };
    return { stroke: normal, "stroke-width": width };
  };
  const labels = [];
  for (const z of d.zones) {
    const key = `zone:${z.id}`, g = el("g", { "data-key": key, transform: offset(key) }, svg);
    box(z, { fill: z.colour, opacity: 0.85, ...outline(key, "#666", 1) }, g);
    labels.push({ x: px((z.xmin + z.xmax) / 2), y: py((z.ymin + z.ymax) / 2), text: z.id, size: 10, key,
      half: (z.ymax - z.ymin) * scale / 2, area: (z.xmax - z.xmin) * (z.ymax - z.ymin) });
    tip(g, `keep-out ${z.kind} ${z.id}`);
  }
  for (const c of d.conveyors) {
    const key = `conveyor:${c.id}`, g = el("g", { "data-key": key }, svg);
    const points = c.points.map(([x, y]) => `${px(x)},${py(y)}`).join(" ");
    el("polyline", { points, fill: "none", stroke: "transparent", "stroke-width": 12 }, g);
    el("polyline", { points, fill: "none", stroke: S.selected.has(key) ? "#1f6feb" : c.colour,
      "stroke-width": Math.max(2, 0.3 * scale), "stroke-linejoin": "round", "stroke-dasharray": "6 3" }, g);
    tip(g, `conveyor ${c.id}`);
    const [a, b] = [c.points[c.points.length - 2], c.points[c.points.length - 1]];
    arrow(S, g, b, Math.atan2(b[1] - a[1], b[0] - a[0]), c.colour);
  }
  for (const s of d.stations) {
    const key = `station:${s.id}`;
    const g = el("g", { "data-key": key, "data-station": s.id, transform: offset(key) }, svg);
    g.style.cursor = S.tool !== "select" ? "crosshair" : s.fixed ? "not-allowed" : "grab";
    const look = s.bad ? { stroke: "#d62728", "stroke-width": 3 } : outline(key, "#333", 1);
    box(stationRect(s), { fill: s.colour, ...look, ...(s.fixed ? { "stroke-dasharray": "4 2" } : {}) }, g);
    if (scale >= 8) {
      el("circle", { cx: px(s.in[0]), cy: py(s.in[1]), r: 3, fill: "#2ca02c" }, g);
      el("circle", { cx: px(s.out[0]), cy: py(s.out[1]), r: 3, fill: "#d62728" }, g);
    }
    labels.push({ x: px(s.x), y: py(s.y), text: s.id + (s.fixed ? " (fixed)" : ""), size: 12, key,
      half: s.d * scale / 2, area: s.w * s.d });
    tip(g, `${s.id}${s.fixed ? " (fixed)" : ""}: ${s.w} x ${s.d} m at (${s.x}, ${s.y})`);
  }
  for (const k of d.docks) {
    const key = `dock:${k.id}`, g = el("g", { "data-key": key, transform: offset(key) }, svg);
    box(k.apron, { fill: k.colour, opacity: 0.35, stroke: "none" }, g);
    const r = Math.max(6, 0.4 * scale);
    el("rect", { x: px(k.x) - r, y: py(k.y) - r, width: 2 * r, height: 2 * r, fill: k.colour,
      ...outline(key, "#222", 1), transform: `rotate(45 ${px(k.x)} ${py(k.y)})` }, g);
    g.style.cursor = S.tool === "select" ? "grab" : "crosshair";
    labels.push({ x: px((k.apron.xmin + k.apron.xmax) / 2), y: py((k.apron.ymin + k.apron.ymax) / 2), text: k.id,
      size: 11, key, half: (k.apron.ymax - k.apron.ymin) * scale / 2, area: 1e6 });
    tip(g, `${k.kind} dock ${k.id} at (${k.x}, ${k.y})`);
  }
  drawLabels(S, labels, offset);
  drawOverlay(S);
  say(S, S.status);
}

// Labels last, at a fixed pixel size with a white halo, so they read the same at every zoom
// and over any box. Selected items are labelled first, then the larger boxes; a label that
// would cover one already placed tries above and below its box, else waits for a closer zoom
// (the item's tooltip still names it).
function drawLabels(S, labels, offset) {
  const layer = el("g", { "pointer-events": "none", "text-anchor": "middle", "dominant-baseline": "middle" }, S.svg);
  const placed = [];
  const order = labels.map((l, i) => [S.selected.has(l.key) ? 0 : 1, -l.area, i]).sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  for (const [, , i] of order) {
    const { x, y, text, size, key, half } = labels[i];
    const t = el("text", { x, y, "font-size": size, stroke: "#fff", "stroke-width": 3, "paint-order": "stroke",
      fill: "#111", "font-weight": S.selected.has(key) ? "bold" : "normal", transform: offset(key), "data-label": key }, layer);
    t.textContent = text;
    const w = (t.getComputedTextLength() || text.length * size * 0.6) + 4, h = size * 1.4 + 2;
    const box = (at) => ({ xmin: x - w / 2, xmax: x + w / 2, ymin: at - h / 2, ymax: at + h / 2 });
    const dy = [0, -(half + h / 2 + 1), half + h / 2 + 1].find((d) => !placed.some((q) => overlaps(q, box(y + d))));
    if (dy === undefined) { t.remove(); continue; }
    placed.push(box(y + dy));
    t.setAttribute("y", y + dy);
  }
}

function arrow(S, parent, [x, y], angle, colour) {
  const { px, py } = S.frame, L = 9;
  const tip = [px(x), py(y)], a = -angle;
  const p = (da) => `${tip[0] - L * Math.cos(a + da)},${tip[1] - L * Math.sin(a + da)}`;
  el("polygon", { points: `${tip[0]},${tip[1]} ${p(0.45)} ${p(-0.45)}`, fill: colour }, parent);
}

// what a gesture in progress adds on top: the rubber band, a zone being drawn, the conveyor's
// loose end, the measurement
function drawOverlay(S) {
  const { px, py, scale } = S.frame;
  S.svg.querySelector("[data-overlay]")?.remove();
  const g = el("g", { "data-overlay": 1, "pointer-events": "none" }, S.svg);
  const drag = S.drag;
  if (drag && drag.kind === "band" && drag.moved) {
    const r = norm(drag.start, drag.now);
    el("rect", { x: px(r.xmin), y: py(r.ymax), width: (r.xmax - r.xmin) * scale, height: (r.ymax - r.ymin) * scale,
      fill: "rgba(31,111,235,0.08)", stroke: "#1f6feb", "stroke-dasharray": "4 3" }, g);
  }
  if (drag && drag.kind === "zone" && drag.moved) {
    const gr = S.data.grid, r = norm(drag.start, drag.now);
    const s = { xmin: snap(r.xmin, gr), ymin: snap(r.ymin, gr), xmax: snap(r.xmax, gr), ymax: snap(r.ymax, gr) };
    el("rect", { x: px(s.xmin), y: py(s.ymax), width: (s.xmax - s.xmin) * scale, height: (s.ymax - s.ymin) * scale,
      fill: "rgba(120,120,120,0.35)", stroke: "#333", "stroke-dasharray": "4 3" }, g);
    label(g, px((s.xmin + s.xmax) / 2), py(s.ymax) - 10, `${fmt(s.xmax - s.xmin)} x ${fmt(s.ymax - s.ymin)} m`);
  }
  if (S.tool === "conveyor" && S.from && S.pointer) {
    const s = S.data.stations.find((t) => t.id === split(S.from)[1]);
    if (s) el("line", { x1: px(s.out[0]), y1: py(s.out[1]), x2: px(S.pointer.x), y2: py(S.pointer.y),
      stroke: "#3b4047", "stroke-width": 2, "stroke-dasharray": "6 3" }, g);
  }
  const m = S.measure;
  if (m) {
    const b = m.b || S.pointer;
    if (b) {
      el("line", { x1: px(m.a.x), y1: py(m.a.y), x2: px(b.x), y2: py(b.y), stroke: "#c2185b", "stroke-width": 2 }, g);
      for (const p of [m.a, b]) el("circle", { cx: px(p.x), cy: py(p.y), r: 4, fill: "#c2185b" }, g);
      const text = distance(m.a, b);
      label(g, (px(m.a.x) + px(b.x)) / 2, (py(m.a.y) + py(b.y)) / 2 - 12, text, "plan-measure");
      if (m.b) S.status = `Distance ${text} (Δx ${fmt(Math.abs(b.x - m.a.x))} m, Δy ${fmt(Math.abs(b.y - m.a.y))} m)`;
    }
  }
}

function tip(parent, text) {
  el("title", {}, parent).textContent = text;
}

function label(parent, x, y, text, testid) {
  const t = el("text", { x, y, "text-anchor": "middle", "font-size": 13, "font-weight": "bold", fill: "#111",
    stroke: "#fff", "stroke-width": 3, "paint-order": "stroke", ...(testid ? { "data-testid": testid } : {}) }, parent);
  t.textContent = text;
}

const fmt = (v) => (Math.round(v * 100) / 100).toFixed(2);
const distance = (a, b) => `${fmt(Math.hypot(b.x - a.x, b.y - a.y))} m`;
const norm = (a, b) => ({ xmin: Math.min(a.x, b.x), ymin: Math.min(a.y, b.y), xmax: Math.max(a.x, b.x), ymax: Math.max(a.y, b.y) });

// --- gestures --------------------------------------------------------------------------------

function itemAt(e) {
  const g = e.target.closest && e.target.closest("[data-key]");
  return g ? g.getAttribute("data-key") : null;
}

function select(S, items, primary) {
  S.selected = new Set(items);
  draw(S);
  S.send("edit", { op: "select", items, primary });
}

function movable(S, key) {
  const [kind, id] = split(key);
  if (kind === "station") return !S.data.stations.find((s) => s.id === id)?.fixed;
  return kind === "zone" || kind === "dock";
}

function pointerDown(S, e) {
  S.svg.focus({ preventScroll: true });
  const at = toMetres(S, e), key = itemAt(e);
  if (e.button === 1 || (e.button === 0 && e.altKey)) { // pan
    S.drag = { kind: "pan", client: [e.clientX, e.clientY], view: { ...S.view } };
  } else if (e.button !== 0) {
    return;
  } else if (S.tool === "select" && key) {
    S.drag = { kind: "move", key, shift: e.shiftKey, client: [e.clientX, e.clientY], start: at };
  } else if (S.tool === "select") {
    S.drag = { kind: "band", start: at, now: at, shift: e.shiftKey, client: [e.clientX, e.clientY] };
  } else if (S.tool === "zone") {
    S.drag = { kind: "zone", start: at, now: at, client: [e.clientX, e.clientY] };
  } else {
    S.drag = { kind: "click", key, client: [e.clientX, e.clientY] }; // pointer capture hides the target at the release
  }
  e.preventDefault();
  S.svg.setPointerCapture(e.pointerId);
}

function pointerMove(S, e) {
  const at = (S.pointer = toMetres(S, e));
  const drag = S.drag;
  if (!drag) {
    if ((S.tool === "measure" && S.measure && !S.measure.b) || (S.tool === "conveyor" && S.from)) drawOverlay(S);
    if (S.tool === "measure" && S.measure && !S.measure.b) say(S, `Distance ${distance(S.measure.a, at)}`);
    else if (!S.status) S.statusLine.textContent = `${HINTS[S.tool]}  (${fmt(at.x)}, ${fmt(at.y)}) m`;
    return;
  }
  const far = Math.hypot(e.clientX - drag.client[0], e.clientY - drag.client[1]) > 3;
  if (!drag.moved && !far) return;
  drag.moved = true;
  if (drag.kind === "pan") {
    S.view.cx = drag.view.cx - (e.clientX - drag.client[0]) / S.frame.scale;
    S.view.cy = drag.view.cy + (e.clientY - drag.client[1]) / S.frame.scale;
    draw(S);
  } else if (drag.kind === "move") {
    if (!drag.items) {
      if (!S.selected.has(drag.key)) S.selected = new Set([drag.key]);
      drag.items = [...S.selected].filter((k) => movable(S, k));
      drag.lead = drag.key;
      if (!movable(S, drag.key)) { S.drag = null; say(S, `${split(drag.key)[1]} cannot be moved${drag.key.startsWith("station") ? " (fixed)" : ""}.`); return; }
    }
    drag.preview = dragPreview(S, drag, ...moved(S, drag, e));
    draw(S);
    const p = drag.preview;
    say(S, `Move by (${fmt(p.sx)}, ${fmt(p.sy)}) m` + (p.bad.size ? ` — refused here: ${[...p.bad].map((k) => split(k)[1]).join(", ")} would overlap or leave the floor` : ""));
  } else {
    drag.now = at;
    drawOverlay(S);
  }
}

// how far the pointer went since it was pressed, in metres (from screen pixels, so nothing
// that shifts the drawing on the page changes it)
function moved(S, drag, e) {
  return [(e.clientX - drag.client[0]) / S.frame.scale, -(e.clientY - drag.client[1]) / S.frame.scale];
}

function pointerUp(S, e) {
  const drag = S.drag;
  S.drag = null;
  if (!drag) return;
  const at = toMetres(S, e);
  if (drag.kind === "pan") return;
  if (drag.kind === "move") {
    if (drag.moved && drag.items) {
      if (drag.items.length && (Math.abs(drag.preview.sx) > EPS || Math.abs(drag.preview.sy) > EPS)) {
        S.drag = drag; // keep it drawn at the drop until the app answers
        const [dx, dy] = moved(S, drag, e);
        S.send("edit", { op: "move", items: drag.items, lead: drag.lead, dx, dy });
      } else draw(S);
      return;
    }
    if (drag.shift) {
      const items = new Set(S.selected);
      items.has(drag.key) ? items.delete(drag.key) : items.add(drag.key);
      select(S, [...items], drag.key);
    } else select(S, [drag.key], drag.key);
  } else if (drag.kind === "band") {
    if (!drag.moved) {
      const waiting = unplacedSelected(S);
      if (waiting) S.send("edit", { op: "place", items: [`station:${waiting}`], x: at.x, y: at.y });
      else if (!drag.shift) select(S, [], null);
      return;
    }
    const r = norm(drag.start, at), hit = [];
    for (const s of S.data.stations) if (overlaps(stationRect(s), r)) hit.push(`station:${s.id}`);
    for (const z of S.data.zones) if (overlaps(z, r)) hit.push(`zone:${z.id}`);
    for (const d of S.data.docks) if (d.x >= r.xmin && d.x <= r.xmax && d.y >= r.ymin && d.y <= r.ymax) hit.push(`dock:${d.id}`);
    const items = drag.shift ? [...new Set([...S.selected, ...hit])] : hit;
    select(S, items, hit.find((k) => k.startsWith("station:")) || null);
  } else if (drag.kind === "zone") {
    if (!drag.moved) return draw(S);
    S.send("edit", { op: "add_zone", kind: S.zoneKind, x0: drag.start.x, y0: drag.start.y, x1: at.x, y1: at.y });
  } else if (S.tool === "dock") {
    S.send("edit", { op: "add_dock", kind: S.dockKind, x: at.x, y: at.y });
  } else if (S.tool === "conveyor") {
    const key = drag.key;
    if (!key || !key.startsWith("station:")) { S.from = null; say(S, "Click a station: conveyors run between stations."); drawOverlay(S); return; }
    if (!S.from) { S.from = key; say(S, `From ${split(key)[1]}: now click the station it feeds.`); drawOverlay(S); return; }
    const from = S.from;
    S.from = null;
    S.send("edit", { op: "add_conveyor", from, to: key });
  } else if (S.tool === "measure") {
    S.measure = !S.measure || S.measure.b ? { a: at, b: null } : { a: S.measure.a, b: at };
    if (!S.measure.b) S.status = "";
    draw(S);
  }
}
