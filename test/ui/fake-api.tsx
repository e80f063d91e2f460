/** A fake `WardenApi` for component tests: every method a vi.fn with a sensible answer, events emitted by hand. */
import { vi } from "vitest";
import { callTargets } from "../../main/core/policy/risk.js";
import type { FoundConfig } from "../../shared/clients.js";
import type {
  CallRecord,
  GrantInfo,
  PendingApproval,
  Risk,
  ServerStatus,
  TeamStatus,
  ToolChange,
  WardenApi,
  WardenEventName,
  WardenEvents,
} from "../../shared/contract.js";

/** The team status of a warden in no team. */
export const NO_TEAM: TeamStatus = {
  configured: false,
  team: "",
  member: "",
  publicKey: "",
  state: "off",
  redis: "",
  members: [],
  denyAll: { on: false },
  refused: [],
};

export type FakeApi = WardenApi & {
  emit<E extends WardenEventName>(event: E, payload: WardenEvents[E]): void;
  listenerCount(event: WardenEventName): number;
};

export const POLICY_TEXT = `${JSON.stringify(
  {
    version: "1",
    default: "deny",
    tools: {
      list_vms: { action: "allow" },
      stop_vm: { action: "approve", reason: "Stopping a VM takes services offline" },
    },
  },
  null,
  2,
)}\n`;

export function server(overrides: Partial<ServerStatus> = {}): ServerStatus {
  return {
    name: "virt",
    transport: "stdio",
    state: "connected",
    tools: [{ name: "list_vms" }, { name: "stop_vm", description: "Stops a VM" }],
    stderr: [],
    restarts: 0,
    endpoint: "http://127.0.0.1:17430/mcp/virt",
    ...overrides,
  };
}

/** A risk as the core sends it (catalogue unless told). */
export function risk(overrides: Partial<Risk> = {}): Risk {
  return { kind: "destructive", level: "high", why: "Takes a VM offline", source: "catalogue", ...overrides };
}

export const GRANTS: GrantInfo[] = [
  { name: "default", token: "sm_defaultTokenFromTheFile1234", fromCommandLine: false },
  { name: "cli", token: "client-token-from-the-command-line", fromCommandLine: true },
];

export function foundConfig(overrides: Partial<FoundConfig> = {}): FoundConfig {
  return {
    client: "cursor",
    label: "Cursor",
    path: "/home/me/.cursor/mcp.json",
    servers: 2,
    wrapped: 0,
    ...overrides,
  };
}

let nextId = 0;
export function call(overrides: Partial<CallRecord> = {}): CallRecord {
  nextId += 1;
  return {
    id: `call-${nextId}`,
    ts: Date.now(),
    client: "cli",
    session: "s1",
    server: "virt",
    tool: "list_vms",
    args: {},
    status: "allowed",
    rule: 'tools["list_vms"]',
    reason: "",
    latencyMs: 3,
    outcome: "ok",
    ...overrides,
  };
}

/**
 * A pending approval as the core sends it; unless told, its risk is stop_vm's from the catalogue and its
 * targets are what the core's own `callTargets` finds in the arguments.
 */
export function approval(overrides: Partial<PendingApproval> = {}): PendingApproval {
  nextId += 1;
  const now = Date.now();
  const made: PendingApproval = {
    id: `approval-${nextId}`,
    callId: `call-${nextId}`,
    client: "cli",
    server: "virt",
    tool: "stop_vm",
    args: { vm_name: "dev-web" },
    rule: 'tools["stop_vm"]',
    reason: "Stopping a VM takes services offline",
    createdAt: now,
    deadline: now + 120_000,
    callHash: "abc",
    risk: risk({
      why: "Hard-stops a VM: services go offline",
      action: "stop_vm",
      effect: "Stop VM {vm_name}",
    }),
    ...overrides,
  };
  return "targets" in overrides ? made : { ...made, targets: callTargets(made.risk, made.args) };
}

/** A fake API; pass overrides to change any method. */
export function fakeApi(overrides: Partial<WardenApi> = {}): FakeApi {
  const listeners = new Map<WardenEventName, Set<(payload: never) => void>>();
  const api = {
    getState: vi.fn(async () => ({
      denyAll: false,
      servers: [server()],
      pending: [],
      callsToday: 0,
      auditDisk: { bytes: 0, limit: 1 },
    })),
    listCalls: vi.fn(async () => [] as CallRecord[]),
    listApprovals: vi.fn(async () => []),
    approve: vi.fn(async () => ({ ok: true })),
    deny: vi.fn(async () => ({ ok: true })),
    setDenyAll: vi.fn(async ({ on }: { on: boolean }) => ({ denyAll: on })),
    listServers: vi.fn(async () => [server()]),
    getPolicy: vi.fn(async () => ({
      path: "/data/policy.json",
      text: POLICY_TEXT,
      loadedAt: Date.now(),
      fileErrors: [],
    })),
    validatePolicy: vi.fn(async () => ({ errors: [] })),
    savePolicy: vi.fn(async () => ({ ok: true, errors: [] })),
    dryRun: vi.fn(async () => ({
      decision: { verdict: "allow" as const, rule: 'tools["list_vms"]', reason: "" },
      errors: [],
    })),
    policySchema: vi.fn(async () => ({})),
    replay: vi.fn(async () => ({ changed: [], total: 0, errors: [] })),
    listToolChanges: vi.fn(async () => [] as ToolChange[]),
    getCall: vi.fn(async () => ({})),
    listGrants: vi.fn(async () => GRANTS.map((g) => ({ ...g }))),
    createGrant: vi.fn(async ({ name }: { name: string }) => ({
      ok: true,
      grant: { name, token: `sm_new_token_for_${name}`, fromCommandLine: false },
    })),
    revokeGrant: vi.fn(async () => ({ ok: true })),
    findClients: vi.fn(async () => [] as FoundConfig[]),
    wrapClient: vi.fn(async () => ({ ok: false, error: "not in this test" })),
    unwrapClient: vi.fn(async () => ({ ok: false, error: "not in this test" })),
    starterPolicy: vi.fn(async () => ({ error: "not in this test" })),
    clientSnippets: vi.fn(async () => ({ snippets: [] })),
    acceptToolChange: vi.fn(async () => ({ ok: true })),
    getTeam: vi.fn(async () => ({ ...NO_TEAM })),
    setTeamDenyAll: vi.fn(async () => ({ ok: false, error: "this warden belongs to no team" })),
    signInServer: vi.fn(async () => ({ ok: false, error: "not in this test" })),
    signOutServer: vi.fn(async () => ({ ok: true })),
    on<E extends WardenEventName>(event: E, listener: (payload: WardenEvents[E]) => void) {
      let set = listeners.get(event);
      if (!set) {
        set = new Set();
        listeners.set(event, set);
      }
      set.add(listener as (payload: never) => void);
      return () => set.delete(listener as (payload: never) => void);
    },
    emit<E extends WardenEventName>(event: E, payload: WardenEvents[E]) {
      for (const listener of listeners.get(event) ?? []) (listener as (p: WardenEvents[E]) => void)(payload);
    },
    listenerCount: (event: WardenEventName) => listeners.get(event)?.size ?? 0,
    ...overrides,
  };
  return api as unknown as FakeApi;
}
