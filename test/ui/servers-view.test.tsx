// @vitest-environment happy-dom
import { act, cleanup, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { maskToken } from "../../renderer/src/servers/GrantsPanel.js";
import { clientConfig, defaultGrant, ServersView } from "../../renderer/src/servers/ServersView.js";
import type { ToolChange } from "../../shared/contract.js";
import { fakeApi, foundConfig, GRANTS, risk, server } from "./fake-api.js";
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
    expect(JSON.parse(clientConfig(server(), "sm_x"))).toMatchObject({
      mcpServers: { virt: { headers: { Authorization: "Bearer sm_x" } } },
    });
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
      { name: "stop_vm", risk: risk({ level: "high", kind: "destructive", why: "Takes a VM offline" }) },
      { name: "list_vms" },
    ];
    renderWithApi(fakeApi(), <ServersView servers={[server({ tools })]} toolChanges={[]} />);
    const badge = screen.getByText("risk: high (destructive)");
    expect(badge.getAttribute("title")).toBe("Takes a VM offline");
    expect(screen.getAllByText(/^risk:/)).toHaveLength(1);
    expect(screen.queryByText("inferred")).toBeNull();
  });

  it("lists a portmanteau tool's actions with their levels, and marks inferred risks", async () => {
    const user = userEvent.setup();
    const actions = {
      list: risk({ kind: "read", level: "low", why: "Lists VMs.", action: "list" }),
      stop: risk({ kind: "destructive", level: "high", why: "Stops a VM.", action: "stop" }),
      delete: risk({ kind: "destructive", level: "critical", why: "Deletes a VM.", action: "delete" }),
    };
    const tools = [
      { name: "vm_management", description: "Manages VMs", risk: actions.delete, actions },
      {
        name: "run_shell",
        risk: risk({ kind: "execute", level: "high", why: "Runs a command.", source: "inferred" as const }),
      },
    ];
    renderWithApi(fakeApi(), <ServersView servers={[server({ tools })]} toolChanges={[]} />);
    expect(screen.getByText("risk: critical (destructive)")).toBeTruthy();
    const inferred = screen.getByText("inferred");
    expect(inferred.closest("li")?.textContent).toContain("run_shell");
    await user.click(screen.getByText("Tools (2)"));
    const summary = screen.getByText("3 actions");
    expect(summary.closest("details")?.open).toBe(false);
    await user.click(summary);
    expect(summary.closest("details")?.open).toBe(true);
    const list = screen.getByRole("list", { name: "Actions of vm_management" });
    expect(
      within(list)
        .getAllByRole("listitem")
        .map((li) => li.textContent),
    ).toEqual([
      "list low read — Lists VMs.",
      "stop high destructive — Stops a VM.",
      "delete critical destructive — Deletes a VM.",
    ]);
    expect(within(list).getByText("critical").className).toContain("risk-critical");
  });

  it("says where to add servers when there are none, and still offers clients and tokens", async () => {
    renderWithApi(fakeApi(), <ServersView servers={[]} toolChanges={[]} />);
    expect(screen.getByText(/No upstream servers are configured/)).toBeTruthy();
    expect(screen.getByRole("region", { name: "Clients" })).toBeTruthy();
    expect(await screen.findByRole("table", { name: "Client tokens" })).toBeTruthy();
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

describe("ServersView: client tokens", () => {
  const tokens = () => screen.findByRole("table", { name: "Client tokens" });

  it("lists the grants with masked tokens, Show and Copy, and labels command-line ones", async () => {
    const user = userEvent.setup();
    const writeText = vi.spyOn(navigator.clipboard, "writeText");
    renderWithApi(fakeApi(), <ServersView servers={[server()]} toolChanges={[]} />);
    const table = await tokens();
    const [fileRow, cliRow] = within(table).getAllByRole("row").slice(1) as [HTMLElement, HTMLElement];
    expect(within(fileRow).getByRole("rowheader").textContent).toBe("default ");
    expect(within(cliRow).getByRole("rowheader").textContent).toBe("cli command line");
    const [file, cli] = GRANTS as [(typeof GRANTS)[0], (typeof GRANTS)[0]];
    expect(table.textContent).not.toContain(file.token);
    expect(table.textContent).not.toContain(cli.token);
    expect(within(fileRow).getByText(maskToken(file.token)).textContent).toBe("••••••••1234");

    const show = within(fileRow).getByRole("button", { name: "Show the token of default" });
    await user.click(show);
    expect(show.getAttribute("aria-pressed")).toBe("true");
    expect(within(fileRow).getByText(file.token)).toBeTruthy();
    await user.click(show);
    expect(table.textContent).not.toContain(file.token);

    await user.click(within(cliRow).getByRole("button", { name: "Copy the token of cli" }));
    expect(writeText).toHaveBeenCalledWith(cli.token);
    expect(within(cliRow).queryByRole("button", { name: /Revoke/ })).toBeNull();
    expect(cliRow.textContent).toContain("cannot be revoked here");
  });

  it("creates a grant and shows its token once, then lists it", async () => {
    const user = userEvent.setup();
    const api = fakeApi();
    renderWithApi(api, <ServersView servers={[server()]} toolChanges={[]} />);
    await tokens();
    const form = screen.getByRole("form", { name: "New client token" });
    const create = within(form).getByRole("button", { name: "Create token" }) as HTMLButtonElement;
    expect(create.disabled).toBe(true);
    vi.mocked(api.listGrants).mockResolvedValue([
      ...GRANTS,
      { name: "cursor", token: "sm_new_token_for_cursor", fromCommandLine: false },
    ]);
    await user.type(within(form).getByLabelText("New client token for"), "cursor{Enter}");
    expect(api.createGrant).toHaveBeenCalledWith({ name: "cursor" });
    expect((await screen.findByText(/Created a token for "cursor"/)).textContent).toContain(
      "sm_new_token_for_cursor",
    );
    await waitFor(() => expect(screen.getByRole("rowheader", { name: "cursor" })).toBeTruthy());
    expect((within(form).getByLabelText("New client token for") as HTMLInputElement).value).toBe("");
  });

  it("shows why a grant could not be created", async () => {
    const user = userEvent.setup();
    const api = fakeApi({
      createGrant: vi.fn(async () => ({ ok: false, error: 'a grant named "cli" exists' })),
    });
    renderWithApi(api, <ServersView servers={[server()]} toolChanges={[]} />);
    await tokens();
    await user.type(screen.getByLabelText("New client token for"), "cli");
    await user.click(screen.getByRole("button", { name: "Create token" }));
    expect((await screen.findByRole("alert")).textContent).toBe(
      'Could not create the token: a grant named "cli" exists.',
    );
  });

  it("revokes a grant only after a confirmation", async () => {
    const user = userEvent.setup();
    const api = fakeApi();
    renderWithApi(api, <ServersView servers={[server()]} toolChanges={[]} />);
    await tokens();
    await user.click(screen.getByRole("button", { name: "Revoke default" }));
    expect(api.revokeGrant).not.toHaveBeenCalled();
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(api.revokeGrant).not.toHaveBeenCalled();
    await user.click(screen.getByRole("button", { name: "Revoke default" }));
    vi.mocked(api.listGrants).mockResolvedValue(GRANTS.filter((g) => g.name !== "default"));
    await user.click(screen.getByRole("button", { name: "Yes, revoke default" }));
    expect(api.revokeGrant).toHaveBeenCalledWith({ name: "default" });
    expect(await screen.findByText('Revoked "default": its token no longer works.')).toBeTruthy();
    await waitFor(() => expect(screen.queryByRole("rowheader", { name: "default" })).toBeNull());
  });

  it("the client configuration carries a chosen grant's token: shown masked, copied in full", async () => {
    const user = userEvent.setup();
    const writeText = vi.spyOn(navigator.clipboard, "writeText");
    renderWithApi(fakeApi(), <ServersView servers={[server()]} toolChanges={[]} />);
    await tokens();
    await user.click(screen.getByText("Client configuration"));
    const select = screen.getByLabelText("Client token") as HTMLSelectElement;
    expect(select.value).toBe("default");
    expect([...select.options].map((o) => o.textContent)).toEqual([
      "default",
      "cli (command line)",
      "a placeholder",
    ]);
    const snippet = () => select.closest("details")?.querySelector("pre")?.textContent ?? "";
    expect(snippet()).toContain(`Bearer ${maskToken("sm_defaultTokenFromTheFile1234")}`);
    const copy = screen.getByRole("button", { name: "Copy the client configuration for virt" });
    await user.click(copy);
    expect(JSON.parse(writeText.mock.lastCall?.[0] ?? "")).toEqual(
      JSON.parse(clientConfig(server(), "sm_defaultTokenFromTheFile1234")),
    );
    await user.selectOptions(select, "cli");
    await user.click(copy);
    expect(writeText.mock.lastCall?.[0]).toContain("Bearer client-token-from-the-command-line");
    await user.selectOptions(select, "");
    expect(snippet()).toContain("Bearer <your client token>");
    expect(defaultGrant([])).toBe("");
    expect(defaultGrant([GRANTS[1] as (typeof GRANTS)[0]])).toBe("cli");
  });
});

describe("ServersView: clients", () => {
  it("lists each client config found, with its counts, or why it cannot be read", async () => {
    const api = fakeApi({
      findClients: vi.fn(async () => [
        foundConfig({ servers: 3, wrapped: 1 }),
        foundConfig({
          client: "claude-desktop",
          label: "Claude Desktop",
          path: "/home/me/.config/Claude/claude_desktop_config.json",
          servers: 0,
          wrapped: 0,
          error: "Unexpected token } in JSON at position 12",
        }),
        foundConfig({
          client: "vscode",
          label: "VS Code",
          path: "/p/.vscode/mcp.json",
          servers: 2,
          wrapped: 2,
        }),
      ]),
    });
    renderWithApi(api, <ServersView servers={[server()]} toolChanges={[]} />);
    const cursor = await screen.findByRole("group", { name: "Cursor: /home/me/.cursor/mcp.json" });
    expect(cursor.textContent).toContain("3 servers, 1 already through the warden");
    expect(within(cursor).getByRole("button", { name: "Undo" })).toBeTruthy();
    const claude = screen.getByRole("group", { name: /^Claude Desktop:/ });
    expect(claude.textContent).toContain("Cannot read this file: Unexpected token } in JSON at position 12");
    const protect = (group: HTMLElement) =>
      (within(group).getByRole("button", { name: "Protect" }) as HTMLButtonElement).disabled;
    expect(protect(claude)).toBe(true);
    const vscode = screen.getByRole("group", { name: "VS Code: /p/.vscode/mcp.json" });
    expect(vscode.textContent).toContain("2 servers, 2 already through the warden");
    expect(protect(vscode)).toBe(true);
    expect(protect(cursor)).toBe(false);
  });

  it("Protect wraps the file and shows each entry's outcome and note; Undo unwraps it", async () => {
    const user = userEvent.setup();
    const found = foundConfig();
    const api = fakeApi({
      findClients: vi.fn(async () => [found]),
      wrapClient: vi.fn(async () => ({
        ok: true,
        result: {
          configPath: found.path,
          serversPath: "/data/servers.json",
          changed: true,
          backup: "/data/backups/cursor-mcp.json",
          grant: "cursor",
          entries: [
            { label: "mcpServers.vms", outcome: "moved" as const, server: "vms" },
            {
              label: "mcpServers.old",
              outcome: "disabled" as const,
              note: "disabled in the client: left alone",
            },
          ],
        },
      })),
      unwrapClient: vi.fn(async () => ({
        ok: true,
        result: {
          configPath: found.path,
          exact: true,
          restored: [],
          removedServers: ["vms"],
          keptServers: [],
          grantRemoved: true,
        },
      })),
    });
    renderWithApi(api, <ServersView servers={[server()]} toolChanges={[]} />);
    const group = await screen.findByRole("group", { name: `Cursor: ${found.path}` });
    expect(within(group).queryByRole("button", { name: "Undo" })).toBeNull();
    vi.mocked(api.findClients).mockResolvedValue([{ ...found, wrapped: 1 }]);
    await user.click(within(group).getByRole("button", { name: "Protect" }));
    expect(api.wrapClient).toHaveBeenCalledWith({ client: "cursor", path: found.path });
    const outcome = within(group).getByRole("status");
    await waitFor(() => expect(outcome.textContent).toContain("Restart Cursor to use it."));
    const entries = [...outcome.querySelectorAll(".entry-list li")].map((li) => li.textContent);
    expect(entries).toEqual([
      "mcpServers.vms moved → warden server vms",
      "mcpServers.old disabled, left alone — disabled in the client: left alone",
    ]);
    expect(outcome.textContent).toContain('with the client token "cursor"');
    expect(outcome.textContent).toContain("/data/backups/cursor-mcp.json");
    await waitFor(() => expect(group.textContent).toContain("2 servers, 1 already through the warden"));
    // The grant Protect created shows in the tokens list.
    expect(api.listGrants).toHaveBeenCalledTimes(2);

    await user.click(within(group).getByRole("button", { name: "Undo" }));
    expect(api.unwrapClient).toHaveBeenCalledWith({ client: "cursor", path: found.path });
    await waitFor(() => expect(outcome.textContent).toContain("Undone: the file is back exactly as it was."));
    expect(outcome.textContent).toContain("Taken out of the warden's servers: vms.");
    expect(outcome.textContent).toContain("Its client token was revoked.");
  });

  it("shows why Protect was refused", async () => {
    const user = userEvent.setup();
    const api = fakeApi({
      findClients: vi.fn(async () => [foundConfig()]),
      wrapClient: vi.fn(async () => ({ ok: false, error: "the file changed while it was read" })),
    });
    renderWithApi(api, <ServersView servers={[server()]} toolChanges={[]} />);
    await user.click(await screen.findByRole("button", { name: "Protect" }));
    expect(await screen.findByText("Could not protect: the file changed while it was read.")).toBeTruthy();
  });
});

describe("ServersView: starter policy", () => {
  it("asks for a connected server's starter policy and hands its text to the policy editor", async () => {
    const user = userEvent.setup();
    const onStarterPolicy = vi.fn();
    const api = fakeApi({ starterPolicy: vi.fn(async () => ({ text: '{"version": "1"}' })) });
    renderWithApi(
      api,
      <ServersView
        servers={[server(), server({ name: "down", state: "failed" })]}
        toolChanges={[]}
        onStarterPolicy={onStarterPolicy}
      />,
    );
    expect(screen.queryByRole("button", { name: "Starter policy for down" })).toBeNull();
    await user.click(screen.getByRole("button", { name: "Starter policy for virt" }));
    expect(api.starterPolicy).toHaveBeenCalledWith({ server: "virt" });
    expect(onStarterPolicy).toHaveBeenCalledWith("virt", '{"version": "1"}');
  });

  it("says why there is no starter policy", async () => {
    const user = userEvent.setup();
    const onStarterPolicy = vi.fn();
    const api = fakeApi({
      starterPolicy: vi.fn(async () => ({ error: 'server "virt" is not connected (restarting)' })),
    });
    renderWithApi(
      api,
      <ServersView servers={[server()]} toolChanges={[]} onStarterPolicy={onStarterPolicy} />,
    );
    await user.click(screen.getByRole("button", { name: "Starter policy for virt" }));
    expect((await screen.findByRole("alert")).textContent).toBe(
      'No starter policy: server "virt" is not connected (restarting).',
    );
    expect(onStarterPolicy).not.toHaveBeenCalled();
  });
});
