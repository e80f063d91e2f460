/** Runs test/fixtures/oauth-server.mjs (a local authorization server and MCP resource server). */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
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
  const child = spawn(process.execPath, [FIXTURE, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", (d: Buffer) => {
      output += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(output);
      if (m?.[1]) resolve(m[1]);
    });
    child.stderr?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.once("exit", (code) => reject(new Error(`oauth fixture exited with ${code}: ${output}`)));
  });
  return {
    url,
    child,
    stats: async () => (await fetch(`${url}/admin/stats`)).json() as never,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}
