/**
 * Upstream tokens at rest: sealed with AES-256-GCM under the user's key (a passphrase or a key file) or the
 * system keychain pair, in a 0600 file that holds no token in the clear; a wrong key opens nothing.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { headlessBox, platformBox } from "../../../main/core/upstream-auth/secret-box.js";
import { TokenStore } from "../../../main/core/upstream-auth/token-store.js";
import { tempDir } from "../../helpers/warden.js";

const URL_A = "https://mcp.example.com/mcp";
const TOKENS = {
  access_token: "access-secret-123",
  token_type: "Bearer",
  refresh_token: "refresh-secret-456",
};

describe("upstream token store", () => {
  it("keeps tokens sealed in a 0600 file, with the key file made 0600 on first use", () => {
    const dir = tempDir("tokens-");
    const path = join(dir, "upstream-tokens.enc");
    const store = new TokenStore(path, () => headlessBox(dir, {}));
    store.update("remote", URL_A, (e) => ({ ...e, tokens: TOKENS }));
    const raw = readFileSync(path, "utf8");
    expect(raw).not.toContain("access-secret-123");
    expect(raw).not.toContain("refresh-secret-456");
    expect(raw.startsWith("aes-256-gcm:")).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "oauth.key")).mode & 0o777).toBe(0o600);
    const reread = new TokenStore(path, () => headlessBox(dir, {}));
    expect(reread.get("remote", URL_A)?.tokens).toEqual(TOKENS);
  });

  it("a passphrase in MCP_WARDEN_OAUTH_KEY seals instead of a key file; another passphrase opens nothing", () => {
    const dir = tempDir("tokens-");
    const path = join(dir, "upstream-tokens.enc");
    new TokenStore(path, () => headlessBox(dir, { MCP_WARDEN_OAUTH_KEY: "correct horse" })).update(
      "remote",
      URL_A,
      (e) => ({ ...e, tokens: TOKENS }),
    );
    expect(() => statSync(join(dir, "oauth.key"))).toThrow();
    const right = new TokenStore(path, () => headlessBox(dir, { MCP_WARDEN_OAUTH_KEY: "correct horse" }));
    expect(right.get("remote", URL_A)?.tokens?.access_token).toBe("access-secret-123");
    const wrong = new TokenStore(path, () => headlessBox(dir, { MCP_WARDEN_OAUTH_KEY: "battery staple" }));
    expect(() => wrong.get("remote", URL_A)).toThrow("cannot be opened with this key (MCP_WARDEN_OAUTH_KEY)");
  });

  it("a server whose URL changed starts signed out; sign-out forgets the server", () => {
    const dir = tempDir("tokens-");
    const store = new TokenStore(join(dir, "t.enc"), () => headlessBox(dir, {}));
    store.update("remote", URL_A, (e) => ({ ...e, tokens: TOKENS }));
    expect(store.get("remote", "https://elsewhere.example.com/mcp")).toBeUndefined();
    expect(store.remove("remote")).toBe(true);
    expect(store.get("remote", URL_A)).toBeUndefined();
    expect(store.remove("remote")).toBe(false);
  });

  it("the tray app's keychain pair seals what the store writes", () => {
    const dir = tempDir("tokens-");
    const path = join(dir, "t.enc");
    const calls: string[] = [];
    const keychain = {
      encryptString: (plain: string) => {
        calls.push("encrypt");
        return Buffer.from(Buffer.from(plain, "utf8").map((b) => b ^ 0x5a));
      },
      decryptString: (sealed: Buffer) => {
        calls.push("decrypt");
        return Buffer.from(sealed.map((b) => b ^ 0x5a)).toString("utf8");
      },
    };
    new TokenStore(path, () => platformBox(keychain)).update("remote", URL_A, (e) => ({
      ...e,
      tokens: TOKENS,
    }));
    expect(readFileSync(path, "utf8")).not.toContain("access-secret-123");
    expect(new TokenStore(path, () => platformBox(keychain)).get("remote", URL_A)?.tokens).toEqual(TOKENS);
    expect(calls).toEqual(["encrypt", "decrypt"]);
  });
});
