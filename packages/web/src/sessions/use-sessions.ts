import type { SessionPage, WorkspaceSession } from '@coditect/contract';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient, type InfiniteData } from '@tanstack/react-query';
import { api } from '../api/api';

/** Page size of the dashboard list (the API's default and a comfortable screenful). */
export const PAGE_SIZE = 50;

export const sessionKeys = {
  list: ['sessions', 'list'] as const,
  one: (id: string) => ['sessions', 'one', id] as const,
};

export function useSessionList() {
  return useInfiniteQuery({
    queryKey: sessionKeys.list,
    queryFn: ({ pageParam, signal }) =>
      api.call('listSessions', { query: { limit: PAGE_SIZE, ...(pageParam ? { cursor: pageParam } : {}) }, signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (last: SessionPage) => last.nextCursor,
    // Rows say whether each IDE runs: fresh on every visit, and kept fresh while shown.
    refetchOnMount: 'always',
    refetchInterval: 15_000,
  });
}

/** Stops a session's IDE and updates its row. */
export function useStopWorkspace() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.call('stopWorkspace', { params: { id } }),
    onSuccess: (res, id) => {
      patchCaches(client, id, (s) => ({ ...s, workspaceStatus: res.status }));
      void client.invalidateQueries({ queryKey: sessionKeys.list });
    },
  });
}

export function useSession(id: string | undefined) {
  return useQuery({
    queryKey: sessionKeys.one(id ?? ''),
    queryFn: ({ signal }) => api.call('getSession', { params: { id: id! }, signal }),
    enabled: Boolean(id),
  });
}

type ListData = InfiniteData<SessionPage, string | null>;

/** Applies a change to every cached copy of a session (list pages and detail). */
function patchCaches(client: ReturnType<typeof useQueryClient>, id: string, change: (s: WorkspaceSession) => WorkspaceSession | null) {
  client.setQueryData<ListData>(sessionKeys.list, (data) => data && {
    ...data,
    pages: data.pages.map((p) => ({ ...p, items: p.items.flatMap((s) => (s.id === id ? (change(s) ?? []) : [s])) })),
  });
}

export function useCreateSession() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => api.call('createSession', { body: { name } }),
    onSuccess: (session) => {
      client.setQueryData(sessionKeys.one(session.id), session);
      void client.invalidateQueries({ queryKey: sessionKeys.list });
    },
  });
}

export function useRenameSession() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, name }: { id: string; name: string }) => api.call('updateSession', { params: { id }, body: { name } }),
    onSuccess: (session) => {
      client.setQueryData(sessionKeys.one(session.id), session);
      patchCaches(client, session.id, () => session);
    },
  });
}

export function useDeleteSession() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.call('deleteSession', { params: { id } }),
    onSuccess: (_, id) => {
      patchCaches(client, id, () => null);
      client.removeQueries({ queryKey: sessionKeys.one(id) });
      void client.invalidateQueries({ queryKey: sessionKeys.list });
    },
  });
}
