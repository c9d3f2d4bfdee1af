import { Button, Loader, Stack, Text, ThemeIcon } from '@mantine/core';
import { IconPlayerPlay, IconPlugConnectedX } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import type { Connection } from './connection-watch';
import classes from './workspace-frame.module.css';

/**
 * Blocks the IDE while the server or the workspace is gone, so nothing typed looks accepted
 * when it is not: what happened, what is safe, when it tries again, and a button.
 */
export function ReconnectOverlay({ connection, onRetry, onRestart }: {
  connection: Exclude<Connection, { kind: 'ok' }>;
  onRetry(): void;
  onRestart(): void;
}) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, []);
  if (connection.kind === 'workspace-stopped') {
    return (
      <div className={`${classes.overlay} ${classes.blocking}`} role="alertdialog" aria-modal="true" aria-labelledby="ws-stopped-title" data-testid="ide-reconnect" data-reason="workspace-stopped">
        <Stack align="center" gap="sm" maw={440} ta="center">
          <ThemeIcon size={48} radius="xl" variant="light" color="gray"><IconPlayerPlay size={24} /></ThemeIcon>
          <Text fw={600} id="ws-stopped-title">This workspace stopped</Text>
          <Text size="sm" c="dimmed">
            Its IDE ended (idle for a while, or stopped elsewhere). Files saved to disk are kept; edits not yet saved
            in this tab are lost when it restarts.
          </Text>
          <Button onClick={onRestart} autoFocus>Restart workspace</Button>
        </Stack>
      </div>
    );
  }
  const seconds = Math.max(0, Math.ceil((connection.nextAt - now) / 1000));
  return (
    <div className={`${classes.overlay} ${classes.blocking}`} role="alertdialog" aria-modal="true" aria-labelledby="ws-lost-title" data-testid="ide-reconnect" data-reason="server-lost">
      <Stack align="center" gap="sm" maw={440} ta="center">
        <ThemeIcon size={48} radius="xl" variant="light" color="orange"><IconPlugConnectedX size={24} /></ThemeIcon>
        <Text fw={600} id="ws-lost-title">Connection to Coditect lost</Text>
        <Text size="sm" c="dimmed">
          Files saved before the connection dropped are safe on the server. Keep this tab open: the IDE comes back
          where you left it. Typing here waits until then.
        </Text>
        <Text size="sm" aria-live="polite">
          {seconds > 0 ? `Reconnecting in ${seconds} s…` : <><Loader size="xs" type="dots" /> Reconnecting…</>}
        </Text>
        <Button variant="default" onClick={onRetry} autoFocus>Try again now</Button>
      </Stack>
    </div>
  );
}
