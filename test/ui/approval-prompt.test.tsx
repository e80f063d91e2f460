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
  it("leads with the effect on the target, then who asks, the risk in one line and what the limit leaves", () => {
    const first = approval({
      client: "claude-desktop",
      server: "virtualization",
      operation: "stop_vm",
      args: { vm_name: "prod-api", note: "n".repeat(3_000) },
      limits: [
        { counter: "stop_vm_rate", window: "minute", max: 10, scope: "grant", used: 3 },
        { counter: "all", window: "day", max: 100, scope: "global", used: 40 },
      ],
    });
    renderWithApi(
      fakeApi(),
      <ApprovalPrompt pending={[first, approval({ tool: "delete_vm" }), approval()]} />,
    );
    const heading = screen.getByRole("heading", { level: 2 });
    expect(heading.textContent).toBe("Stop VM prod-api on virtualization?");
    expect(heading.querySelector(".target")?.textContent).toBe("prod-api");
    expect(document.querySelector(".asker")?.textContent).toBe(
      "Asked by claude-desktop · virtualization/stop_vm",
    );
    expect(document.querySelector(".risk-line")?.textContent).toBe(
      "risk: high (destructive)  Hard-stops a VM: services go offline",
    );
    expect(document.querySelector(".limit-line")?.textContent).toBe(
      "3rd stop_vm from claude-desktop in the last minute; 7 left of 10",
    );
    expect(screen.getByText("Stopping a VM takes services offline")).toBeTruthy();
    const args = document.querySelector(".approval-args")?.textContent ?? "";
    expect(args).toContain('"vm_name": "prod-api"');
    expect(args).toContain("n".repeat(3_000));
  });

  it("without a limit says nothing about one; a tool nothing is known of lists every identifying argument", () => {
    const unknown = approval({
      tool: "upload",
      server: "files",
      args: { name: "weekly-report.pdf", path: "~/.ssh/id_ed25519" },
      risk: risk({ kind: "write", level: "medium", why: "Its name says upload.", source: "inferred" }),
    });
    renderWithApi(fakeApi(), <ApprovalPrompt pending={[unknown]} />);
    expect(screen.getByRole("heading", { level: 2 }).textContent).toBe(
      "Call upload (name weekly-report.pdf, path ~/.ssh/id_ed25519) on files?",
    );
    expect([...document.querySelectorAll(".approval-head .target")].map((t) => t.textContent)).toEqual([
      "weekly-report.pdf",
      "~/.ssh/id_ed25519",
    ]);
    expect(document.querySelector(".limit-line")).toBeNull();
  });

  it("Approve, Deny and the countdown sit outside the one scrolling area, which holds the details", () => {
    renderWithApi(fakeApi(), <ApprovalPrompt pending={[approval({ args: { note: "x".repeat(20_000) } })]} />);
    const body = document.querySelector(".approval-body") as HTMLElement;
    expect(body.contains(document.querySelector(".approval-args"))).toBe(true);
    for (const name of ["Approve", /Deny/])
      expect(body.contains(screen.getByRole("button", { name }))).toBe(false);
    expect(body.contains(screen.getByRole("timer", { name: "Time left to answer" }))).toBe(false);
    expect(body.contains(screen.getByRole("heading", { level: 2 }))).toBe(false);
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
    expect(screen.getByRole("heading", { level: 2 }).textContent).toBe(
      "Call vm_management (vm_name dev-web) on virt?",
    );
    const badge = screen.getByText("risk: critical (destructive)");
    expect(badge.className).toContain("risk-critical");
    expect(badge.getAttribute("title")).toBe("Deletes the VM and its disks");
    expect(document.querySelector(".risk-why")?.textContent).toBe("Deletes the VM and its disks");
    expect(screen.getByText("delete")).toBeTruthy();
    expect(screen.queryByText("inferred")).toBeNull();
    cleanup();

    const inferred = approval({
      tool: "run_query",
      risk: risk({ kind: "execute", level: "high", why: "Runs a command.", source: "inferred" }),
    });
    renderWithApi(fakeApi(), <ApprovalPrompt pending={[inferred]} />);
    expect(screen.getByText("risk: high (execute)")).toBeTruthy();
    expect(screen.getByText("inferred").getAttribute("title")).toMatch(/name, description and annotations/);
    expect(document.querySelector(".risk-why")?.textContent).toBe("Runs a command.");
    cleanup();

    renderWithApi(fakeApi(), <ApprovalPrompt pending={[approval({ risk: undefined })]} />);
    expect(screen.getByText("risk: not assessed")).toBeTruthy();
  });

  it("reveals a disguised tool name in the heading", () => {
    renderWithApi(
      fakeApi(),
      <ApprovalPrompt pending={[approval({ tool: "list\u200B_vms", risk: undefined })]} />,
    );
    expect(screen.getByRole("heading", { level: 2 }).textContent).toBe(
      "Call list\\u200B_vms (vm_name dev-web) on virt?",
    );
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
    expect(await screen.findByText("Stop VM dev-web on virt: approved by you.")).toBeTruthy();
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
      await screen.findByText("Stop VM dev-web on virt: approved by you, and the same call for 60 minutes."),
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
    const second = approval({ args: { vm_name: "db-2" } });
    const view = renderWithApi(api, <ApprovalPrompt pending={[first, second]} />);
    await armed();
    await user.click(screen.getByRole("button", { name: "Approve" }));
    view.rerender(<ApprovalPrompt pending={[second]} />);
    expect(screen.getByRole("heading", { level: 2 }).textContent).toBe("Stop VM db-2 on virt?");
    expect((screen.getByRole("button", { name: "Approve" }) as HTMLButtonElement).disabled).toBe(true);
    expect(api.approve).toHaveBeenCalledTimes(1);
  });
});

describe("the queue", () => {
  it("lists every waiting request with its own countdown, and opens any of them", async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1, 12, 0, 0), shouldAdvanceTime: true });
    const now = Date.now();
    const api = fakeApi();
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    const queue = [
      approval({ args: { vm_name: "web-1" }, createdAt: now, deadline: now + 60_000 }),
      approval({ args: { vm_name: "web-2" }, createdAt: now, deadline: now + 90_000 }),
      approval({ args: { vm_name: "web-3" }, createdAt: now, deadline: now + 150_000 }),
    ];
    renderWithApi(api, <ApprovalPrompt pending={queue} />);
    const list = screen.getByRole("list", { name: "Waiting for approval (3)" });
    const items = [...list.querySelectorAll("button.queue-item")] as HTMLButtonElement[];
    expect(items.map((b) => b.textContent)).toEqual([
      "Stop VM web-1 on virt?cli · 1:00 left",
      "Stop VM web-2 on virt?cli · 1:30 left",
      "Stop VM web-3 on virt?cli · 2:30 left",
    ]);
    expect(items[0]?.getAttribute("aria-current")).toBe("true");

    await user.click(items[2] as HTMLButtonElement);
    expect(screen.getByRole("heading", { level: 2 }).textContent).toBe("Stop VM web-3 on virt?");
    expect(items[2]?.getAttribute("aria-current")).toBe("true");
    // Opening another request re-arms Approve, so a click meant for the first cannot land on it.
    expect((screen.getByRole("button", { name: "Approve" }) as HTMLButtonElement).disabled).toBe(true);
    act(() => {
      vi.advanceTimersByTime(ARMING_MS + 250);
    });
    await user.click(screen.getByRole("button", { name: "Approve" }));
    expect(api.approve).toHaveBeenCalledWith({ id: queue[2]?.id, callHash: queue[2]?.callHash });
    act(() => {
      vi.advanceTimersByTime(30_000);
    });
    expect(items.map((b) => b.querySelector("[role=timer]")?.textContent)).toEqual(["0:29", "0:59", "1:59"]);
  });
});

describe("how each request ended", () => {
  it.each([
    ["timed-out", "Stop VM web-1 on virt: timed out: no one answered in time, so it was denied."],
    ["deny-all", "Stop VM web-1 on virt: denied by Deny-all."],
    ["cancelled", "Stop VM web-1 on virt: withdrawn: the client stopped waiting."],
    ["denied", "Stop VM web-1 on virt: denied."],
    ["approved", "Stop VM web-1 on virt: approved."],
  ] as const)("a shown request that ends by %s says so and names it; the next one is shown", (end, said) => {
    const first = approval({ args: { vm_name: "web-1" } });
    const second = approval({ args: { vm_name: "web-2" } });
    const view = renderWithApi(fakeApi(), <ApprovalPrompt pending={[first, second]} />);
    view.rerender(<ApprovalPrompt pending={[second]} ended={[{ approval: first, end, at: Date.now() }]} />);
    expect(screen.getByRole("status").textContent).toBe(said);
    expect(screen.getByRole("heading", { level: 2 }).textContent).toBe("Stop VM web-2 on virt?");
    const ended = screen.getByRole("list", { name: "Just ended" });
    expect(ended.textContent).toContain("Stop VM web-1 on virt?");
    expect(ended.textContent).toContain(said.replace("Stop VM web-1 on virt: ", "").replace(/\.$/, ""));
  });

  it("the last one ending leaves the empty prompt saying how it ended", () => {
    const only = approval({ args: { vm_name: "web-1" } });
    const view = renderWithApi(fakeApi(), <ApprovalPrompt pending={[only]} />);
    view.rerender(
      <ApprovalPrompt pending={[]} ended={[{ approval: only, end: "timed-out", at: Date.now() }]} />,
    );
    expect(screen.getByText("No call is waiting for your approval.")).toBeTruthy();
    expect(screen.getByRole("status").textContent).toBe(
      "Stop VM web-1 on virt: timed out: no one answered in time, so it was denied.",
    );
  });

  it("your own answer names the request it was for, not the one shown next", async () => {
    const api = fakeApi();
    const user = userEvent.setup();
    const first = approval({ args: { vm_name: "web-1" } });
    const second = approval({ args: { vm_name: "web-2" } });
    const view = renderWithApi(api, <ApprovalPrompt pending={[first, second]} />);
    await user.click(screen.getByRole("button", { name: /Deny/ }));
    await screen.findByText("Stop VM web-1 on virt: denied by you.");
    view.rerender(
      <ApprovalPrompt pending={[second]} ended={[{ approval: first, end: "denied", at: Date.now() }]} />,
    );
    expect(screen.getByRole("status").textContent).toBe("Stop VM web-1 on virt: denied by you.");
    expect(screen.getByRole("heading", { level: 2 }).textContent).toBe("Stop VM web-2 on virt?");
  });
});
