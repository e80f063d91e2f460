/**
 * A real redis-server for tests: on a free port, with no persistence, stopped by its pid. It can be
 * killed (-9) and started again on the same port, as Redis going away and coming back.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { loadOrCreateKeys } from "../../main/core/team/keys.js";
import { tempDir } from "./warden.js";

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

export interface RunningRedis {
  port: number;
  url: string;
  /** Kills the server at once (SIGKILL): its data is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Extra redis-server arguments (e.g. an ACL user). */
export async function startRedis(extraArgs: string[] = []): Promise<RunningRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const launch = async () => {
    const started = spawn(
      "/usr/bin/redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...extraArgs],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    child = started;
    let output = "";
    await new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer) => {
        output += d.toString();
        if (output.includes("Ready to accept connections")) resolve();
      };
      started.stdout?.on("data", onData);
      started.stderr?.on("data", onData);
      started.once("exit", (code) => reject(new Error(`redis-server exited with ${code}:\n${output}`)));
    });
  };
  const halt = async (signal: NodeJS.Signals) => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    running.kill(signal);
    await exited;
  };
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill: () => halt("SIGKILL"),
    restart: launch,
    stop: () => halt("SIGTERM"),
  };
}

/** One member's data folder, with its key pair made and its public key read. */
export interface MemberDir {
  name: string;
  dataDir: string;
  publicKey: string;
}

/** Data folders for a team's members, each with a key pair (made as the warden makes it). */
export function memberDirs(names: readonly string[]): MemberDir[] {
  return names.map((name) => {
    const dataDir = tempDir(`warden-${name}-`);
    return { name, dataDir, publicKey: loadOrCreateKeys(dataDir).publicKey };
  });
}

/** Writes each member's settings.json: the team, this member, every member's key pinned (plus `team`, and `own` of each). */
export function writeTeamSettings(
  members: readonly MemberDir[],
  redisUrl: string,
  team: Record<string, unknown> = {},
  own: (member: MemberDir) => Record<string, unknown> = () => ({}),
): void {
  const pinned = Object.fromEntries(members.map((m) => [m.name, m.publicKey]));
  for (const m of members) {
    writeFileSync(
      join(m.dataDir, "settings.json"),
      JSON.stringify({
        team: { redis: redisUrl, name: "ops", member: m.name, members: pinned, ...team, ...own(m) },
      }),
    );
  }
}
