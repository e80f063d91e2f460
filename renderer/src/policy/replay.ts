/**
 * Replay: how an edited policy would decide the recorded calls, listing each call whose verdict would
 * change. Uses the bridge's `replay` when the core has it; otherwise asks `dryRun` twice (running and
 * edited policy, at the same moment) once per distinct call — server, tool, client and arguments.
 */
import type { CallRecord, DryRunCall } from "../../../shared/contract.js";
import type { ReplayChange, ReplayResult, UiApi } from "../api.js";
import { inPool } from "../pool.js";

/** How many recorded calls a replay covers by default (the issue's "last 1,000"). */
export const REPLAY_LIMIT = 1_000;

/** JSON with object keys sorted, so equal arguments give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

export async function replayPolicy(api: UiApi, policy: string, limit = REPLAY_LIMIT): Promise<ReplayResult> {
  if (api.replay) return api.replay({ policy, limit });
  const invalid = (await api.validatePolicy({ text: policy })).errors;
  if (invalid.length > 0) return { changed: [], total: 0, errors: invalid };
  const calls = await api.listCalls({ limit });
  const groups = new Map<string, CallRecord[]>();
  for (const call of calls) {
    const key = canonicalJson([call.server, call.tool, call.client, call.args ?? {}]);
    const group = groups.get(key);
    if (group) group.push(call);
    else groups.set(key, [call]);
  }
  const changed: ReplayChange[] = [];
  await inPool([...groups.values()], 6, async (group) => {
    const first = group[0] as CallRecord;
    const call: DryRunCall = {
      server: first.server,
      tool: first.tool,
      args: first.args ?? {},
      client: first.client,
    };
    const [before, after] = await Promise.all([api.dryRun(call), api.dryRun({ ...call, policy })]);
    if (!before.decision || !after.decision || before.decision.verdict === after.decision.verdict) return;
    for (const c of group)
      changed.push({
        call: c,
        before: before.decision.verdict,
        after: after.decision.verdict,
        rule: after.decision.rule,
      });
  });
  changed.sort((x, y) => y.call.ts - x.call.ts);
  return { changed, total: calls.length, errors: [] };
}
