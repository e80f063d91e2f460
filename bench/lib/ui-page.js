// Installed in the page before the UI's own scripts by bench/ui.ts (plain browser JavaScript: it is
// injected as text). Finds the calls view tolerantly, notes when rows first appear and when the view last
// changed, and scrolls it frame by frame. Everything hangs off `globalThis.__bench`.
(() => {
  /** The nearest ancestor that scrolls vertically. */
  const scrollable = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const style = getComputedStyle(e);
      if (/(auto|scroll)/.test(style.overflowY) && e.scrollHeight > e.clientHeight) return e;
    }
    return undefined;
  };

  /** The calls view: a grid or table with rows, a list with aria-setsize, or the largest scrolling list. */
  const find = () => {
    const grid = document.querySelector('[role="grid"], [role="treegrid"], table');
    if (grid) {
      const rows = [...grid.querySelectorAll('[role="row"], tbody tr')].filter(
        (r) => !r.closest("thead") && !r.querySelector('[role="columnheader"], th'),
      );
      if (rows.length) {
        const count = Number(grid.getAttribute("aria-rowcount"));
        return { rows, total: Number.isFinite(count) && count > 0 ? count : undefined, kind: "grid/table" };
      }
    }
    const items = [...document.querySelectorAll("li[aria-setsize]")];
    if (items.length) {
      const size = Number(items[0].getAttribute("aria-setsize"));
      return { rows: items, total: Number.isFinite(size) ? size : undefined, kind: "list with aria-setsize" };
    }
    let best = [];
    for (const list of document.querySelectorAll("ul, ol")) {
      const lis = [...list.children].filter((c) => c.tagName === "LI");
      if (lis.length > best.length && scrollable(list)) best = lis;
    }
    return best.length ? { rows: best, total: undefined, kind: "scrollable list" } : undefined;
  };

  /** The first "N calls …" text on the page (reads layout: not per frame). */
  const countText = () => {
    // biome-ignore lint/performance/useDomNodeTextContent: rendered text keeps the line breaks between elements; textContent runs them together
    const m = /(\d[\d,.]*)\s+calls?\b[^\n]*/i.exec(document.body?.innerText ?? "");
    return m ? m[0].trim().slice(0, 80) : undefined;
  };

  const bench = {
    firstRowsAt: undefined,
    lastChangeAt: undefined,
    lastKey: "",
    watching: true,
    longTasks: [],
    state: () => {
      const f = find();
      return { rows: f?.rows.length ?? 0, total: f?.total, countText: countText(), kind: f?.kind ?? "none" };
    },
    /** Scrolls the view from the top by `step` px per animation frame, to its end or `maxFrames`. */
    scroll: (step, maxFrames) =>
      new Promise((resolve) => {
        const scroller = scrollable(find()?.rows[0] ?? null);
        if (!scroller) {
          resolve(undefined);
          return;
        }
        scroller.scrollTop = 0;
        const longBefore = bench.longTasks.length;
        const frames = [];
        let last;
        const frame = (t) => {
          if (last !== undefined) frames.push(t - last);
          last = t;
          const end = scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 1;
          if (end || frames.length >= maxFrames) {
            resolve({
              frames,
              longTasks: bench.longTasks.slice(longBefore),
              scrolledPx: scroller.scrollTop,
              heightPx: scroller.scrollHeight,
              reachedEnd: end,
            });
            return;
          }
          scroller.scrollTop += step;
          requestAnimationFrame(frame);
        };
        requestAnimationFrame(() => requestAnimationFrame(frame));
      }),
  };

  // Until the view has settled, note when rows first appear and when they last changed.
  const tick = () => {
    if (!bench.watching) return;
    const f = find();
    const now = performance.now();
    if (f && f.rows.length > 0) {
      bench.firstRowsAt ??= now;
      const key = `${f.rows.length}|${f.total}`;
      if (key !== bench.lastKey) {
        bench.lastKey = key;
        bench.lastChangeAt = now;
      }
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);

  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) bench.longTasks.push(e.duration);
    }).observe({ type: "longtask", buffered: true });
  } catch {
    // Long-task timing is a Chromium feature; without it only frame intervals are reported.
  }
  globalThis.__bench = bench;
})();
