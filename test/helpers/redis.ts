/**
 * A real redis-server for tests: on a free port, with no persistence, stopped by its pid. It can be
 * killed (-9) and started again on the same port, as Redis going away and coming back.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
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

/** A test CA and a server certificate it signed for 127.0.0.1 (PEM files), made with openssl. */
export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

/** Makes a CA and a server certificate for 127.0.0.1 in a fresh folder. */
export function makeTlsFiles(): TlsFiles {
  const dir = tempDir("redis-tls-");
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "ignore" });
  openssl(
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=team test CA",
    "-keyout",
    at("ca.key"),
    "-out",
    at("ca.pem"),
  );
  openssl(
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-subj",
    "/CN=127.0.0.1",
    "-keyout",
    at("server.key"),
    "-out",
    at("server.csr"),
  );
  writeFileSync(at("ext.cnf"), "subjectAltName=IP:127.0.0.1\n");
  openssl(
    "x509",
    "-req",
    "-in",
    at("server.csr"),
    "-CA",
    at("ca.pem"),
    "-CAkey",
    at("ca.key"),
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    at("ext.cnf"),
    "-out",
    at("server.pem"),
  );
  return { ca: at("ca.pem"), cert: at("server.pem"), key: at("server.key") };
}

/** Extra redis-server arguments (e.g. an ACL user); with `tls`, it listens for TLS only (rediss://). */
export async function startRedis(extraArgs: string[] = [], tls?: TlsFiles): Promise<RunningRedis> {
  const port = await freePort();
  const listen = tls
    ? [
        "--port",
        "0",
        "--tls-port",
        String(port),
        "--tls-cert-file",
        tls.cert,
        "--tls-key-file",
        tls.key,
        "--tls-ca-cert-file",
        tls.ca,
        "--tls-auth-clients",
        "no",
      ]
    : ["--port", String(port)];
  let child: ChildProcess | undefined;
  const launch = async () => {
    const started = spawn(
      "/usr/bin/redis-server",
      [...listen, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...extraArgs],
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
    url: `${tls ? "rediss" : "redis"}://127.0.0.1:${port}`,
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
