/** Secrets stay where they are: upstream env and tokens never reach the log, the output or the API. */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  CLIENT_TOKEN,
  callTool,
  type RunningWarden,
  startWarden,
  tempDir,
  virtualizationServer,
} from "../helpers/warden.js";

let warden: RunningWarden | undefined;
afterEach(async () => {
  await warden?.stop();
  warden = undefined;
});

describe("secrets", () => {
  it("an upstream's env secret and the tokens appear in no log, output, API answer or data file but tokens.json", async () => {
    const SECRET = "sk-upstream-secret-0123456789";
    warden = await startWarden({
      policy: JSON.stringify({ version: "1", default: "allow", tools: { delete_vm: { action: "deny" } } }),
      servers: {
        virt: virtualizationServer("testing", join(tempDir(), "virt.json"), { HYPERVISOR_API_KEY: SECRET }),
      },
    });
    const client = await warden.client("virt");
    await callTool(client, "list_vms");
    await callTool(client, "delete_vm", { vm_name: "dev-web" });

    const answers = JSON.stringify([
      await warden.api("getState"),
      await warden.api("listServers"),
      await warden.api("listCalls", {}),
      await warden.api("getPolicy"),
    ]);
    const files = readdirSync(warden.dataDir)
      .filter(
        (f) =>
          f !== "tokens.json" && f !== "servers.json" && statSync(join(warden?.dataDir ?? "", f)).isFile(),
      )
      .map((f) => readFileSync(join(warden?.dataDir ?? "", f), "utf8"))
      .join("\n");
    for (const secret of [SECRET, CLIENT_TOKEN]) {
      expect(answers).not.toContain(secret);
      expect(files).not.toContain(secret);
      expect(warden.output()).not.toContain(secret);
    }
    expect(answers).not.toContain(ADMIN_TOKEN);
    expect(files).not.toContain(ADMIN_TOKEN);
    expect(statSync(join(warden.dataDir, "audit.jsonl")).mode & 0o777).toBe(0o600);
  });
});
