// @vitest-environment happy-dom
import { cleanup, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { clientConfig, ServersView } from "../../renderer/src/servers/ServersView.js";
import { server } from "./fake-api.js";

afterEach(cleanup);

describe("ServersView", () => {
  it("shows each upstream's state, endpoint, tools and stderr", () => {
    render(
      <ServersView
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
    render(<ServersView servers={[server()]} />);
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

  it("says where to add servers when there are none", () => {
    render(<ServersView servers={[]} />);
    expect(screen.getByText(/No upstream servers are configured/)).toBeTruthy();
  });
});
