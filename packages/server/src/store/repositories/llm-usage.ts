import { sql } from 'kysely';
import type { Tx } from '../database.js';
import type { LlmUsageTable } from '../llm-schema.js';

export type LlmUsageRow = LlmUsageTable;

export async function insertUsage(tx: Tx, row: LlmUsageRow): Promise<void> {
  await tx.insertInto('llm_usage').values(row).execute();
}

/** Total cost of calls since `from` (inclusive). */
export async function spentSince(tx: Tx, tenantId: string, from: string): Promise<number> {
  const r = await tx.selectFrom('llm_usage').select((eb) => eb.fn.sum<number | string | null>('cost_usd').as('total'))
    .where('tenant_id', '=', tenantId).where('created_at', '>=', from).executeTakeFirst();
  return Number(r?.total ?? 0);
}

/** Aggregated usage grouped by one dimension, over [from, to). */
export interface UsageAggregate {
  key: string;
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  avgLatencyMs: number | null;
}

export type UsageDimension = 'day' | 'model' | 'user' | 'all';

export async function aggregateUsage(
  tx: Tx, tenantId: string, from: string, to: string, by: UsageDimension, dialect: 'sqlite' | 'postgres',
): Promise<UsageAggregate[]> {
  const key = by === 'day'
    ? (dialect === 'postgres' ? sql<string>`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD')` : sql<string>`substr(created_at, 1, 10)`)
    : by === 'model' ? sql<string>`model` : by === 'user' ? sql<string>`user_id` : sql<string>`'all'`;
  let q = tx.selectFrom('llm_usage')
    .select([
      key.as('key'),
      sql<number | string>`count(*)`.as('requests'),
      sql<number | string>`sum(case when status = 'error' then 1 else 0 end)`.as('errors'),
      sql<number | string>`coalesce(sum(input_tokens), 0)`.as('input_tokens'),
      sql<number | string>`coalesce(sum(output_tokens), 0)`.as('output_tokens'),
      sql<number | string>`coalesce(sum(cost_usd), 0)`.as('cost_usd'),
      sql<number | string | null>`avg(latency_ms)`.as('avg_latency'),
    ])
    .where('tenant_id', '=', tenantId).where('created_at', '>=', from).where('created_at', '<', to);
  // PostgreSQL rejects grouping by a constant: the grand total is simply ungrouped.
  if (by !== 'all') q = q.groupBy(key).orderBy(key);
  const rows = (await q.execute()).filter((r) => Number(r.requests) > 0);
  return rows.map((r) => ({
    key: String(r.key),
    requests: Number(r.requests),
    errors: Number(r.errors ?? 0),
    inputTokens: Number(r.input_tokens),
    outputTokens: Number(r.output_tokens),
    costUsd: Number(r.cost_usd),
    avgLatencyMs: r.avg_latency === null ? null : Math.round(Number(r.avg_latency)),
  }));
}

export async function findBudget(tx: Tx, tenantId: string): Promise<number | null> {
  const r = await tx.selectFrom('llm_budgets').select('monthly_limit_usd').where('tenant_id', '=', tenantId).executeTakeFirst();
  return r?.monthly_limit_usd === undefined || r.monthly_limit_usd === null ? null : Number(r.monthly_limit_usd);
}

export async function upsertBudget(tx: Tx, tenantId: string, limit: number | null, at: string): Promise<void> {
  await tx.insertInto('llm_budgets').values({ tenant_id: tenantId, monthly_limit_usd: limit, updated_at: at })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ monthly_limit_usd: limit, updated_at: at })).execute();
}
