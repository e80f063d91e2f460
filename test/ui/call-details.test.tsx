// @vitest-environment happy-dom
import { cleanup, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CallDetails, truncatedPreview } from "../../renderer/src/calls/CallDetails.js";
import { call, fakeApi } from "./fake-api.js";
import { renderWithApi } from "./render.js";

afterEach(cleanup);

const RESULT = {
  content: [{ type: "text", text: "2 VMs" }],
  structuredContent: { vms: [{ name: "dev-web", state: "running" }] },
};

describe("CallDetails", () => {
  it("reads the call's result with getCall and shows it as pretty JSON beside the arguments, rule and reason", async () => {
    const shown = call({ tool: "list_vms", rule: 'tools["list_vms"]', reason: "Reads are fine" });
    const api = fakeApi({ getCall: vi.fn(async () => ({ call: shown, result: RESULT })) });
    renderWithApi(api, <CallDetails call={shown} onClose={() => {}} />);
    expect(api.getCall).toHaveBeenCalledWith({ id: shown.id });
    expect(screen.getByText("Reading the result…")).toBeTruthy();
    const result = await waitFor(() => {
      const pre = document.querySelector("pre.call-result");
      if (!pre) throw new Error("no result yet");
      return pre;
    });
    expect(result.textContent).toBe(JSON.stringify(RESULT, null, 2));
    const details = screen.getByRole("region", { name: /list_vms/ });
    expect(details.textContent).toContain("Reads are fine");
    expect(details.textContent).toContain('tools["list_vms"]');
    expect(screen.getByRole("heading", { name: "Result" })).toBeTruthy();
    expect(screen.queryByText(/Truncated/)).toBeNull();
  });

  it("says when the core cut the result, and shows the preview it kept", async () => {
    const preview = `{"content":[{"type":"text","text":"${"x".repeat(200)}`;
    const shown = call();
    const api = fakeApi({
      getCall: vi.fn(async () => ({ call: shown, result: { truncated: true, preview } })),
    });
    renderWithApi(api, <CallDetails call={shown} onClose={() => {}} />);
    expect((await screen.findByRole("note")).textContent).toContain("Truncated: the result was over 64 KB");
    expect(document.querySelector("pre.call-result")?.textContent).toBe(preview);
  });

  it("says there is no result for a call that was not forwarded, and reads again when the call is answered", async () => {
    const waiting = call({ tool: "stop_vm", status: "awaiting-approval", outcome: undefined });
    const getCall = vi
      .fn()
      .mockResolvedValueOnce({ call: waiting })
      .mockResolvedValueOnce({ call: waiting, result: { content: [], isError: false } });
    const api = fakeApi({ getCall });
    const view = renderWithApi(api, <CallDetails call={waiting} onClose={() => {}} />);
    expect(await screen.findByText(/No result: the call was not forwarded/)).toBeTruthy();
    view.rerender(
      <CallDetails call={{ ...waiting, status: "approved", outcome: "ok" }} onClose={() => {}} />,
    );
    await waitFor(() =>
      expect(document.querySelector("pre.call-result")?.textContent).toContain('"isError": false'),
    );
    expect(getCall).toHaveBeenCalledTimes(2);
  });

  it("says when the result cannot be read", async () => {
    const api = fakeApi({ getCall: vi.fn(async () => Promise.reject(new Error("HTTP 500"))) });
    renderWithApi(api, <CallDetails call={call()} onClose={() => {}} />);
    expect(await screen.findByText("Could not read the result: HTTP 500")).toBeTruthy();
  });

  it("recognises only the core's truncation marker", () => {
    expect(truncatedPreview({ truncated: true, preview: "{" })).toBe("{");
    expect(truncatedPreview({ truncated: true, preview: "{", other: 1 })).toBeUndefined();
    expect(truncatedPreview({ truncated: "yes", preview: "{" })).toBeUndefined();
    expect(truncatedPreview([1])).toBeUndefined();
    expect(truncatedPreview(null)).toBeUndefined();
  });
});
