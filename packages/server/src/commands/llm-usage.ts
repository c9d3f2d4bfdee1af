import type { Budget, PutBudgetRequest, UsageReport } from '@coditect/contract';
import type { Deps } from '../deps.js';
import type { AuthContext } from '../http/authenticate.js';
import type { LlmGateway } from '../llm/gateway.js';
import { aggregateUsage, upsertBudget } from '../store/repositories/llm-usage.js';

const DAY_MS = 86_400_000;
const day = (d: Date) => d.toISOString().slice(0, 10);

/** Usage between two UTC days (inclusive), by day, model and user. */
export async function usageReport(deps: Deps, auth: AuthContext, query: { from?: string | undefined; to?: string | undefined }): Promise<UsageReport> {
  const now = deps.now();
  const to = query.to ?? day(now);
  const from = query.from ?? day(new Date(now.getTime() - 29 * DAY_MS));
  const start = `${from}T00:00:00.000Z`;
  const end = new Date(Date.parse(`${to}T00:00:00.000Z`) + DAY_MS).toISOString();
  const dialect = deps.store.dialect;
  const [totals, byDay, byModel, byUser] = await deps.store.tenant(auth.tenantId, (tx) => Promise.all(
    (['all', 'day', 'model', 'user'] as const).map((by) => aggregateUsage(tx, auth.tenantId, start, end, by, dialect))));
  const { key: _k, ...total } = totals![0] ?? { key: 'all', requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, avgLatencyMs: null };
  return { from, to, totals: total, byDay: byDay!, byModel: byModel!, byUser: byUser! };
}

export async function getBudget(gateway: LlmGateway, auth: AuthContext): Promise<Budget> {
  const b = await gateway.budget(auth.tenantId);
  return { monthlyLimitUsd: b.limit, month: b.month, spentUsd: b.spent, remainingUsd: b.limit === null ? null : Math.max(0, b.limit - b.spent) };
}

export async function putBudget(deps: Deps, gateway: LlmGateway, auth: AuthContext, input: PutBudgetRequest): Promise<Budget> {
  await deps.store.tenant(auth.tenantId, (tx) => upsertBudget(tx, auth.tenantId, input.monthlyLimitUsd, deps.now().toISOString()));
  return getBudget(gateway, auth);
}
