/**
 * The sign-in itself, in process against the local authorization server (test/fixtures/oauth-server.mjs),
 * with the clock in the test's hands: a token about to expire is refreshed before it is sent (once for
 * callers at the same time), and the answer's issuer is checked (RFC 9207).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { headlessBox } from "../../../main/core/upstream-auth/secret-box.js";
import { REFRESH_MARGIN_MS, UpstreamSignIn } from "../../../main/core/upstream-auth/sign-in.js";
import { TokenStore } from "../../../main/core/upstream-auth/token-store.js";
import { type OAuthFixture, startOAuthFixture } from "../../helpers/oauth-fixture.js";
import { tempDir } from "../../helpers/warden.js";

let fixture: OAuthFixture | undefined;
afterEach(async () => {
  await fixture?.stop();
  fixture = undefined;
});

/** A sign-in manager over a fresh token file, its clock at `clock.now`. */
function manager(clock: { now: number }) {
  const dir = tempDir("sign-in-");
  const signIn = new UpstreamSignIn({
    store: new TokenStore(join(dir, "t.enc"), () => headlessBox(dir, {})),
    now: () => clock.now,
  });
  // The browser's landing page is not served here: the test reads the redirect's query itself.
  signIn.setCallbackBase("http://127.0.0.1:9");
  return signIn;
}

/** Starts a sign-in and follows the auto-approving consent page to the redirect's query. */
async function consent(signIn: UpstreamSignIn, server: string): Promise<URLSearchParams> {
  const started = await signIn.start(server);
  expect(started.ok, started.error).toBe(true);
  const answer = await fetch(started.authorizationUrl ?? "", { redirect: "manual" });
  return new URL(answer.headers.get("location") ?? "").searchParams;
}

describe("upstream sign-in", () => {
  it("refreshes an access token about to expire before sending it, once for callers at the same time", async () => {
    fixture = await startOAuthFixture(["--auto-approve", "--expires-in", "3600"]);
    const clock = { now: 1_000_000 };
    const signIn = manager(clock);
    const hook = signIn.forServer("remote", `${fixture.url}/mcp`);
    const outcome = await signIn.callback(await consent(signIn, "remote"));
    expect(outcome).toEqual({
      ok: true,
      server: "remote",
      message: "Signed in to remote. You can close this tab.",
    });
    const first = await hook.authorization();
    expect((await fixture.stats()).refreshGrants).toBe(0);
    expect(hook.info()).toEqual({ signedIn: true, scope: "tools", expiresAt: 1_000_000 + 3_600_000 });

    clock.now += 3_600_000 - REFRESH_MARGIN_MS + 1;
    const [a, b] = await Promise.all([hook.authorization(), hook.authorization()]);
    const stats = await fixture.stats();
    expect(stats.refreshGrants).toBe(1);
    expect(a).toBe(b);
    expect(a).toBe(`Bearer ${stats.issuedAccessTokens.at(-1)}`);
    expect(a).not.toBe(first);
    expect(hook.info().expiresAt).toBe(clock.now + 3_600_000);
  });

  it("refuses an answer from another issuer, and one without the issuer the server promised", async () => {
    fixture = await startOAuthFixture(["--auto-approve"]);
    const signIn = manager({ now: Date.now() });
    const hook = signIn.forServer("remote", `${fixture.url}/mcp`);
    const forged = await consent(signIn, "remote");
    forged.set("iss", "https://attacker.example");
    const mixed = await signIn.callback(forged);
    expect(mixed.ok).toBe(false);
    expect(mixed.message).toBe(
      `Sign-in to remote refused: the answer came from issuer https://attacker.example, not ${fixture.url}.`,
    );
    const bare = await consent(signIn, "remote");
    bare.delete("iss");
    expect((await signIn.callback(bare)).message).toBe(
      "Sign-in to remote refused: the authorization server promised an issuer (iss) and sent none.",
    );
    expect(hook.info().signedIn).toBe(false);
    expect((await fixture.stats()).codeGrants).toBe(0);
  });

  it("a server with no authorization server to discover says discovery failed", async () => {
    const nothing = createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((resolve) => nothing.listen(0, "127.0.0.1", resolve));
    try {
      const signIn = manager({ now: Date.now() });
      const { port } = nothing.address() as AddressInfo;
      signIn.forServer("plain", `http://127.0.0.1:${port}/mcp`);
      const started = await signIn.start("plain");
      expect(started.ok).toBe(false);
      expect(started.error).toMatch(/^discovery failed: /);
    } finally {
      await new Promise((resolve) => nothing.close(resolve));
    }
  });
});
