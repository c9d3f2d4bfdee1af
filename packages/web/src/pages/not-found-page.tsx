import { Button, Container } from '@mantine/core';
import { IconMapOff } from '@tabler/icons-react';
import { useNavigate } from 'react-router';
import { EmptyState } from '../components/state-views';

/** Unknown pages and sessions that do not exist (or belong to someone else — indistinguishable on purpose). */
export function NotFoundPage({ what = 'page' }: { what?: 'page' | 'session' }) {
  const navigate = useNavigate();
  return (
    <Container size="sm" py={48} className="page-enter" data-testid="not-found">
      <EmptyState
        icon={<IconMapOff size={28} />}
        title={what === 'session' ? 'Session not found' : 'Page not found'}
        action={<Button onClick={() => navigate('/')}>Back to your sessions</Button>}
      >
        {what === 'session'
          ? 'This session does not exist, was deleted, or is not shared with your account.'
          : 'The page you asked for does not exist. Check the address, or go back to your sessions.'}
      </EmptyState>
    </Container>
  );
}
