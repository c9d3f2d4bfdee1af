import { Button, Center, Group, Stack, Text, Title } from '@mantine/core';
import { Link, useRouteError } from 'react-router';
import { errorMessage } from '../api/error-message';

/**
 * One page failed (its code did not load — the server may be down — or it threw): said in
 * place of that page only, so the app's navigation keeps working.
 */
export function PageError() {
  const error = useRouteError();
  console.error(error);
  const offline = error instanceof TypeError && /fetch|import|module/i.test(error.message);
  return (
    <Center py={64} px="md" data-testid="page-error">
      <Stack align="center" gap="sm" maw={460} ta="center" role="alert">
        <Title order={2}>{offline ? 'This page could not load' : 'This page ran into a problem'}</Title>
        <Text c="dimmed">
          {offline ? 'The server did not answer. Check your connection; your files and sessions on the server are safe.'
            : `${errorMessage(error)} Your work on the server is safe.`}
        </Text>
        <Group>
          <Button onClick={() => window.location.reload()}>Reload</Button>
          <Button variant="default" component={Link} to="/">Go to sessions</Button>
        </Group>
      </Stack>
    </Center>
  );
}

/** Last resort when a page fails to load or render (e.g. a new deploy replaced its chunk). */
export function RouteError() {
  const error = useRouteError();
  console.error(error);
  return (
    <Center h="100vh" p="md">
      <Stack align="center" gap="sm" maw={420} ta="center" role="alert">
        <Title order={2}>Something went wrong</Title>
        <Text c="dimmed">This page failed to load. Reloading usually fixes it; your work on the server is safe.</Text>
        <Button onClick={() => window.location.reload()}>Reload</Button>
      </Stack>
    </Center>
  );
}
