/** Calls per minute over the last half hour, stacked by decision, in plain SVG. */
import { useEffect, useMemo, useState } from "react";
import type { CallBuffer } from "./call-buffer.js";
import { callsPerMinute, TONES, type Tone } from "./chart.js";

const TONE_NAME: Record<Tone, string> = {
  ok: "allowed or approved",
  wait: "waiting for approval",
  warn: "rate-limited or timed out",
  bad: "denied",
  muted: "withdrawn",
};

const WIDTH = 300;
const HEIGHT = 64;
const MINUTES = 30;

export function CallsChart({ buffer, version }: { buffer: CallBuffer; version: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 15_000);
    return () => clearInterval(timer);
  }, []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: version and the clock say when to recount
  const buckets = useMemo(
    () => callsPerMinute(buffer.newestFirst(), Date.now(), MINUTES),
    [buffer, version, now],
  );
  const peak = Math.max(0, ...buckets.map((b) => b.total));
  const max = Math.max(1, peak);
  const totals = TONES.map((tone) => ({ tone, count: buckets.reduce((n, b) => n + b.counts[tone], 0) }));
  const all = totals.reduce((n, t) => n + t.count, 0);
  const last = buckets[buckets.length - 1]?.total ?? 0;
  const barWidth = WIDTH / MINUTES;
  const summary = `${all} calls in the last ${MINUTES} minutes, ${last} this minute; ${totals
    .filter((t) => t.count > 0)
    .map((t) => `${t.count} ${TONE_NAME[t.tone]}`)
    .join(", ")}`;

  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={summary} preserveAspectRatio="none">
        <title>{summary}</title>
        <line x1="0" x2={WIDTH} y1={HEIGHT - 0.5} y2={HEIGHT - 0.5} className="chart-axis" />
        {buckets.map((bucket, i) => {
          let y = HEIGHT;
          return (
            <g key={bucket.start}>
              {TONES.map((tone) => {
                const h = (bucket.counts[tone] / max) * (HEIGHT - 4);
                if (h === 0) return null;
                y -= h;
                return (
                  <rect
                    key={tone}
                    x={i * barWidth + 1}
                    y={y}
                    width={barWidth - 2}
                    height={h}
                    className={`chart-bar fill-${tone}`}
                  />
                );
              })}
            </g>
          );
        })}
      </svg>
      <figcaption>
        <span className="chart-rate">
          <strong>{last}</strong> this minute · peak {peak}/min
        </span>
        <span className="chart-legend" aria-hidden="true">
          {totals.map((t) => (
            <span key={t.tone} className="legend-item">
              <span className={`legend-swatch fill-${t.tone}`} />
              {TONE_NAME[t.tone]} {t.count}
            </span>
          ))}
        </span>
      </figcaption>
    </figure>
  );
}
