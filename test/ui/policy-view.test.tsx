// @vitest-environment happy-dom
import { act, cleanup, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { EditorView } from "codemirror";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PolicyView } from "../../renderer/src/policy/PolicyView.js";
import type { DryRunCall } from "../../shared/contract.js";
import { fakeApi, POLICY_TEXT, risk, server } from "./fake-api.js";
import { renderWithApi } from "./render.js";

afterEach(cleanup);

/** The CodeMirror view inside the editor element. */
function editorView(): EditorView {
  const dom = document.querySelector<HTMLElement>(".cm-editor");
  const view = dom && EditorView.findFromDOM(dom);
  if (!view) throw new Error("no editor");
  return view;
}

function editorText(): string {
  return editorView().state.doc.toString();
}

/** Replaces the editor's text as typing would (through a transaction). */
function typeInto(text: string) {
  const view = editorView();
  act(() => {
    view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
  });
}

async function setup(api = fakeApi()) {
  renderWithApi(api, <PolicyView servers={[server()]} generation={1} />);
  await screen.findByText("/data/policy.json");
  // The editor is created in an effect, which React may run after the text above is on screen.
  await waitFor(() => editorView());
  return api;
}

const INVALID = POLICY_TEXT.replace('"approve"', '"aprove"');

describe("PolicyView", () => {
  it("loads the running policy into the editor", async () => {
    await setup();
    expect(editorText()).toBe(POLICY_TEXT);
    expect(screen.getByText("No problems.")).toBeTruthy();
    expect((screen.getByRole("button", { name: "Save" }) as HTMLButtonElement).disabled).toBe(true);
  });

  it("shows an invalid edit's errors at once (the shared schema runs in the page) and in the editor", async () => {
    const api = await setup();
    typeInto(INVALID);
    const problems = await screen.findByRole("region", { name: "Problems in the edited policy" });
    await waitFor(() => expect(problems.textContent).toContain("tools.stop_vm.action"));
    await waitFor(() => expect(document.querySelectorAll(".cm-lintRange-error").length).toBeGreaterThan(0));
    expect(document.querySelector(".cm-lintRange-error")?.textContent).toBe('"aprove"');
    expect(api.validatePolicy).not.toHaveBeenCalledWith({ text: INVALID });
  });

  it("asks the core too, and shows what only the core finds", async () => {
    const api = fakeApi({
      validatePolicy: vi.fn(async () => ({ errors: [{ path: "tools.list_vms", message: "core says no" }] })),
    });
    await setup(api);
    typeInto(POLICY_TEXT.replace('"allow"', '"deny"'));
    await waitFor(() => expect(screen.getByText("tools.list_vms: core says no")).toBeTruthy());
  });

  it("Save is off, saying why, while the edit shows errors", async () => {
    await setup();
    typeInto(INVALID);
    const save = screen.getByRole("button", { name: "Save" }) as HTMLButtonElement;
    await waitFor(() => expect(save.disabled).toBe(true));
    expect(save.title).toMatch(/^Fix the (error|\d+ errors) under the editor to save$/);
  });

  it("a save the core refuses says the running policy is unchanged", async () => {
    const edited = POLICY_TEXT.replace('"deny"', '"approve"');
    const api = fakeApi({
      savePolicy: vi.fn(async () => ({
        ok: false,
        errors: [{ path: "tools.stop_vm.action", message: "bad action" }],
      })),
    });
    const user = userEvent.setup();
    await setup(api);
    typeInto(edited);
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(api.savePolicy).toHaveBeenCalledWith({ text: edited });
    expect(
      await screen.findByText(/Not saved: the policy has \d+ errors?\. The running policy is unchanged\./),
    ).toBeTruthy();
    expect(screen.getByText("Edited, not saved")).toBeTruthy();
  });

  it("Save applies a valid policy and then shows it as the running one", async () => {
    const edited = POLICY_TEXT.replace('"deny"', '"approve"');
    let running = POLICY_TEXT;
    const api = fakeApi({
      getPolicy: vi.fn(async () => ({
        path: "/data/policy.json",
        text: running,
        loadedAt: Date.now(),
        fileErrors: [],
      })),
      savePolicy: vi.fn(async ({ text }: { text: string }) => {
        running = text;
        return { ok: true, errors: [] };
      }),
    });
    const user = userEvent.setup();
    await setup(api);
    typeInto(edited);
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText(/Saved and applied at/)).toBeTruthy();
    await waitFor(() => expect(screen.getByText("Saved")).toBeTruthy());
    expect(editorText()).toBe(edited);
  });

  it("Revert goes back to the running policy", async () => {
    const user = userEvent.setup();
    await setup();
    typeInto(INVALID);
    await user.click(screen.getByRole("button", { name: "Revert" }));
    expect(editorText()).toBe(POLICY_TEXT);
  });

  it("shows the diff against the running policy", async () => {
    const user = userEvent.setup();
    await setup();
    typeInto(POLICY_TEXT.replace('"deny"', '"allow"'));
    await user.click(screen.getByRole("tab", { name: /Changes/ }));
    const table = screen.getByRole("table", { name: "Changes against the running policy" });
    const changed = [...table.querySelectorAll("tr.diff-del, tr.diff-add")].map((r) => r.textContent);
    expect(changed).toEqual(['3removed: -   "default": "deny",', '3added: +   "default": "allow",']);
  });

  it("follows the running policy when it changes on disk, unless edited", async () => {
    let running = POLICY_TEXT;
    const api = fakeApi({
      getPolicy: vi.fn(async () => ({
        path: "/data/policy.json",
        text: running,
        loadedAt: Date.now(),
        fileErrors: [],
      })),
    });
    await setup(api);
    running = POLICY_TEXT.replace('"deny"', '"approve"');
    act(() => api.emit("policy", { loadedAt: Date.now(), fileErrors: [] }));
    await waitFor(() => expect(editorText()).toBe(running));

    const mine = running.replace('"allow"', '"deny"');
    typeInto(mine);
    running = POLICY_TEXT;
    act(() => api.emit("policy", { loadedAt: Date.now(), fileErrors: [] }));
    await waitFor(() => expect(api.getPolicy).toHaveBeenCalledTimes(3));
    await act(async () => {});
    expect(editorText()).toBe(mine);
  });

  it("dry-runs a call against the edited policy and shows the decision and the rule", async () => {
    const dryRun = vi.fn(async (_call: DryRunCall) => ({
      decision: {
        verdict: "approve" as const,
        rule: 'tools["stop_vm"]',
        reason: "Stopping a VM takes services offline",
      },
      errors: [],
    }));
    const api = fakeApi({ dryRun });
    const user = userEvent.setup();
    await setup(api);
    await user.click(screen.getByRole("tab", { name: "Dry run" }));
    const form = screen.getByRole("form", { name: "Dry run" });
    await user.type(within(form).getByLabelText("Tool"), "stop_vm");
    const args = within(form).getByLabelText("Arguments (JSON)");
    await user.clear(args);
    await user.click(args);
    await user.paste('{"vm_name": "dev-web"}');
    await user.click(within(form).getByRole("button", { name: "Run dry run" }));
    expect(await within(form).findByText('tools["stop_vm"]')).toBeTruthy();
    expect(within(form).getByText("ask a human")).toBeTruthy();
    expect(dryRun).toHaveBeenLastCalledWith({
      server: "virt",
      tool: "stop_vm",
      args: { vm_name: "dev-web" },
      policy: POLICY_TEXT,
    });
  });

  it("lists each tool with its decision, and edits a rule without JSON", async () => {
    const dryRun = vi.fn(async (call: DryRunCall) => ({
      decision:
        call.tool === "stop_vm"
          ? { verdict: "approve" as const, rule: 'tools["stop_vm"]', reason: "" }
          : { verdict: "allow" as const, rule: 'tools["list_vms"]', reason: "" },
      errors: [],
    }));
    const user = userEvent.setup();
    await setup(fakeApi({ dryRun }));
    const table = await screen.findByRole("table");
    await waitFor(() => expect(within(table).getByText("ask a human")).toBeTruthy());
    expect(dryRun).toHaveBeenCalledWith({ server: "virt", tool: "stop_vm", args: {}, policy: POLICY_TEXT });
    await user.click(screen.getByRole("button", { name: "Edit the rule for stop_vm on virt" }));
    const form = screen.getByRole("form", { name: "Rule for stop_vm" });
    expect((within(form).getByLabelText("Action") as HTMLSelectElement).value).toBe("approve");
    await user.selectOptions(within(form).getByLabelText("Action"), "deny");
    await user.clear(within(form).getByLabelText("Reason"));
    await user.type(within(form).getByLabelText("Reason"), "Not from agents");
    await user.click(within(form).getByRole("button", { name: "Add limit" }));
    await user.click(within(form).getByRole("button", { name: "Apply to edited policy" }));
    const policy = JSON.parse(editorText());
    expect(policy.tools.stop_vm).toEqual({
      action: "deny",
      reason: "Not from agents",
      limits: [{ counter: "stop_vm_rate", window: "minute", max: 10, scope: "grant" }],
    });
    expect(screen.getByText("Edited, not saved")).toBeTruthy();
  });

  it("shows each tool's risk beside it in the rules view, and says when it is inferred", async () => {
    const tools = [
      { name: "list_vms", risk: risk({ kind: "read", level: "low", why: "Lists VMs." }) },
      { name: "stop_vm", risk: risk({ level: "high", why: "Stops a VM." }) },
      { name: "run_x", risk: risk({ kind: "execute", level: "high", why: "Runs.", source: "inferred" }) },
      { name: "plain" },
    ];
    renderWithApi(fakeApi(), <PolicyView servers={[server({ tools })]} generation={1} />);
    const table = await screen.findByRole("table");
    expect(within(table).getByRole("columnheader", { name: "Risk" })).toBeTruthy();
    const riskOf = (tool: string) =>
      within(table)
        .getByRole("rowheader", { name: new RegExp(`^${tool} `) })
        .closest("tr")
        ?.querySelector(".risk-cell")?.textContent;
    expect(riskOf("list_vms")).toBe("risk: low (read)");
    expect(riskOf("stop_vm")).toBe("risk: high (destructive)");
    expect(riskOf("run_x")).toBe("risk: high (execute)inferred");
    expect(riskOf("plain")).toBe("");
    expect(within(table).getByText("risk: low (read)").getAttribute("title")).toBe("Lists VMs.");
  });

  it("replays the recorded calls and lists those whose decision would change", async () => {
    const replay = vi.fn(async (_params: { policy: string; limit?: number; since?: number }) => ({
      changed: [
        {
          call: {
            id: "c1",
            ts: Date.now(),
            client: "cli",
            session: "s",
            server: "virt",
            tool: "stop_vm",
            args: { vm_name: "prod-db" },
            status: "awaiting-approval" as const,
            rule: 'tools["stop_vm"]',
            reason: "",
          },
          before: "approve" as const,
          after: "deny" as const,
          rule: 'tools["stop_vm"][0]',
          reason: "Not production",
        },
      ],
      total: 12,
      errors: [],
    }));
    const user = userEvent.setup();
    await setup(fakeApi({ replay }));
    typeInto(POLICY_TEXT.replace('"deny"', '"allow"'));
    await user.click(screen.getByRole("tab", { name: "Replay" }));
    await user.click(screen.getByRole("button", { name: "Replay recorded calls" }));
    expect(await screen.findByText(/1 of 12 recorded calls would be decided differently/)).toBeTruthy();
    const row = document.querySelector('tr[data-call-id="c1"]') as HTMLElement;
    expect(row.textContent).toContain("virt/stop_vm");
    expect(row.textContent).toContain('tools["stop_vm"][0]');
    expect(row.textContent).toContain("Not production");
    expect(replay).toHaveBeenCalledWith({ policy: POLICY_TEXT.replace('"deny"', '"allow"'), limit: 1_000 });

    await user.click(screen.getByLabelText("since"));
    const since = screen.getByLabelText("Since") as HTMLInputElement;
    await user.clear(since);
    await user.type(since, "2026-01-02T03:04");
    await user.click(screen.getByRole("button", { name: "Replay recorded calls" }));
    expect(replay).toHaveBeenLastCalledWith({
      policy: POLICY_TEXT.replace('"deny"', '"allow"'),
      limit: 5_000,
      since: new Date("2026-01-02T03:04").getTime(),
    });
  });
});
