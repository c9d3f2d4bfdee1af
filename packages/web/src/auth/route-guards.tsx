import { Center, Loader, Stack, Text } from '@mantine/core';
import { Navigate, Outlet, useLocation, useSearchParams } from 'react-router';
import { loginPathFor, safeReturnPath } from '../forms/safe-return';
import { useAuth } from './auth-store';

function FullPageLoader() {
  return (
    <Center h="100vh">
      <Stack align="center" gap="xs" role="status" aria-live="polite">
        <Loader size="md" />
        <Text c="dimmed" size="sm">Loading Coditect…</Text>
      </Stack>
    </Center>
  );
}

/** Pages for signed-in users; others go to /login and come back here after. */
export function RequireAuth() {
  const status = useAuth((s) => s.status);
  const location = useLocation();
  if (status === 'unknown') return <FullPageLoader />;
  if (status === 'signed-out') return <Navigate to={loginPathFor(location)} replace />;
  return <Outlet />;
}

/** Sign-in and sign-up; a signed-in user goes on to where they were headed. */
export function PublicOnly() {
  const status = useAuth((s) => s.status);
  const [params] = useSearchParams();
  if (status === 'unknown') return <FullPageLoader />;
  if (status === 'signed-in') return <Navigate to={safeReturnPath(params.get('return'))} replace />;
  return <Outlet />;
}
