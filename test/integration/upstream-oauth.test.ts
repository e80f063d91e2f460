/**
 * Upstream OAuth through the real warden: a local authorization server and MCP resource server
 * (test/fixtures/oauth-server.mjs) answer 401 with protected-resource metadata; the warden says
 * "sign-in needed", signs in (registration, PKCE, resource indicator, iss), calls go through with the
 * Bearer token, an expired token is refreshed, a 403 insufficient_scope asks for sign-in with the larger
 * scope, sign-out forgets the tokens, and no token ever reaches the data folder in the clear, the API or
 * a client.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ServerStatus } from "../../shared/contract.js";
import { startOAuthFixture } from "../helpers/oauth-fixture.js";
import { callTool, type RunningWarden, startWarden, textOf, waitFor } from "../helpers/warden.js";

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

async function setUp(fixtureArgs: string[] = ["--auto-approve"]) {
  const fixture = await startOAuthFixture(fixtureArgs);
  running.push(fixture);
  const warden = await startWarden({
    policy: JSON.stringify({ version: "1", default: "allow" }),
    servers: { remote: { url: `${fixture.url}/mcp` } },
  });
  running.push(warden);
  return { fixture, warden };
}

async function remote(warden: RunningWarden): Promise<ServerStatus> {
  const servers = await warden.api("listServers", {});
  const server = servers.find((s) => s.name === "remote");
  if (!server) throw new Error("no server remote");
  return server;
}

async function waitState(warden: RunningWarden, state: ServerStatus["state"]): Promise<ServerStatus> {
  await waitFor(async () => (await remote(warden)).state === state, 15_000, `remote ${state}`);
  return remote(warden);
}

/** Starts the sign-in through the API and follows the consent page's redirects as a browser would. */
async function signInHeadless(warden: RunningWarden): Promise<{ page: string; authorizationUrl: string }> {
  const started = await warden.api("signInServer", { server: "remote" });
  expect(started.ok, started.error).toBe(true);
  const authorizationUrl = started.authorizationUrl ?? "";
  const landing = await fetch(authorizationUrl, { redirect: "follow" });
  return { page: await landing.text(), authorizationUrl };
}

/** Every byte of every file under a folder. */
function allFiles(dir: string): string {
  let text = "";
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    text += entry.isDirectory() ? allFiles(path) : readFileSync(path, "latin1");
  }
  return text;
}

describe("upstream OAuth sign-in", () => {
  it("a server that answers 401 with resource metadata reads 'sign-in needed', not a transport error", async () => {
    const { warden } = await setUp();
    const server = await waitState(warden, "sign-in-needed");
    expect(server.lastError).toContain("HTTP 401: the server needs sign-in");
    expect(server.lastError).not.toMatch(/404|SSE|event stream/);
    expect(server.signIn).toMatchObject({ signedIn: false });
    expect(server.restarts).toBe(0);
  });

  it("signs in with registration, PKCE and the resource indicator; calls carry the token; no token leaks", async () => {
    const { fixture, warden } = await setUp();
    await waitState(warden, "sign-in-needed");
    const { page, authorizationUrl } = await signInHeadless(warden);
    expect(page).toContain("Signed in to remote");
    const asked = new URL(authorizationUrl).searchParams;
    expect(asked.get("code_challenge_method")).toBe("S256");
    expect(asked.get("resource")).toBe(`${fixture.url}/mcp`);
    expect(asked.get("redirect_uri")).toBe(`${warden.url}/oauth/callback`);
    const server = await waitState(warden, "connected");
    expect(server.signIn).toMatchObject({ signedIn: true, scope: "tools" });
    expect(server.tools.map((t) => t.name).sort()).toEqual(["admin_action", "whoami"]);

    const client = await warden.client("remote");
    const result = await callTool(client, "whoami");
    expect(textOf(result)).toBe("whoami with scope tools");

    const stats = await fixture.stats();
    expect(stats.registrations).toBe(1);
    expect(stats.codeGrants).toBe(1);
    expect(stats.resources.every((r) => r === `${fixture.url}/mcp`)).toBe(true);
    const tokens = [...stats.issuedAccessTokens, ...stats.issuedRefreshTokens];
    expect(stats.bearerSeen).toContain(stats.issuedAccessTokens[0]);

    const answers = JSON.stringify([
      await warden.api("getState", {}),
      await warden.api("listServers", {}),
      await warden.api("listCalls", {}),
      result,
    ]);
    const files = allFiles(warden.dataDir);
    for (const token of tokens) {
      expect(answers).not.toContain(token);
      expect(files).not.toContain(token);
    }
    const sealed = join(warden.dataDir, "upstream-tokens.enc");
    expect(statSync(sealed).mode & 0o777).toBe(0o600);
    expect(statSync(join(warden.dataDir, "oauth.key")).mode & 0o777).toBe(0o600);
  });

  it("an expired access token is refreshed and the call goes through", async () => {
    const { fixture, warden } = await setUp();
    await waitState(warden, "sign-in-needed");
    await signInHeadless(warden);
    await waitState(warden, "connected");
    const client = await warden.client("remote");
    expect(textOf(await callTool(client, "whoami"))).toBe("whoami with scope tools");
    await fetch(`${fixture.url}/admin/expire`, { method: "POST" });
    expect(textOf(await callTool(client, "whoami"))).toBe("whoami with scope tools");
    const stats = await fixture.stats();
    expect(stats.refreshGrants).toBe(1);
    expect(stats.bearerSeen.at(-1)).toBe(stats.issuedAccessTokens.at(-1));
    expect((await remote(warden)).state).toBe("connected");
  });

  it("403 insufficient_scope asks for sign-in with the larger scope, which then works", async () => {
    const { fixture, warden } = await setUp();
    await waitState(warden, "sign-in-needed");
    await signInHeadless(warden);
    await waitState(warden, "connected");
    const client = await warden.client("remote");
    await expect(callTool(client, "admin_action")).rejects.toThrow(
      'upstream "remote" failed: HTTP 403: the server needs more permission (scope "tools admin")',
    );
    const server = await waitState(warden, "sign-in-needed");
    expect(server.lastError).toContain('scope "tools admin"');
    const { authorizationUrl } = await signInHeadless(warden);
    expect(new URL(authorizationUrl).searchParams.get("scope")).toBe("tools admin");
    await waitState(warden, "connected");
    const again = await warden.client("remote");
    expect(textOf(await callTool(again, "admin_action"))).toBe("admin_action with scope tools admin");
    expect((await fixture.stats()).scopes).toEqual(["tools", "tools admin"]);
  });

  it("sign-out forgets the tokens: the server needs sign-in again", async () => {
    const { warden } = await setUp();
    await waitState(warden, "sign-in-needed");
    await signInHeadless(warden);
    await waitState(warden, "connected");
    expect(await warden.api("signOutServer", { server: "remote" })).toEqual({ ok: true });
    const server = await waitState(warden, "sign-in-needed");
    expect(server.signIn).toMatchObject({ signedIn: false });
  });

  it("a refused consent says the user cancelled, and the server stays signed out", async () => {
    const { fixture, warden } = await setUp([]);
    await waitState(warden, "sign-in-needed");
    const started = await warden.api("signInServer", { server: "remote" });
    const consent = await (await fetch(started.authorizationUrl ?? "")).text();
    const fields = new URLSearchParams();
    for (const m of consent.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
      fields.set(
        m[1] ?? "",
        (m[2] ?? "").replace(/&#(\d+);/g, (_, c) => String.fromCharCode(Number(c))),
      );
    fields.set("decision", "deny");
    const landing = await fetch(`${fixture.url}/authorize/decide`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: fields.toString(),
    });
    expect(landing.status).toBe(400);
    expect(await landing.text()).toContain("Sign-in to remote was cancelled (access denied).");
    expect((await remote(warden)).state).toBe("sign-in-needed");
  });

  it("a callback with an unknown state is refused", async () => {
    const { warden } = await setUp();
    const answer = await fetch(`${warden.url}/oauth/callback?code=x&state=forged`);
    expect(answer.status).toBe(400);
    expect(await answer.text()).toContain("unknown or expired");
  });
});
