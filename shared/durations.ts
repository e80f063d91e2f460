/** Durations and windows as written in a policy, turned into milliseconds. */
/** A duration such as "30s", "15m", "2h", "1d" or "500ms". */
export const DURATION_PATTERN = /^[1-9][0-9]*(ms|s|m|h|d)$/;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const NAMED_MS: Record<string, number> = { second: 1_000, minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** Milliseconds in a window: "minute" or a duration such as "15m". Throws on anything else. */
export function windowMs(window: string): number {
  const named = NAMED_MS[window];
  if (named !== undefined) return named;
  return durationMs(window);
}

/** Milliseconds in a duration such as "30s" or "2h". Throws on anything else. */
export function durationMs(text: string): number {
  const m = DURATION_PATTERN.exec(text);
  const unit = m?.[1];
  if (!m || !unit) throw new Error(`not a duration: ${JSON.stringify(text)}`);
  return Number.parseInt(text, 10) * (UNIT_MS[unit] ?? Number.NaN);
}

/** A short human form of a millisecond count: "45s", "2m 5s", "1h". */
export function formatMs(ms: number): string {
  if (ms < 1_000) return `${Math.max(0, Math.ceil(ms))}ms`;
  const s = Math.ceil(ms / 1_000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m ${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
}
