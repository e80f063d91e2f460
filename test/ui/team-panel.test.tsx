// @vitest-environment happy-dom
import { act, cleanup, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ServersView } from "../../renderer/src/servers/ServersView.js";
import type { TeamStatus } from "../../shared/contract.js";
import { fakeApi, server } from "./fake-api.js";
import { renderWithApi } from "./render.js";

afterEach(cleanup);

function team(overrides: Partial<TeamStatus> = {}): TeamStatus {
  return {
    configured: true,
    team: "ops",
    member: "alice",
    publicKey: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
    state: "connected",
    redis: "rediss://redis.example:6380",
    members: [
      { name: "alice", online: true, admin: false },
      { name: "bob", online: false, admin: true },
    ],
    denyAll: { on: false },
    refused: [],
    ...overrides,
  };
}

describe("the team in the Servers view", () => {
  it("shows nothing for a warden in no team", async () => {
    const api = fakeApi();
    renderWithApi(api, <ServersView servers={[server()]} toolChanges={[]} />);
    await waitFor(() => expect(api.getTeam).toHaveBeenCalled());
    expect(screen.queryByRole("region", { name: /^Team/ })).toBeNull();
  });

  it("shows the connection, this member's key and the members, and follows the core's events", async () => {
    const api = fakeApi({ getTeam: vi.fn(async () => team()) });
    renderWithApi(api, <ServersView servers={[server()]} toolChanges={[]} />);
    const panel = await screen.findByRole("region", { name: "Team ops" });
    expect(within(panel).getByText("connected")).toBeTruthy();
    expect(within(panel).getByText("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")).toBeTruthy();
    const members = within(panel).getByRole("list", { name: "Members" });
    expect(members.textContent).toContain("alice (you)");
    expect(members.textContent).toContain("bob · admin");
    act(() => api.emit("team", team({ state: "down", lastError: "connect ECONNREFUSED 127.0.0.1:6380" })));
    expect(within(panel).getByText("down")).toBeTruthy();
    expect(panel.textContent).toContain("connect ECONNREFUSED 127.0.0.1:6380");
    expect(panel.textContent).toContain("local rules keep working");
    expect(within(panel).getByRole("button", { name: "Turn team Deny-all on" })).toHaveProperty(
      "disabled",
      true,
    );
  });

  it("turns the team Deny-all on, and says why turning it off was refused", async () => {
    const api = fakeApi({
      getTeam: vi.fn(async () => team({ denyAll: { on: true, by: "bob", at: 1 } })),
      setTeamDenyAll: vi.fn(async () => ({
        ok: false,
        error: "only bob (who turned it on) or a team admin may turn the team Deny-all off",
      })),
    });
    renderWithApi(api, <ServersView servers={[server()]} toolChanges={[]} />);
    const panel = await screen.findByRole("region", { name: "Team ops" });
    expect(panel.textContent).toContain("Team Deny-all is on (turned on by bob)");
    await userEvent.click(within(panel).getByRole("button", { name: "Turn team Deny-all off" }));
    expect(api.setTeamDenyAll).toHaveBeenCalledWith({ on: false });
    expect((await within(panel).findByRole("alert")).textContent).toContain("only bob (who turned it on)");
  });
});
