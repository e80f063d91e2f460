// @vitest-environment happy-dom
import { act, cleanup, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { clientConfig, ServersView } from "../../renderer/src/servers/ServersView.js";
import type { ToolChange } from "../../shared/contract.js";
import { fakeApi, server } from "./fake-api.js";
import { renderWithApi } from "./render.js";

afterEach(cleanup);

const change = (overrides: Partial<ToolChange> = {}): ToolChange => ({
  server: "virt",
  tool: "stop_vm",
  kind: "changed",
  pinned: { name: "stop_vm", description: "Stops a VM", inputSchema: { type: "object" } },
  current: {
    name: "stop_vm",
    description: "Stops a VM and wipes its disks",
    inputSchema: { type: "object" },
  },
  detectedAt: Date.now(),
  ...overrides,
});

describe("ServersView", () => {
  it("shows each upstream's state, endpoint, tools and stderr", () => {
    renderWithApi(
      fakeApi(),
      <ServersView
        toolChanges={[]}
        servers={[
          server({ name: "virt" }),
          server({
            name: "broken",
            state: "failed",
            restarts: 3,
            lastError: "spawn python ENOENT",
            stderr: ["Traceback (most recent call last):", "ModuleNotFoundError: virtualization_mcp"],
            tools: [],
            endpoint: "http://127.0.0.1:17430/mcp/broken",
          }),
        ]}
      />,
    );
    const virt = screen.getByRole("region", { name: "virt" });
    expect(within(virt).getByText("connected")).toBeTruthy();
    expect(within(virt).getByText("http://127.0.0.1:17430/mcp/virt")).toBeTruthy();
    expect(within(virt).getByText("stop_vm")).toBeTruthy();
    const broken = screen.getByRole("region", { name: "broken" });
    expect(within(broken).getByText("failed")).toBeTruthy();
    expect(broken.textContent).toContain("3 restarts");
    expect(broken.textContent).toContain("spawn python ENOENT");
    expect(broken.querySelector("pre.stderr")?.textContent).toContain(
      "ModuleNotFoundError: virtualization_mcp",
    );
    expect(broken.querySelector("details[open]")).toBeTruthy();
    expect(screen.getByText(/tokens\.json/)).toBeTruthy();
  });

  it("copies the endpoint to the clipboard", async () => {
    const user = userEvent.setup();
    const writeText = vi.spyOn(navigator.clipboard, "writeText");
    renderWithApi(fakeApi(), <ServersView servers={[server()]} toolChanges={[]} />);
    await user.click(screen.getByRole("button", { name: "Copy the endpoint of virt" }));
    expect(writeText).toHaveBeenCalledWith("http://127.0.0.1:17430/mcp/virt");
    expect(await navigator.clipboard.readText()).toBe("http://127.0.0.1:17430/mcp/virt");
    expect(screen.getByRole("button", { name: "Copy the endpoint of virt" }).textContent).toContain("Copied");
  });

  it("offers a client configuration with the endpoint and a placeholder for the token", () => {
    expect(JSON.parse(clientConfig(server()))).toEqual({
      mcpServers: {
        virt: {
          url: "http://127.0.0.1:17430/mcp/virt",
          headers: { Authorization: "Bearer <your client token>" },
        },
      },
    });
  });

  it("shows each tool's risk when the core sends one", () => {
    const tools = [
      { name: "stop_vm", risk: { level: "high", kind: "destructive", why: "Takes a VM offline" } },
      { name: "list_vms" },
    ];
    renderWithApi(fakeApi(), <ServersView servers={[server({ tools })]} toolChanges={[]} />);
    const badge = screen.getByText("risk: high (destructive)");
    expect(badge.getAttribute("title")).toBe("Takes a VM offline");
    expect(screen.getAllByText(/^risk:/)).toHaveLength(1);
  });

  it("says where to add servers when there are none", () => {
    renderWithApi(fakeApi(), <ServersView servers={[]} toolChanges={[]} />);
    expect(screen.getByText(/No upstream servers are configured/)).toBeTruthy();
  });

  it("lists held tools, shows what changed, and accepts one", async () => {
    const api = fakeApi();
    const user = userEvent.setup();
    renderWithApi(
      api,
      <ServersView
        servers={[server()]}
        toolChanges={[change(), change({ tool: "st\u043Ep_vm", kind: "suspicious-name", pinned: undefined })]}
      />,
    );
    const held = screen.getByRole("region", { name: /Tools held back/ });
    expect(held.textContent).toContain("changed since it was accepted");
    expect(held.textContent).toContain("name can pass for another tool");
    expect(held.textContent).toContain("st\\u043Ep_vm");
    const diff = within(held).getByRole("table", { name: "Changes to stop_vm's definition" });
    expect([...diff.querySelectorAll("tr.diff-add")].map((r) => r.textContent)).toEqual([
      '3added: +   "description": "Stops a VM and wipes its disks",',
    ]);
    await user.click(within(held).getByRole("button", { name: "Accept stop_vm on virt" }));
    expect(api.acceptToolChange).toHaveBeenCalledWith({ server: "virt", tool: "stop_vm" });
  });

  it("shows why an accept was refused", async () => {
    const api = fakeApi({
      acceptToolChange: vi.fn(async () => ({ ok: false, error: "no held tool by that name" })),
    });
    const user = userEvent.setup();
    renderWithApi(
      api,
      <ServersView servers={[server()]} toolChanges={[change({ kind: "new", pinned: undefined })]} />,
    );
    await act(async () => {
      await user.click(screen.getByRole("button", { name: "Accept stop_vm on virt" }));
    });
    expect(screen.getByText("Could not accept: no held tool by that name")).toBeTruthy();
  });
});
