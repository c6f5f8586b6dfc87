// The plan view you work in: stations drawn to scale from above; drag one and drop it, and
// the app receives {id, x, y} (the new centre in metres, snapped to the floor grid). The app
// validates the drop; a refused drop comes back as the last valid layout on the next render.
export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const svgNS = "http://www.w3.org/2000/svg";
  const root = parentElement.querySelector(".plan") || parentElement.appendChild(document.createElement("div"));
  root.className = "plan";
  root.replaceChildren();
  const width = Math.max(200, root.clientWidth || parentElement.clientWidth || 800);
  const margin = 0.6;
  const fw = data.floor.width + 2 * margin, fd = data.floor.depth + 2 * margin;
  const scale = width / fw;
  const height = Math.min(900, fd * scale);
  const px = (x) => (x + margin) * scale;
  const py = (y) => (fd - margin - y) * scale; // y up, as on the floor plan
  const svg = document.createElementNS(svgNS, "svg");
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.setAttribute("data-testid", "plan-drag");
  const rect = (x0, y0, x1, y1, attrs) => {
    const r = document.createElementNS(svgNS, "rect");
    r.setAttribute("x", px(x0));
    r.setAttribute("y", py(y1));
    r.setAttribute("width", (x1 - x0) * scale);
    r.setAttribute("height", (y1 - y0) * scale);
    for (const [k, v] of Object.entries(attrs)) r.setAttribute(k, v);
    svg.appendChild(r);
    return r;
  };
  rect(0, 0, data.floor.width, data.floor.depth, { fill: data.floor.colour, stroke: "#555", "stroke-width": 1.5 });
  for (const z of data.zones) rect(z.xmin, z.ymin, z.xmax, z.ymax, { fill: z.colour, opacity: 0.8 });
  for (const s of data.stations) {
    const g = document.createElementNS(svgNS, "g");
    g.setAttribute("data-station", s.id);
    g.style.cursor = s.fixed ? "not-allowed" : "grab";
    const r = document.createElementNS(svgNS, "rect");
    r.setAttribute("x", px(s.x - s.w / 2));
    r.setAttribute("y", py(s.y + s.d / 2));
    r.setAttribute("width", s.w * scale);
    r.setAttribute("height", s.d * scale);
    r.setAttribute("fill", s.colour);
    r.setAttribute("stroke", s.bad ? "#d62728" : "#333");
    r.setAttribute("stroke-width", s.bad ? 3 : 1);
    const t = document.createElementNS(svgNS, "text");
    t.setAttribute("x", px(s.x));
    t.setAttribute("y", py(s.y));
    t.setAttribute("text-anchor", "middle");
    t.setAttribute("dominant-baseline", "middle");
    t.setAttribute("font-size", Math.max(9, Math.min(13, s.w * scale / Math.max(3, s.id.length) * 1.6)));
    t.setAttribute("pointer-events", "none");
    t.textContent = s.id;
    g.append(r, t);
    svg.appendChild(g);
    if (s.fixed) continue;
    g.addEventListener("pointerdown", (down) => {
      down.preventDefault();
      g.setPointerCapture(down.pointerId);
      g.style.cursor = "grabbing";
      const move = (ev) => {
        g.setAttribute("transform", `translate(${ev.clientX - down.clientX},${ev.clientY - down.clientY})`);
      };
      const up = (ev) => {
        g.removeEventListener("pointermove", move);
        g.removeEventListener("pointerup", up);
        g.style.cursor = "grab";
        const dx = (ev.clientX - down.clientX) / scale, dy = -(ev.clientY - down.clientY) / scale;
        if (Math.abs(dx) < 1e-6 && Math.abs(dy) < 1e-6) return;
        const snap = (v) => Math.round(v / data.grid) * data.grid;
        setTriggerValue("drop", { id: s.id, x: +snap(s.x + dx).toFixed(6), y: +snap(s.y + dy).toFixed(6) });
      };
      g.addEventListener("pointermove", move);
      g.addEventListener("pointerup", up);
    });
  }
  root.appendChild(svg);
}
