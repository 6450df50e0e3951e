// Polls /state and updates the page; loads the next frame only after the
// previous one has arrived, so a slow link never queues stale frames.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const frame = $("frame"), input = $("input"), box = $("digit-box");
  let shown = -1, loading = false, state = null;

  frame.addEventListener("load", () => {
    loading = false;
    frame.dataset.loaded = "1";
    placeBox();
  });
  frame.addEventListener("error", () => { loading = false; });

  function placeBox() {
    if (!state || !state.found || !state.box || !state.width) { box.hidden = true; return; }
    const sx = frame.clientWidth / state.width, sy = frame.clientHeight / state.height;
    const [x0, y0, x1, y1] = state.box;
    box.style.left = (x0 * sx) + "px";
    box.style.top = (y0 * sy) + "px";
    box.style.width = ((x1 - x0) * sx) + "px";
    box.style.height = ((y1 - y0) * sy) + "px";
    box.hidden = false;
  }

  function render(s) {
    state = s;
    $("label").textContent = s.found === false ? "?" : s.label;
    document.title = "edgecnn run: " + s.label;
    $("frame-index").textContent = s.frame;
    $("fps").textContent = s.fps.toFixed(1);
    $("latency").textContent = s.latency_ms.total.toFixed(2) + " ms";
    $("dropped").textContent = s.dropped;
    const top = $("top");
    top.replaceChildren(...s.top.map((t) => {
      const li = document.createElement("li");
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = t.label;
      const bar = document.createElement("span");
      bar.className = "bar";
      const fill = document.createElement("span");
      fill.style.width = (100 * t.prob).toFixed(1) + "%";
      bar.append(fill);
      const pct = document.createElement("span");
      pct.className = "pct";
      pct.textContent = (100 * t.prob).toFixed(1) + "%";
      li.append(name, bar, pct);
      return li;
    }));
    if (s.version !== shown && !loading) {
      shown = s.version;
      loading = true;
      frame.src = "/frame.jpg?v=" + s.version;
      input.src = "/input.png?v=" + s.version;
    }
    placeBox();
  }

  async function poll() {
    try {
      const r = await fetch("/state", { cache: "no-store" });
      if (r.ok) { render(await r.json()); }
    } catch (e) {
      // the run ended or the link dropped: keep the last picture
    }
    setTimeout(poll, 150);
  }
  poll();
})();
