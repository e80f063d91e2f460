// @vitest-environment happy-dom
import { act, cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type CallsOptions, useCalls } from "../../renderer/src/app/use-warden.js";
import { CallsView } from "../../renderer/src/calls/CallsView.js";
import type { CallRecord, WardenApi } from "../../shared/contract.js";
import { call, type FakeApi, fakeApi, server } from "./fake-api.js";
import { renderWithApi } from "./render.js";
import { sizeTheCallsScrollBox } from "./scroll-box.js";

afterEach(cleanup);
sizeTheCallsScrollBox();

/** The calls of a log, oldest c1 … newest c<total>; every 1,000th was denied. */
function logOf(total: number): CallRecord[] {
  return Array.from({ length: total }, (_, i) =>
    call({
      id: `c${i + 1}`,
      ts: 1_700_000_000_000 + i * 1_000,
      args: { i: i + 1 },
      status: (i + 1) % 1_000 === 0 ? "denied" : "allowed",
    }),
  );
}

/**
 * A core serving `listCalls` from a log as the real one does (newest first, at most 5,000, the calls older
 * than `before`), recording the cursors it was asked for and how many requests were ever in flight at once.
 * With `hold`, each page back waits until `release()`.
 */
function pagedApi(log: readonly CallRecord[], options: { hold?: boolean; fail?: number } = {}) {
  const newestFirst = [...log].reverse();
  const cursors: (string | undefined)[] = [];
  const waiting: (() => void)[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  let failures = options.fail ?? 0;
  const listCalls = vi.fn(async ({ limit = 500, before }: Parameters<WardenApi["listCalls"]>[0]) => {
    cursors.push(before?.id);
    inFlight += 1;
    mostInFlight = Math.max(mostInFlight, inFlight);
    try {
      if (before && options.hold) await new Promise<void>((resolve) => waiting.push(resolve));
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (before && failures > 0) {
        failures -= 1;
        throw new Error("the audit log could not be read");
      }
      const from = before ? newestFirst.findIndex((c) => c.id === before.id) + 1 : 0;
      if (before) expect(newestFirst[from - 1]?.ts).toBe(before.ts);
      return newestFirst.slice(from, from + Math.min(limit, 5_000));
    } finally {
      inFlight -= 1;
    }
  });
  const api = fakeApi({ listCalls });
  return {
    api,
    listCalls,
    cursors,
    mostInFlight: () => mostInFlight,
    /** Lets the page on its way answer. */
    release: async () => {
      await waitFor(() => expect(waiting.length).toBeGreaterThan(0));
      await act(async () => waiting.shift()?.());
    },
  };
}

function Live({ api, options }: { api: WardenApi; options?: CallsOptions }) {
  const calls = useCalls(api, 1, { batchMs: 0, ...options });
  return <CallsView buffer={calls.buffer} version={calls.version} older={calls.older} servers={[server()]} />;
}

function show(api: FakeApi, options?: CallsOptions) {
  return renderWithApi(api, <Live api={api} options={options} />);
}

const scroller = () => document.querySelector(".call-scroll") as HTMLElement;
const list = () => screen.getByRole("list", { name: "Calls, newest first" });
const rows = () => within(list()).queryAllByRole("listitem");
const endOfList = () => document.querySelector(".calls-end [role=status]")?.textContent;

/** Scrolls the list to its last row, as a user dragging the scroll bar to the bottom. */
function scrollToEnd() {
  act(() => {
    const box = scroller();
    box.scrollTop = Math.max(0, Number.parseFloat(list().style.height) - box.clientHeight);
    fireEvent.scroll(box);
  });
}

describe("paging back through the log in the live calls view", () => {
  it("asks for the next page with the oldest loaded call as `before` when scrolled to the end, until an empty page", async () => {
    const server = pagedApi(logOf(12_000));
    show(server.api);
    await screen.findByText("5,000 calls loaded");
    expect(server.cursors).toEqual([undefined]);
    expect(endOfList()).toBe("");

    scrollToEnd();
    const top = scroller().scrollTop;
    const firstRendered = rows()[0]?.textContent;
    expect(top).toBeGreaterThan(0);
    await screen.findByText("10,000 calls loaded");
    // The oldest of the newest 5,000 is c7001.
    expect(server.cursors).toEqual([undefined, "c7001"]);
    // Appended below, the rows being read stay where they were.
    expect(scroller().scrollTop).toBe(top);
    expect(rows()[0]?.textContent).toBe(firstRendered);

    scrollToEnd();
    await screen.findByText("12,000 calls loaded");
    expect(server.cursors.at(-1)).toBe("c2001");

    scrollToEnd();
    await screen.findByText("start of the log");
    expect(server.cursors).toEqual([undefined, "c7001", "c2001", "c1"]);
    const last = rows().at(-1) as HTMLElement;
    expect(last.getAttribute("aria-posinset")).toBe("12000");
    expect(last.querySelector(".c-args")?.textContent).toBe("i: 1");

    // The start reached, scrolling on asks for nothing more.
    for (let i = 0; i < 5; i++) scrollToEnd();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(server.listCalls).toHaveBeenCalledTimes(4);
    expect(server.mostInFlight()).toBe(1);

    // Live calls still arrive at the top.
    act(() => server.api.emit("call", call({ id: "live", ts: Date.now(), args: { live: true } })));
    await screen.findByText("12,001 calls loaded");
    act(() => {
      scroller().scrollTop = 0;
      fireEvent.scroll(scroller());
    });
    await waitFor(() => expect(rows()[0]?.textContent).toContain("live: true"));
  });

  it("never has two requests in flight: scrolling on while a page is on its way asks for nothing", async () => {
    const server = pagedApi(logOf(12_000), { hold: true });
    show(server.api);
    await screen.findByText("5,000 calls loaded");

    scrollToEnd();
    await waitFor(() => expect(endOfList()).toBe("loading older calls…"));
    for (let i = 0; i < 10; i++) scrollToEnd();
    expect(screen.queryByRole("button", { name: "Load older calls" })).toBeNull();
    expect(server.listCalls).toHaveBeenCalledTimes(2);

    await server.release();
    await screen.findByText("10,000 calls loaded");
    scrollToEnd();
    await waitFor(() => expect(server.listCalls).toHaveBeenCalledTimes(3));
    scrollToEnd();
    await server.release();
    await screen.findByText("12,000 calls loaded");
    scrollToEnd();
    await server.release();
    await screen.findByText("start of the log");
    expect(server.cursors).toEqual([undefined, "c7001", "c2001", "c1"]);
    expect(server.mostInFlight()).toBe(1);
    expect(screen.queryByRole("button", { name: "Load older calls" })).toBeNull();
  });

  it("stops when the buffer is full and says it shows only the newest calls", async () => {
    const server = pagedApi(logOf(12_000));
    show(server.api, { capacity: 8_000 });
    await screen.findByText("5,000 calls loaded");
    scrollToEnd();
    await screen.findByText("8,000 calls loaded");
    expect(endOfList()).toBe("showing the newest 8,000 calls; older ones stay in the audit log");
    for (let i = 0; i < 5; i++) scrollToEnd();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(server.cursors).toEqual([undefined, "c7001"]);
    // The oldest held is the newest 8,000th call.
    expect(rows().at(-1)?.querySelector(".c-args")?.textContent).toBe("i: 4001");

    // Live calls past the capacity let the oldest go; the end still says what is shown.
    act(() => server.api.emit("call", call({ id: "live", ts: Date.now() })));
    await screen.findByText("7,201 calls loaded");
    expect(endOfList()).toBe("showing the newest 7,201 calls; older ones stay in the audit log");
  });

  it("filters apply to the loaded calls: with the end in view, pages are loaded one by one until the start", async () => {
    const user = userEvent.setup();
    const server = pagedApi(logOf(12_000));
    show(server.api);
    await screen.findByText("5,000 calls loaded");
    await user.selectOptions(screen.getByLabelText("Decision"), "denied");
    // Three pages, each filtered and laid out over up to 12,000 rows: slow on a loaded machine.
    await screen.findByText("start of the log", {}, { timeout: 20_000 });
    expect(screen.getByText("12 of 12,000 loaded calls")).toBeTruthy();
    expect(rows()).toHaveLength(12);
    expect(server.cursors).toEqual([undefined, "c7001", "c2001", "c1"]);
    expect(server.mostInFlight()).toBe(1);
  });

  it("says when a page fails, and asks again only when told to", async () => {
    const user = userEvent.setup();
    const server = pagedApi(logOf(6_000), { fail: 1 });
    show(server.api);
    await screen.findByText("5,000 calls loaded");
    scrollToEnd();
    await waitFor(() =>
      expect(endOfList()).toBe("Could not load older calls: the audit log could not be read"),
    );
    scrollToEnd();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(server.listCalls).toHaveBeenCalledTimes(2);
    await user.click(screen.getByRole("button", { name: "Try again" }));
    await screen.findByText("6,000 calls loaded");
    expect(endOfList()).toBe("");
    scrollToEnd();
    await screen.findByText("start of the log");
    expect(server.cursors).toEqual([undefined, "c1001", "c1001", "c1"]);
  });

  it("a short log shows its start at once, with no request when nothing was logged", async () => {
    const few = pagedApi(logOf(3));
    show(few.api);
    await screen.findByText("start of the log");
    expect(few.cursors).toEqual([undefined, "c1"]);
    cleanup();

    const none = pagedApi([]);
    show(none.api);
    await screen.findByText(/^No calls yet/);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(none.cursors).toEqual([undefined]);
  });
});
