import { lazy, Suspense, useState } from 'react';
import { useMatch } from 'react-router';
import classes from './ide-host.module.css';

const IdePage = lazy(() => import('../pages/ide-page').then((m) => ({ default: m.IdePage })));

/**
 * Keeps the IDE page mounted once visited: on other pages it is hidden, not
 * unmounted, so the open IDEs (iframes) keep their state across a visit to the
 * dashboard or settings. The `/ide` route itself renders nothing.
 */
export function IdeHost() {
  const match = useMatch('/ide/:sessionId?');
  const [visited, setVisited] = useState(false);
  if (match && !visited) setVisited(true);
  if (!match && !visited) return null;
  return (
    <div className={classes.host} hidden={!match} data-testid="ide-host">
      <Suspense fallback={null}>
        <IdePage routeActive={!!match} sessionId={match?.params.sessionId} />
      </Suspense>
    </div>
  );
}
