// @vitest-environment happy-dom
import { act, cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApprovalPrompt, ARMING_MS } from "../../renderer/src/approvals/ApprovalPrompt.js";
import { approval, fakeApi, risk } from "./fake-api.js";
import { renderWithApi } from "./render.js";

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

/** Waits until Approve is armed (it is disabled for a moment after a request appears). */
async function armed() {
  await waitFor(
    () => expect((screen.getByRole("button", { name: "Approve" }) as HTMLButtonElement).disabled).toBe(false),
    { timeout: ARMING_MS * 4 },
  );
}

describe("ApprovalPrompt", () => {
  it("shows the oldest request in full: client, server, tool, risk, rule, reason, arguments, and the queue", () => {
    const api = fakeApi();
    const first = approval({
      client: "claude-desktop",
      args: { vm_name: "dev-web", note: "n".repeat(3_000) },
    });
    renderWithApi(api, <ApprovalPrompt pending={[first, approval({ tool: "delete_vm" }), approval()]} />);
    expect(screen.getByRole("heading", { level: 2 }).textContent).toBe("Approve stop_vm?");
    expect(screen.getByText("claude-desktop")).toBeTruthy();
    expect(screen.getByText("virt")).toBeTruthy();
    expect(screen.getByText('tools["stop_vm"]')).toBeTruthy();
    expect(screen.getByText("Stopping a VM takes services offline")).toBeTruthy();
    expect(screen.getByText("risk: high (destructive)")).toBeTruthy();
    expect(screen.getByText("Hard-stops a VM: services go offline")).toBeTruthy();
    expect(screen.getByText("2 more waiting")).toBeTruthy();
    const args = document.querySelector(".approval-args")?.textContent ?? "";
    expect(args).toContain('"vm_name": "dev-web"');
    expect(args).toContain("n".repeat(3_000));
  });

  it("shows disguising characters as escape badges, with a warning that names them", () => {
    const api = fakeApi();
    renderWithApi(
      api,
      <ApprovalPrompt pending={[approval({ args: { vm_name: "prod-d\u0430ta\u202Egpj.exe" } })]} />,
    );
    const args = document.querySelector(".approval-args") as HTMLElement;
    expect(args.textContent).toContain("prod-d\\u0430ta\\u202Egpj.exe");
    expect(args.textContent).not.toContain("\u202E");
    expect(args.querySelectorAll("abbr.reveal")).toHaveLength(2);
    const warning = screen.getByRole("note");
    expect(warning.textContent).toContain("RIGHT-TO-LEFT OVERRIDE");
    expect(warning.textContent).toContain('looks like "a"');
  });

  it("shows the call's risk from the contract: level, kind, why, action; and says when it is inferred", () => {
    const critical = approval({
      tool: "vm_management",
      operation: "delete_vm",
      risk: risk({ level: "critical", why: "Deletes the VM and its disks", action: "delete" }),
    });
    renderWithApi(fakeApi(), <ApprovalPrompt pending={[critical]} />);
    const badge = screen.getByText("risk: critical (destructive)");
    expect(badge.className).toContain("risk-critical");
    expect(badge.getAttribute("title")).toBe("Deletes the VM and its disks");
    expect(screen.getByText("Deletes the VM and its disks")).toBeTruthy();
    expect(document.querySelector(".risk-why")?.textContent).toBe(
      "Deletes the VM and its disks (destructive, critical, action delete)",
    );
    expect(screen.queryByText("inferred")).toBeNull();
    cleanup();

    const inferred = approval({
      tool: "run_query",
      risk: risk({ kind: "execute", level: "high", why: "Runs a command.", source: "inferred" }),
    });
    renderWithApi(fakeApi(), <ApprovalPrompt pending={[inferred]} />);
    expect(screen.getByText("risk: high (execute)")).toBeTruthy();
    expect(screen.getByText("inferred").getAttribute("title")).toMatch(/name, description and annotations/);
    expect(document.querySelector(".risk-why")?.textContent).toBe(
      "Runs a command. (execute, high, inferred)",
    );
    cleanup();

    renderWithApi(fakeApi(), <ApprovalPrompt pending={[approval({ risk: undefined })]} />);
    expect(screen.getByText("risk: not assessed")).toBeTruthy();
  });

  it("reveals a disguised tool name in the heading", () => {
    renderWithApi(fakeApi(), <ApprovalPrompt pending={[approval({ tool: "list\u200B_vms" })]} />);
    expect(screen.getByRole("heading", { level: 2 }).textContent).toBe("Approve list\\u200B_vms?");
  });

  it("starts with focus on the arguments, never on Approve", () => {
    renderWithApi(fakeApi(), <ApprovalPrompt pending={[approval()]} />);
    expect(document.activeElement).toBe(document.querySelector(".approval-args"));
    expect(document.activeElement).not.toBe(screen.getByRole("button", { name: "Approve" }));
  });

  it("does not let Approve be pressed until it is armed", async () => {
    const api = fakeApi();
    renderWithApi(api, <ApprovalPrompt pending={[approval()]} />);
    const approve = screen.getByRole("button", { name: "Approve" });
    expect((approve as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(approve);
    expect(api.approve).not.toHaveBeenCalled();
    await armed();
  });

  it("Enter on a focused Approve does not approve", async () => {
    const api = fakeApi();
    const user = userEvent.setup();
    renderWithApi(api, <ApprovalPrompt pending={[approval()]} />);
    await armed();
    screen.getByRole("button", { name: "Approve" }).focus();
    await user.keyboard("{Enter}");
    expect(api.approve).not.toHaveBeenCalled();
    expect(api.deny).not.toHaveBeenCalled();
  });

  it("a click on Approve approves the shown request", async () => {
    const api = fakeApi();
    const user = userEvent.setup();
    const first = approval();
    renderWithApi(api, <ApprovalPrompt pending={[first, approval()]} />);
    await armed();
    await user.click(screen.getByRole("button", { name: "Approve" }));
    expect(api.approve).toHaveBeenCalledWith({ id: first.id, callHash: first.callHash });
    expect(await screen.findByText("Approved stop_vm on virt.")).toBeTruthy();
  });

  it("approves the same call for the chosen minutes when asked to, bound to the shown call's hash", async () => {
    const api = fakeApi();
    const user = userEvent.setup();
    const first = approval({ callHash: "hash-of-the-shown-call" });
    renderWithApi(api, <ApprovalPrompt pending={[first]} />);
    const standing = screen.getByRole("checkbox", { name: /Also approve this exact call for/ });
    const minutes = screen.getByRole("combobox", { name: "Minutes to approve this exact call for" });
    expect((standing as HTMLInputElement).checked).toBe(false);
    expect((minutes as HTMLSelectElement).value).toBe("15");
    expect([...(minutes as HTMLSelectElement).options].map((o) => o.value)).toEqual(["5", "15", "60"]);
    await user.click(standing);
    await user.selectOptions(minutes, "60");
    await armed();
    await user.click(screen.getByRole("button", { name: "Approve" }));
    expect(api.approve).toHaveBeenCalledWith({
      id: first.id,
      callHash: "hash-of-the-shown-call",
      forMinutes: 60,
    });
    expect(
      await screen.findByText("Approved stop_vm on virt, and the same call for 60 minutes."),
    ).toBeTruthy();
  });

  it("choosing minutes ticks the box; a new request starts without it; Enter in the control does not approve", async () => {
    const api = fakeApi();
    const user = userEvent.setup();
    const first = approval();
    const second = approval({ tool: "delete_vm" });
    const view = renderWithApi(api, <ApprovalPrompt pending={[first, second]} />);
    const minutes = screen.getByRole("combobox", { name: "Minutes to approve this exact call for" });
    await user.selectOptions(minutes, "5");
    const standing = screen.getByRole("checkbox", { name: /Also approve this exact call for/ });
    expect((standing as HTMLInputElement).checked).toBe(true);
    await armed();
    standing.focus();
    await user.keyboard("{Enter}");
    minutes.focus();
    await user.keyboard("{Enter}");
    expect(api.approve).not.toHaveBeenCalled();

    view.rerender(<ApprovalPrompt pending={[second]} />);
    expect(
      (screen.getByRole("checkbox", { name: /Also approve this exact call for/ }) as HTMLInputElement)
        .checked,
    ).toBe(false);
    await armed();
    await user.click(screen.getByRole("button", { name: "Approve" }));
    expect(api.approve).toHaveBeenCalledWith({ id: second.id, callHash: second.callHash });
  });

  it("a refused approve (the call changed since it was shown) is said", async () => {
    const api = fakeApi({
      approve: vi.fn(async () => ({ ok: false, error: "the call changed since it was shown" })),
    });
    const user = userEvent.setup();
    renderWithApi(api, <ApprovalPrompt pending={[approval()]} />);
    await armed();
    await user.click(screen.getByRole("button", { name: "Approve" }));
    expect(await screen.findByText("Could not approve: the call changed since it was shown.")).toBeTruthy();
  });

  it("Escape denies, wherever the focus is", async () => {
    const api = fakeApi();
    const first = approval();
    renderWithApi(api, <ApprovalPrompt pending={[first]} />);
    fireEvent.keyDown(document.body, { key: "Escape" });
    await waitFor(() => expect(api.deny).toHaveBeenCalledWith({ id: first.id }));
    expect(api.approve).not.toHaveBeenCalled();
  });

  it("the Deny button denies, and a refusal from the core is shown", async () => {
    const api = fakeApi({
      deny: vi.fn(async () => ({ ok: false, error: "no pending approval with that id" })),
    });
    const user = userEvent.setup();
    renderWithApi(api, <ApprovalPrompt pending={[approval()]} />);
    await user.click(screen.getByRole("button", { name: /Deny/ }));
    expect(await screen.findByText("Could not deny: no pending approval with that id.")).toBeTruthy();
  });

  it("counts down to the deadline", () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1, 12, 0, 0) });
    const now = Date.now();
    renderWithApi(
      fakeApi(),
      <ApprovalPrompt pending={[approval({ createdAt: now, deadline: now + 90_000 })]} />,
    );
    expect(screen.getByRole("timer").textContent).toContain("1:30");
    act(() => {
      vi.advanceTimersByTime(31_000);
    });
    expect(screen.getByRole("timer").textContent).toContain("0:59");
  });

  it("says so when nothing waits", () => {
    renderWithApi(fakeApi(), <ApprovalPrompt pending={[]} />);
    expect(screen.getByText("No call is waiting for your approval.")).toBeTruthy();
  });

  it("re-arms when the next request replaces the answered one, so a second click cannot land on it", async () => {
    const api = fakeApi();
    const user = userEvent.setup();
    const first = approval();
    const second = approval({ tool: "delete_vm" });
    const view = renderWithApi(api, <ApprovalPrompt pending={[first, second]} />);
    await armed();
    await user.click(screen.getByRole("button", { name: "Approve" }));
    view.rerender(<ApprovalPrompt pending={[second]} />);
    expect(screen.getByRole("heading", { level: 2 }).textContent).toBe("Approve delete_vm?");
    expect((screen.getByRole("button", { name: "Approve" }) as HTMLButtonElement).disabled).toBe(true);
    expect(api.approve).toHaveBeenCalledTimes(1);
  });
});
