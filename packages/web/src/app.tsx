import { MantineProvider, localStorageColorSchemeManager } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { QueryClientProvider } from '@tanstack/react-query';
import { RouterProvider } from 'react-router';
import { onSignedOut, useAuth } from './auth/auth-store';
import { loginPathFor } from './forms/safe-return';
import { queryClient } from './query-client';
import { router } from './router';
import { cssVariablesResolver, theme } from './theme';

export const colorSchemeManager = localStorageColorSchemeManager({ key: 'coditect.color-scheme' });

onSignedOut((reason) => {
  queryClient.clear();
  const { location } = router.state;
  if (location.pathname === '/login' || location.pathname === '/register') return;
  void router.navigate(reason === 'ended' ? loginPathFor(location) : '/login', { replace: true });
});

// Restore the sign-in (refresh cookie → access token) while React is still mounting, not after.
void useAuth.getState().restore();

export function App() {
  return (
    <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver} colorSchemeManager={colorSchemeManager} defaultColorScheme="light">
      <QueryClientProvider client={queryClient}>
        <Notifications position="top-right" limit={4} />
        <RouterProvider router={router} />
      </QueryClientProvider>
    </MantineProvider>
  );
}
