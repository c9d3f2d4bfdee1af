import { ApiError } from '@coditect/contract';
import { Alert, Anchor, Button, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { IconAlertCircle, IconClock } from '@tabler/icons-react';
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { errorMessage, formatWait } from '../api/error-message';
import { useAuth } from '../auth/auth-store';
import type { FieldErrors } from '../forms/field-errors';
import { AuthLayout } from '../layout/auth-layout';

/** Seconds left until `until` (ms epoch), re-rendering once a second while it counts. */
function useCountdown(until: number | null): number {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (until === null) return;
    const timer = setInterval(() => setTick((t) => t + 1), 1000);
    return () => clearInterval(timer);
  }, [until]);
  return until === null ? 0 : Math.max(0, Math.ceil((until - Date.now()) / 1000));
}

/**
 * Sign-in checks only what a person can fix before asking the server (the
 * server knows whether the pair is right). Deliberately without zod, which
 * would add ~50 KB to the first page anyone sees.
 */
export function checkLogin(email: string, password: string): FieldErrors {
  const errors: FieldErrors = {};
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim())) errors.email = 'Enter a valid email address';
  if (!password) errors.password = 'Required';
  return errors;
}

export function LoginPage() {
  const signIn = useAuth((s) => s.signIn);
  const endedReason = useAuth((s) => s.endedReason);
  const [params] = useSearchParams();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [blockedUntil, setBlockedUntil] = useState<number | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const wait = useCountdown(blockedUntil);
  const returning = params.get('return');

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    const fieldErrors = checkLogin(email, password);
    setErrors(fieldErrors);
    setFormError(null);
    if (Object.keys(fieldErrors).length) return;
    setSubmitting(true);
    try {
      await signIn(email, password);
      // The route guard sends the user on to `return` (or the dashboard).
    } catch (err) {
      if (err instanceof ApiError && err.code === 'rate_limited') {
        setBlockedUntil(Date.now() + (err.retryAfterSeconds ?? 60) * 1000);
        setFormError(`Too many sign-in attempts. Try again in ${formatWait(err.retryAfterSeconds)}.`);
      } else if (err instanceof ApiError && err.code === 'invalid_credentials') {
        setFormError('That email and password do not match. Check them and try again.');
      } else {
        setFormError(errorMessage(err));
      }
    } finally {
      setSubmitting(false);
    }
  }

  const blocked = wait > 0;
  return (
    <AuthLayout
      title="Sign in to Coditect"
      subtitle={returning ? 'Sign in to continue where you left off.' : 'Welcome back. Pick up where you left off.'}
    >
      <form onSubmit={onSubmit} noValidate aria-label="Sign in">
        <Stack gap="md">
          {endedReason && !formError && (
            <Alert color="yellow" variant="light" icon={<IconClock size={18} />} data-testid="session-ended">{endedReason}</Alert>
          )}
          {formError && (
            <Alert color="red" variant="light" icon={<IconAlertCircle size={18} />} role="alert" data-testid="login-error">
              {blocked ? `Too many sign-in attempts. Try again in ${formatWait(wait)}.` : formError}
            </Alert>
          )}
          <TextInput
            label="Email"
            type="email"
            autoComplete="username"
            placeholder="you@company.com"
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
            error={errors.email}
            required
            data-autofocus
            autoFocus
          />
          <PasswordInput
            label="Password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            error={errors.password}
            required
          />
          <Button type="submit" fullWidth size="md" loading={submitting} disabled={blocked}>
            {blocked ? `Try again in ${wait}s` : 'Sign in'}
          </Button>
          <Text size="sm" ta="center" c="dimmed">
            New to Coditect?{' '}
            <Anchor component={Link} to={returning ? `/register?return=${encodeURIComponent(returning)}` : '/register'} fw={600}>
              Create an account
            </Anchor>
          </Text>
        </Stack>
      </form>
    </AuthLayout>
  );
}
