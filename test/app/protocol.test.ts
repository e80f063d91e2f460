/** app://warden serves the built UI with the UI's CSP and never anything outside its folder. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  APP_SCHEME_PRIVILEGES,
  resolveUiPath,
  UI_INDEX,
  uiProtocolHandler,
} from "../../main/app/protocol.js";
import { UI_CSP } from "../../main/core/http-server.js";
import { repoRoot } from "../helpers/warden.js";
import { tempFolder } from "./fakes.js";

const folder = tempFolder();
const ui = join(folder.dir, "ui");
mkdirSync(join(ui, "assets"), { recursive: true });
writeFileSync(join(ui, "index.html"), "<!doctype html><title>MCP Warden</title>");
writeFileSync(join(ui, "assets", "app.js"), "console.log('hi')");
writeFileSync(join(folder.dir, "secret.txt"), "outside the UI folder");
afterAll(() => folder.remove());

const handler = uiProtocolHandler(ui);
const get = (url: string, method = "GET") => handler(new Request(url, { method }));

describe("app:// protocol", () => {
  it("is registered standard and secure, without bypassing the CSP", () => {
    expect(APP_SCHEME_PRIVILEGES).toMatchObject({
      scheme: "app",
      privileges: { standard: true, secure: true },
    });
    expect(APP_SCHEME_PRIVILEGES.privileges?.bypassCSP).toBeUndefined();
  });

  it("serves index.html with the same CSP as the headless UI", async () => {
    const response = await get(UI_INDEX);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toBe(UI_CSP);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await response.text()).toContain("<title>MCP Warden</title>");
    expect((await get("app://warden/")).status).toBe(200);
  });

  it("serves assets with their content type and the CSP", async () => {
    const response = await get("app://warden/assets/app.js");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(response.headers.get("content-security-policy")).toBe(UI_CSP);
  });

  it.each([
    "app://warden/../secret.txt",
    "app://warden/%2e%2e/secret.txt",
    "app://warden/assets/%2e%2e/%2e%2e/secret.txt",
    "app://warden/..%2fsecret.txt",
    "app://warden/..%5csecret.txt",
    "app://warden/assets%2f..%2f..%2fsecret.txt",
    "app://warden/%00index.html",
    "app://warden/%E0%A4%A",
    "app://other/index.html",
    "file:///etc/passwd",
  ])("refuses %s", async (url) => {
    const response = await get(url);
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain("outside the UI folder");
  });

  it("answers missing files with 404, and says when the UI is not built", async () => {
    expect((await get("app://warden/nope.js")).status).toBe(404);
    const empty = uiProtocolHandler(join(folder.dir, "missing"));
    const response = await empty(new Request(UI_INDEX));
    expect(response.status).toBe(404);
    expect(await response.text()).toMatch(/not built/);
  });

  it("refuses methods other than GET and HEAD; HEAD has no body", async () => {
    expect((await get(UI_INDEX, "POST")).status).toBe(404);
    const head = await get(UI_INDEX, "HEAD");
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  it("resolveUiPath confines paths to the folder", () => {
    expect(resolveUiPath(ui, "app://warden/assets/app.js")).toBe(join(ui, "assets", "app.js"));
    expect(resolveUiPath(ui, "app://warden/a/../index.html")).toBe(join(ui, "index.html"));
    // The URL parser already folds %2e%2e segments; an encoded slash after them is caught here.
    expect(resolveUiPath(ui, "app://warden/%2e%2e/x")).toBe(join(ui, "x"));
    expect(resolveUiPath(ui, "app://warden/..%2fx")).toBeUndefined();
    expect(resolveUiPath(ui, "not a url")).toBeUndefined();
  });
});

const builtUi = join(repoRoot, "dist", "ui");
const built = existsSync(join(builtUi, "index.html"));

describe("app:// protocol over the built UI", () => {
  it.skipIf(!built)(
    `serves dist/ui's page and every script and stylesheet it names${built ? "" : " (SKIPPED: dist/ui is not built; npm run build)"}`,
    async () => {
      const serve = uiProtocolHandler(builtUi);
      const html = readFileSync(join(builtUi, "index.html"), "utf8");
      const refs = [...html.matchAll(/(?:src|href)="(\.?\/?assets\/[^"]+)"/g)].map((m) => m[1] ?? "");
      expect(refs.length).toBeGreaterThan(0);
      for (const ref of refs) {
        const response = await serve(new Request(new URL(ref, `${UI_INDEX}?approval=x`).href));
        expect(response.status, ref).toBe(200);
        expect(response.headers.get("content-type"), ref).toMatch(/^(text\/javascript|text\/css)/);
      }
    },
  );
});
