import { Box, Text, useComputedColorScheme } from '@mantine/core';
import { formatUsd } from '../format/units';

export interface DayBar {
  day: string;
  tokens: number;
  costUsd: number;
}

/** A dependency-free SVG bar chart: tokens per day (bars), cost per day in each bar's tooltip. */
export function UsageChart({ days, height = 180 }: { days: DayBar[]; height?: number }) {
  const dark = useComputedColorScheme('light') === 'dark';
  const max = Math.max(1, ...days.map((d) => d.tokens));
  const width = Math.max(days.length * 22, 300);
  const plot = height - 24;
  const bar = width / Math.max(days.length, 1);
  return (
    <Box style={{ overflowX: 'auto' }}>
      <svg role="img" aria-label="Tokens per day" data-testid="usage-chart" width="100%" viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" style={{ minWidth: 300, height }}>
        <line x1={0} x2={width} y1={plot} y2={plot} stroke={dark ? '#555' : '#ccc'} />
        {days.map((d, i) => {
          const h = Math.round((d.tokens / max) * (plot - 8));
          return (
            <g key={d.day}>
              <rect data-testid="usage-bar" data-day={d.day} x={i * bar + 3} y={plot - h} width={Math.max(bar - 6, 2)} height={h} rx={2}
                fill={d.tokens ? 'var(--mantine-color-indigo-filled)' : 'transparent'}>
                <title>{`${d.day}: ${d.tokens.toLocaleString()} tokens · ${formatUsd(d.costUsd)}`}</title>
              </rect>
              {(days.length <= 14 || i % Math.ceil(days.length / 10) === 0) && (
                <text x={i * bar + bar / 2} y={height - 6} fontSize={9} textAnchor="middle" fill={dark ? '#aaa' : '#666'}>{d.day.slice(5)}</text>
              )}
            </g>
          );
        })}
      </svg>
      {days.every((d) => !d.tokens) && <Text size="xs" c="dimmed">No calls in this period yet.</Text>}
    </Box>
  );
}

/** Every day from `from` to `to` (YYYY-MM-DD, UTC), so quiet days show as gaps. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`) && out.length < 400; t += 86_400_000) {
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}
