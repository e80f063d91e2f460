/** Runs test/fixtures/oauth-server.mjs (a local authorization server and MCP resource server). */
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { startFixture } from "./fixture-server.js";
import { repoRoot } from "./warden.js";

const FIXTURE = join(repoRoot, "test", "fixtures", "oauth-server.mjs");

export interface OAuthFixture {
  url: string;
  child: ChildProcess;
  stats(): Promise<{
    registrations: number;
    authorizations: number;
    codeGrants: number;
    refreshGrants: number;
    denied: number;
    resources: string[];
    scopes: string[];
    issuedAccessTokens: string[];
    issuedRefreshTokens: string[];
    bearerSeen: string[];
  }>;
  stop(): Promise<void>;
}

export async function startOAuthFixture(args: string[] = []): Promise<OAuthFixture> {
  const fixture = await startFixture(FIXTURE, args);
  return { ...fixture, stats: async () => (await fetch(`${fixture.url}/admin/stats`)).json() as never };
}
