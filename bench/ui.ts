/**
 * Benchmark 6, UI: the live-calls view in Debian's chromium (headless, through playwright-core) against
 * the UI that `mcp-warden serve` serves from dist/ui, with 100,000 calls in the audit log before serve
 * starts. Measures the time from navigation to the first call rows on screen and to the list's final
 * size, what the view can show, and the frame intervals while it is scrolled from top to bottom.
 *
 * The view is found tolerantly: a `role="grid"` or `table` with rows, or a list whose items carry
 * `aria-setsize` (a virtualised list), or the largest scrollable list of `li` rows.
 * Prints "skipped: UI not built" when dist/ui/index.html does not exist.
 */
import { existsSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { summarizeProfile } from "./lib/cpu-profile.js";
import { builtCli } from "./lib/paths.js";
import {
  ADMIN_TOKEN,
  ECHO_POLICY,
  echoStdioConfig,
  type RunningServe,
  startServe,
  tempDir,
} from "./lib/processes.js";
import type { Benchmark, BenchOptions, BenchReport, Goal } from "./lib/report.js";
import { runIfMain } from "./lib/report.js";
import { writeAuditLog } from "./lib/seed.js";
import { num, showSpread, spread } from "./lib/stats.js";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
const FRAME_MS = 1000 / 60;
const PAGE_SCRIPT = fileURLToPath(new URL("./lib/ui-page.js", import.meta.url));
const MAX_FRAMES = 300;

/** What the page reports about the calls view. */
interface ViewState {
  rows: number;
  total: number | undefined;
  countText: string | undefined;
  kind: string;
}

interface Load {
  firstRowsMs: number;
  settledMs: number;
  state: ViewState;
}

interface Scroll {
  frames: number[];
  longTasks: number[];
  scrolledPx: number;
  heightPx: number;
  reachedEnd: boolean;
}

/** The page's global, as bench/lib/ui-page.js sets it up. */
type BenchGlobal = {
  __bench: {
    firstRowsAt: number | undefined;
    lastChangeAt: number | undefined;
    /** Set to false to stop the per-frame watch before scrolling. */
    watching: boolean;
    state(): ViewState;
    scroll(step: number, maxFrames: number): Promise<Scroll | undefined>;
  };
};

/** The scroll speeds measured: px per animation frame. */
const SCROLLS = [
  { name: "wheel (3 rows of 40 px per frame, 7,200 px/s)", step: 120 },
  { name: "fling (1,000 px per frame, 60,000 px/s)", step: 1_000 },
];

interface PageRun {
  load: Load;
  scrolls: (Scroll | undefined)[];
  /** Where the main thread's time went during one more (profiled) wheel scroll. */
  profile?: { frames: number; busyUs: number; byPart: Map<string, number> };
}

/** A CPU profile of the page during one more wheel scroll (Chrome DevTools Protocol, 200 µs sampling). */
async function profiledScroll(page: Page): Promise<PageRun["profile"]> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
  await cdp.send("Profiler.start");
  const scroll = await page.evaluate(
    ({ step, maxFrames }) => (globalThis as unknown as BenchGlobal).__bench.scroll(step, maxFrames),
    { step: SCROLLS[0]?.step ?? 120, maxFrames: MAX_FRAMES },
  );
  const { profile } = await cdp.send("Profiler.stop");
  await cdp.detach();
  const file = join(tempDir("ui-profile"), "page.cpuprofile");
  writeFileSync(file, JSON.stringify(profile));
  const summary = summarizeProfile(file);
  const byPart = new Map<string, number>();
  for (const [part, us] of summary.byPackage) {
    // In a page, "(program)" is mostly the browser's own work (style, layout, paint) and url-less natives are DOM calls.
    const name = /^https?:/.test(part)
      ? "the UI's JavaScript"
      : part.startsWith("(program)")
        ? "style, layout, paint and other browser work"
        : part.startsWith("natives")
          ? "DOM and built-in calls"
          : part.startsWith("benchmark code")
            ? "the scroll driver (its reads of the scroll position force layout)"
            : part;
    byPart.set(name, (byPart.get(name) ?? 0) + us);
  }
  return { frames: scroll?.frames.length ?? 0, busyUs: summary.busyUs, byPart };
}

async function loadOnce(browser: Browser, url: string, profile = false): Promise<PageRun> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    const page = await context.newPage();
    await page.addInitScript({ path: PAGE_SCRIPT });
    await page.goto(url, { waitUntil: "commit", timeout: 30_000 });
    await page.waitForFunction(
      () => (globalThis as unknown as BenchGlobal).__bench?.firstRowsAt !== undefined,
      null,
      {
        timeout: 30_000,
        polling: 100,
      },
    );
    // Settled: the rows and the list's size have not changed for a second (or 15 s have passed).
    await page
      .waitForFunction(
        () => {
          const b = (globalThis as unknown as BenchGlobal).__bench;
          return b.lastChangeAt !== undefined && performance.now() - b.lastChangeAt > 1_000;
        },
        null,
        { timeout: 15_000, polling: 100 },
      )
      .catch(() => {});
    const load = await page.evaluate(() => {
      const b = (globalThis as unknown as BenchGlobal).__bench;
      b.watching = false;
      return {
        firstRowsMs: b.firstRowsAt ?? Number.NaN,
        settledMs: b.lastChangeAt ?? Number.NaN,
        state: b.state(),
      };
    });
    const scrolls: (Scroll | undefined)[] = [];
    for (const { step } of SCROLLS) {
      scrolls.push(
        await page.evaluate(
          ({ step, maxFrames }) => (globalThis as unknown as BenchGlobal).__bench.scroll(step, maxFrames),
          { step, maxFrames: MAX_FRAMES },
        ),
      );
    }
    return { load, scrolls, ...(profile ? { profile: await profiledScroll(page) } : {}) };
  } finally {
    await context.close();
  }
}

function profileRows(profile: PageRun["profile"]): string[][] {
  if (!profile?.frames) return [];
  const perFrame = (us: number) => `${num(us / 1000 / profile.frames, 1)} ms`;
  const parts = [...profile.byPart.entries()]
    .filter(([, us]) => us / 1000 / profile.frames >= 0.1)
    .sort((a, b) => b[1] - a[1])
    .map(([part, us]) => `${part} ${perFrame(us)}`);
  return [
    [
      "main thread per frame, one more wheel scroll under the profiler",
      `${perFrame(profile.busyUs)} busy: ${parts.join(", ")}`,
    ],
  ];
}

function skipped(reason: string): BenchReport {
  const goal = (g: string): Goal => ({ benchmark: "6 UI", goal: g, measured: reason, met: undefined });
  return {
    name: "6. UI: the live-calls view with 100,000 logged calls",
    tables: [],
    goals: [goal("live-calls view shows 100,000 logged calls ≤ 1 s"), goal("scrolling: frames under 16 ms")],
    notes: [reason],
  };
}

/** Runs the UI benchmark. */
export async function runUi(options: BenchOptions): Promise<BenchReport> {
  const uiIndex = join(dirname(builtCli()), "ui", "index.html");
  if (!existsSync(uiIndex)) return skipped("skipped: UI not built");
  if (!existsSync(CHROMIUM)) return skipped(`skipped: ${CHROMIUM} not found`);
  const { chromium } = await import("playwright-core");
  const logged = 100_000;
  const repeats = options.quick ? 1 : 3;
  const dataDir = tempDir("ui");
  writeAuditLog(join(dataDir, "audit.jsonl"), logged);
  let serve: RunningServe | undefined;
  let browser: Browser | undefined;
  try {
    serve = await startServe({ policy: ECHO_POLICY, servers: { echo: await echoStdioConfig() }, dataDir });
    const index = await fetch(`${serve.url}/`);
    if (!index.ok) {
      return skipped(
        `not measured: dist/ui/index.html exists but serve answers HTTP ${index.status} at / (${(await index.text()).slice(0, 80)})`,
      );
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    const base = serve.url;
    // Each load signs in with a sign-in code of its own: a code is good once.
    const signInUrl = async () => {
      const res = await fetch(`${base}/auth/code`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      return ((await res.json()) as { url: string }).url;
    };
    // A first load warms chromium and serve up (a full run only; the smoke run has no time for it).
    if (!options.quick) await loadOnce(browser, await signInUrl());
    const runs: PageRun[] = [];
    for (let r = 0; r < repeats; r++)
      runs.push(await loadOnce(browser, await signInUrl(), r === repeats - 1));

    const first = spread(runs.map((r) => r.load.firstRowsMs));
    const settled = spread(runs.map((r) => r.load.settledMs));
    const state = runs[runs.length - 1]?.load.state;
    const shown = state?.total ?? state?.rows ?? 0;
    const ms = (v: number) => num(v);
    const scrollStats = SCROLLS.map((speed, i) => {
      const passes = runs.map((r) => r.scrolls[i]).filter((s): s is Scroll => s !== undefined);
      const frames = passes.flatMap((p) => p.frames);
      const longTasks = passes.flatMap((p) => p.longTasks);
      const sortedFrames = [...frames].sort((a, b) => a - b);
      const at = (q: number) =>
        sortedFrames[Math.max(0, Math.ceil(q * sortedFrames.length) - 1)] ?? Number.NaN;
      const late = frames.filter((f) => f > FRAME_MS + 3).length;
      const last = passes[passes.length - 1];
      return {
        name: speed.name,
        frames,
        longTasks,
        onTime: frames.length ? 1 - late / frames.length : Number.NaN,
        p95: at(0.95),
        row: frames.length
          ? [
              `scroll, ${speed.name}`,
              `${num(frames.length)} frames: ${num(100 * (1 - late / frames.length), 1)}% on time; p50 / p95 / max ${num(at(0.5), 1)} / ${num(at(0.95), 1)} / ${num(sortedFrames[sortedFrames.length - 1] ?? Number.NaN, 1)} ms; ${longTasks.length} long task${longTasks.length === 1 ? "" : "s"}${longTasks.length ? ` (longest ${num(Math.max(...longTasks))} ms)` : ""}; ${last ? `${num(last.scrolledPx)} of ${num(last.heightPx)} px${last.reachedEnd ? ", to the end" : ""}` : ""}`,
            ]
          : [`scroll, ${speed.name}`, "no scrollable list found"],
      };
    });
    const wheel = scrollStats[0];
    return {
      name: "6. UI: the live-calls view with 100,000 logged calls",
      tables: [
        {
          title: `Live-calls view in headless chromium (ms from navigation; min / median / max of ${repeats} cold loads)`,
          headers: ["measure", "value"],
          leftColumns: 2,
          rows: [
            ["first call rows on screen", showSpread(first, ms)],
            ["list at its final size (no change for 1 s after)", showSpread(settled, ms)],
            ["view found as", state?.kind ?? "none"],
            ["calls the view holds (aria-setsize / aria-rowcount, else rows)", num(shown)],
            ["count shown on the page", state?.countText ?? "–"],
            ["rows in the DOM (virtualised when far below the total)", num(state?.rows ?? 0)],
            ...scrollStats.map((s) => s.row),
            ...profileRows(runs[runs.length - 1]?.profile),
          ],
        },
      ],
      goals: [
        {
          benchmark: "6 UI",
          goal: "live-calls view shows 100,000 logged calls ≤ 1 s",
          measured: `${num(settled.median)} ms to its final size, showing ${num(shown)} of ${num(logged)} logged calls`,
          met: shown >= logged && settled.median <= 1_000,
        },
        {
          benchmark: "6 UI",
          goal: "scrolling: frames under 16 ms",
          measured: wheel?.frames.length
            ? `wheel speed: ${num(100 * wheel.onTime, 1)}% of ${num(wheel.frames.length)} frames on time, p95 ${num(wheel.p95, 1)} ms, ${wheel.longTasks.length} long task${wheel.longTasks.length === 1 ? "" : "s"}`
            : "no scrollable list found",
          met: wheel?.frames.length ? wheel.onTime >= 0.95 && wheel.longTasks.length === 0 : undefined,
        },
      ],
      notes: [
        `${num(logged)} calls written to audit.jsonl before serve starts; the core keeps the newest 5,000 in its ring and listCalls returns at most 5,000, so that is what a freshly opened view can hold (calls that arrive live are added on top).`,
        `chromium ${CHROMIUM} ${CHROMIUM_FLAGS.join(" ")}; viewport 1280×800; each scroll starts at the top and moves a fixed step per animation frame, up to ${MAX_FRAMES} frames or the end. Headless chromium paints in software (--disable-gpu).`,
        "'On time' counts frame intervals within 3 ms of one 60 Hz frame; a longer interval is a missed frame. The scroll goal is judged at wheel speed: met at ≥ 95% on time and no long task (> 50 ms).",
      ],
    };
  } finally {
    await browser?.close();
    await serve?.stop();
  }
}

export const ui: Benchmark = {
  name: "ui",
  describe: "6. UI: the live-calls view with 100,000 logged calls, in chromium",
  run: runUi,
};

await runIfMain(import.meta.url, ui);
