// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CallsView, ROW_HEIGHT } from "../../renderer/src/calls/CallsView.js";
import { CallBuffer } from "../../renderer/src/calls/call-buffer.js";
import { call, fakeApi, server } from "./fake-api.js";
import { renderWithApi } from "./render.js";
import { sizeTheCallsScrollBox } from "./scroll-box.js";

afterEach(cleanup);

sizeTheCallsScrollBox();

function setup(calls: Parameters<typeof call>[0][]) {
  const buffer = new CallBuffer();
  for (const c of calls) buffer.upsert(call(c));
  const view = renderWithApi(
    fakeApi(),
    <CallsView buffer={buffer} version={buffer.version} servers={[server()]} />,
  );
  return { buffer, view };
}

const rows = () =>
  within(screen.getByRole("list", { name: "Calls, newest first" })).queryAllByRole("listitem");

describe("CallsView", () => {
  it("lists calls newest first with time, client, server, tool, arguments, decision, latency and outcome", () => {
    setup([
      { ts: 1_000, tool: "list_vms", status: "allowed" },
      {
        ts: 2_000,
        tool: "stop_vm",
        status: "denied",
        args: { vm_name: "prod-db" },
        latencyMs: 1,
        outcome: undefined,
      },
    ]);
    const [first, second] = rows();
    expect(first?.textContent).toContain("stop_vm");
    expect(first?.textContent).toContain('vm_name: "prod-db"');
    expect(first?.textContent).toContain("denied");
    expect(second?.textContent).toContain("list_vms");
    expect(second?.textContent).toContain("3 ms");
    expect(second?.textContent).toContain("ok");
    expect(screen.getByText("2 calls loaded")).toBeTruthy();
  });

  it("filters by decision and searches the arguments", async () => {
    const user = userEvent.setup();
    setup([
      { tool: "stop_vm", status: "denied", args: { vm_name: "prod-db" } },
      { tool: "stop_vm", status: "allowed", args: { vm_name: "dev-web" } },
      { tool: "list_vms", status: "allowed" },
    ]);
    await user.selectOptions(screen.getByLabelText("Decision"), "allowed");
    expect(rows()).toHaveLength(2);
    await user.type(screen.getByLabelText("Search arguments"), "DEV-");
    expect(rows()).toHaveLength(1);
    expect(rows()[0]?.textContent).toContain("dev-web");
    expect(screen.getByText("1 of 3 loaded calls")).toBeTruthy();
  });

  it("filters by server and tool, offering the connected servers' tools", async () => {
    const user = userEvent.setup();
    setup([{ tool: "stop_vm" }, { tool: "list_vms" }, { tool: "list_vms", server: "other" }]);
    const tool = screen.getByLabelText("Tool") as HTMLSelectElement;
    expect([...tool.options].map((o) => o.value)).toEqual(["", "list_vms", "stop_vm"]);
    await user.selectOptions(tool, "list_vms");
    expect(rows()).toHaveLength(2);
    await user.selectOptions(screen.getByLabelText("Server"), "virt");
    expect((screen.getByLabelText("Tool") as HTMLSelectElement).value).toBe("");
    expect(rows()).toHaveLength(2);
    await user.selectOptions(screen.getByLabelText("Tool"), "list_vms");
    expect(rows()).toHaveLength(1);
    await user.type(screen.getByLabelText("Search arguments"), "nothing-like-this");
    expect(screen.getByText("No call matches the filters.")).toBeTruthy();
  });

  it("opens a call's details: full arguments, rule and reason", async () => {
    const user = userEvent.setup();
    setup([
      {
        tool: "stop_vm",
        status: "denied",
        rule: 'tools["stop_vm"]',
        reason: "Not production",
        args: { vm_name: "prod\u202Edb", nested: { deep: [1, 2] } },
      },
    ]);
    await user.click(within(rows()[0] as HTMLElement).getByRole("button"));
    const details = screen.getByRole("region", { name: /stop_vm/ });
    expect(details.textContent).toContain('tools["stop_vm"]');
    expect(details.textContent).toContain("Not production");
    const json = details.querySelector("pre")?.textContent ?? "";
    expect(json).toContain('"deep": [');
    expect(json).toContain("prod\\u202Edb");
    fireEvent.keyDown(details, { key: "Escape" });
    expect(screen.queryByRole("region", { name: /stop_vm/ })).toBeNull();
  });

  it("renders only a window of rows with 100,000 calls in the buffer", () => {
    const buffer = new CallBuffer();
    for (let i = 0; i < 100_000; i++) buffer.upsert(call({ id: `c${i}`, ts: i, args: { i } }));
    renderWithApi(fakeApi(), <CallsView buffer={buffer} version={buffer.version} servers={[server()]} />);
    expect(screen.getByText("100,000 calls loaded")).toBeTruthy();
    const shown = rows();
    expect(shown.length).toBeGreaterThan(5);
    expect(shown.length).toBeLessThan(60);
    expect(shown[0]?.getAttribute("aria-setsize")).toBe("100000");
    expect(shown[0]?.textContent).toContain("i: 99999");
  });

  it("keeps the rows being read in place when new calls arrive above them", () => {
    const buffer = new CallBuffer();
    for (let i = 0; i < 50; i++) buffer.upsert(call({ id: `c${i}`, ts: i }));
    const view = renderWithApi(
      fakeApi(),
      <CallsView buffer={buffer} version={buffer.version} servers={[server()]} />,
    );
    const scroller = document.querySelector(".call-scroll") as HTMLElement;
    scroller.scrollTop = 10 * ROW_HEIGHT;
    for (let i = 50; i < 53; i++) buffer.upsert(call({ id: `c${i}`, ts: i }));
    view.rerender(<CallsView buffer={buffer} version={buffer.version} servers={[server()]} />);
    expect(scroller.scrollTop).toBe(13 * ROW_HEIGHT);

    scroller.scrollTop = 0;
    buffer.upsert(call({ id: "c53", ts: 53 }));
    view.rerender(<CallsView buffer={buffer} version={buffer.version} servers={[server()]} />);
    expect(scroller.scrollTop).toBe(0);
  });

  it("exports the visible calls as JSONL and CSV files", async () => {
    const user = userEvent.setup();
    const blobs: Blob[] = [];
    const names: string[] = [];
    const create = vi.spyOn(URL, "createObjectURL").mockImplementation((blob) => {
      blobs.push(blob as Blob);
      return "blob:test";
    });
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (
      this: HTMLAnchorElement,
    ) {
      names.push(this.download);
    });
    setup([
      { id: "keep", tool: "stop_vm", status: "denied" },
      { id: "hide", tool: "list_vms", status: "allowed" },
    ]);
    await user.selectOptions(screen.getByLabelText("Decision"), "denied");
    await user.click(screen.getByRole("button", { name: "Export JSONL" }));
    await user.click(screen.getByRole("button", { name: "Export CSV" }));
    expect(names[0]).toMatch(/^mcp-warden-calls-.*\.jsonl$/);
    expect(names[1]).toMatch(/\.csv$/);
    const jsonl = await (blobs[0] as Blob).text();
    expect(
      jsonl
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).id),
    ).toEqual(["keep"]);
    const csv = await (blobs[1] as Blob).text();
    expect(csv.trim().split("\r\n")).toHaveLength(2);
    expect(csv).toContain(",keep,");
    create.mockRestore();
    click.mockRestore();
  });

  it("moves between rows with the arrow keys, one row in the tab order", () => {
    setup([{ tool: "a" }, { tool: "b" }, { tool: "c" }]);
    const buttons = () => rows().map((r) => within(r).getByRole("button"));
    expect(buttons().map((b) => b.tabIndex)).toEqual([0, -1, -1]);
    fireEvent.keyDown(buttons()[0] as HTMLElement, { key: "ArrowDown" });
    expect(buttons().map((b) => b.tabIndex)).toEqual([-1, 0, -1]);
    fireEvent.keyDown(buttons()[1] as HTMLElement, { key: "End" });
    expect(buttons().map((b) => b.tabIndex)).toEqual([-1, -1, 0]);
  });

  it("draws a calls-per-minute chart that says what it shows", () => {
    setup([{ status: "denied" }, { status: "allowed" }, { status: "allowed" }]);
    const chart = screen.getByRole("img");
    expect(chart.getAttribute("aria-label")).toContain("3 calls in the last 30 minutes");
    expect(chart.getAttribute("aria-label")).toContain("1 denied");
    expect(chart.querySelectorAll("rect.fill-ok, rect.fill-bad")).toHaveLength(2);
  });
});
