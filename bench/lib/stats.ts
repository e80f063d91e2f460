/** Statistics and number formatting for the benchmarks' tables. */

/** The value at quantile `q` (0–1) of ascending `sorted` values (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** Ascending copy. */
export function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** p50 and p99 of a sample. */
export function percentiles(values: readonly number[]): { p50: number; p99: number } {
  const s = sorted(values);
  return { p50: quantile(s, 0.5), p99: quantile(s, 0.99) };
}

/** Min, median and max of the repeats of one figure. */
export interface Spread {
  min: number;
  median: number;
  max: number;
}

/** The spread of a figure across repeats. */
export function spread(values: readonly number[]): Spread {
  const s = sorted(values);
  return { min: s[0] ?? Number.NaN, median: quantile(s, 0.5), max: s[s.length - 1] ?? Number.NaN };
}

/** Mean of a sample. */
export function mean(values: readonly number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN;
}

/** A number with `digits` decimals and thousands separators. */
export function num(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return "–";
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A signed number ("+123", "−45"). */
export function signed(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return "–";
  return value < 0 ? `−${num(-value, digits)}` : `+${num(value, digits)}`;
}

/** "min / median / max" of a spread, each formatted by `format`. */
export function showSpread(s: Spread, format: (v: number) => string = (v) => num(v)): string {
  return `${format(s.min)} / ${format(s.median)} / ${format(s.max)}`;
}

/** Milliseconds with a precision that suits the size. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return "–";
  return num(value, value < 10 ? 3 : value < 100 ? 2 : 1);
}

/** Megabytes from kilobytes. */
export function mb(kb: number): string {
  return Number.isFinite(kb) ? num(kb / 1024, 1) : "–";
}
