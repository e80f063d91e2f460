/**
 * Team-wide limits: one sorted set per counter key on the team's Redis (member = the slot's id, score =
 * Redis's own clock in milliseconds), checked and taken by one Lua script, so the check and the take are
 * one atomic step across every warden of the team and they never over-admit together. One round trip
 * per call. A slot given back (the call never reached its upstream) is removed by id.
 *
 * Redis may lose its data (a restart without persistence): each warden remembers the slots it holds
 * within the window and writes them back when the connection returns, before it admits anything else
 * (ZADD of the same id is idempotent, so slots that survived are not counted twice).
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import type { TeamLimit } from "../policy/decide.js";

/** Checks every key, then takes a slot in each, or none. Clock: Redis TIME (one clock for the team). */
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local retention = tonumber(ARGV[2])
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[1 + 2 * i])
  local max = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - retention)
  local count = redis.call('ZCOUNT', key, '(' .. (now - window), '+inf')
  if count >= max then
    if max == 0 then return {i, window, now} end
    local freeing = redis.call('ZRANGEBYSCORE', key, '(' .. (now - window), '+inf', 'WITHSCORES', 'LIMIT', count - max, 1)
    return {i, math.max(1, tonumber(freeing[2]) + window - now), now}
  end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[1])
  redis.call('PEXPIRE', key, retention)
end
return {0, 0, now}
`;

const RESERVE_SHA = createHash("sha1").update(RESERVE).digest("hex");

/** Runs the reserve script by its hash (one short command), loading it when Redis does not know it yet. */
async function runReserve(redis: Redis, keys: string[], args: string[]): Promise<unknown> {
  try {
    return await redis.evalsha(RESERVE_SHA, keys.length, ...keys, ...args);
  } catch (error) {
    if (!String((error as Error).message).startsWith("NOSCRIPT")) throw error;
    return await redis.eval(RESERVE, keys.length, ...keys, ...args);
  }
}

/** Slots one call holds on the team's Redis. */
export interface TeamSlots {
  readonly keys: readonly string[];
  readonly id: string;
  /** Redis time when they were taken. */
  readonly at: number;
  readonly retentionMs: number;
}

/** The answer to a reservation. */
export type TeamReserveResult =
  | { ok: true; slots: TeamSlots }
  | { ok: false; full: TeamLimit; retryAfterMs: number }
  | { ok: false; error: string };

/** Most slots remembered for writing back after Redis lost them. */
const MAX_HELD = 200_000;

/** The team-wide counters. */
export class TeamLimiter {
  readonly #prefix: string;
  /** Slots this warden holds, oldest first, to be written back if Redis loses them. */
  readonly #held = new Map<string, TeamSlots>();
  /** Slots to give back that Redis could not be told about yet. */
  readonly #toRelease = new Map<string, TeamSlots>();

  constructor(prefix: string) {
    this.#prefix = `${prefix}limit:`;
  }

  /** Checks and takes one slot under every limit, atomically. */
  async reserve(
    redis: Redis,
    limits: readonly TeamLimit[],
    id: string,
    retentionMs: number,
  ): Promise<TeamReserveResult> {
    const keys = limits.map((l) => this.#prefix + l.key);
    const args = [
      id,
      String(retentionMs),
      ...limits.flatMap((l) => [String(l.limit.windowMs), String(l.limit.max)]),
    ];
    let answer: unknown;
    try {
      answer = await runReserve(redis, keys, args);
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
    const [index, wait, at] = answer as [number, number, number];
    const full = limits[index - 1];
    if (index > 0 && full) return { ok: false, full, retryAfterMs: wait };
    const slots: TeamSlots = { keys, id, at, retentionMs };
    this.#remember(slots);
    return { ok: true, slots };
  }

  /** Gives a call's slots back; when Redis cannot be told now, it is told once the connection returns. */
  async release(redis: Redis | undefined, slots: TeamSlots): Promise<void> {
    this.#held.delete(slots.id);
    this.#toRelease.set(slots.id, slots);
    if (redis) await this.#sendReleases(redis);
  }

  async #sendReleases(redis: Redis): Promise<void> {
    const pending = [...this.#toRelease.values()];
    if (!pending.length) return;
    const batch = redis.multi();
    for (const slots of pending) for (const key of slots.keys) batch.zrem(key, slots.id);
    try {
      await batch.exec();
      for (const slots of pending) this.#toRelease.delete(slots.id);
    } catch {
      // Redis is away: the releases wait for the connection to return (the slot is counted till then,
      // which refuses more, never fewer, calls).
    }
  }

  /**
   * After a reconnect: writes back the slots held within their window (Redis may have lost them) and
   * sends the releases that could not be sent. Throws when Redis cannot take them.
   */
  async resync(redis: Redis): Promise<void> {
    const [seconds, micros] = await redis.time();
    const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    const batch = redis.multi();
    for (const slots of this.#held.values()) {
      if (slots.at <= now - slots.retentionMs) continue;
      for (const key of slots.keys) {
        batch.zadd(key, "NX", slots.at, slots.id);
        batch.pexpire(key, slots.retentionMs);
      }
    }
    await batch.exec();
    await this.#sendReleases(redis);
  }

  #remember(slots: TeamSlots): void {
    this.#held.set(slots.id, slots);
    for (const [id, old] of this.#held) {
      if (this.#held.size <= MAX_HELD && old.at > slots.at - old.retentionMs) break;
      this.#held.delete(id);
    }
  }
}
