import { Button, Center, Stack, Text, Title } from '@mantine/core';
import { useRouteError } from 'react-router';

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
