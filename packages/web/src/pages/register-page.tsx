import { ApiError, RegisterRequest } from '@coditect/contract';
import { Alert, Anchor, Button, Group, PasswordInput, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { IconAlertCircle } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { errorMessage } from '../api/error-message';
import { useAuth } from '../auth/auth-store';
import { PasswordStrengthMeter } from '../components/password-strength-meter';
import { serverFieldErrors, validateWith, type FieldErrors } from '../forms/field-errors';
import { loadPasswordCheck } from '../forms/password-strength';
import { AuthLayout } from '../layout/auth-layout';

// Only what an account needs; company and phone (accepted by the API) live on the profile page.
const empty = { firstName: '', lastName: '', email: '', password: '' };
type Values = typeof empty;

/** The request body. */
export function toRegisterRequest(v: Values): Record<string, string> {
  return { firstName: v.firstName, lastName: v.lastName, email: v.email, password: v.password };
}

export function RegisterPage() {
  const register = useAuth((s) => s.register);
  const [params] = useSearchParams();
  const [values, setValues] = useState<Values>(empty);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);

  const field = (name: keyof Values) => ({
    value: values[name],
    error: errors[name],
    onChange: (e: React.ChangeEvent<HTMLInputElement>) => {
      const value = e.currentTarget.value;
      setValues((v) => ({ ...v, [name]: value }));
      if (errors[name]) setErrors(({ [name]: _, ...rest }) => rest);
    },
  });

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setFormError(null);
    const body = toRegisterRequest(values);
    const fieldErrors = validateWith(RegisterRequest, body);
    if (!fieldErrors.password) {
      // The API's own estimator: refuse here what the API would refuse, with its reason.
      const verdict = (await loadPasswordCheck())(values.password, [values.email, values.firstName, values.lastName]);
      if (!verdict.acceptable) fieldErrors.password = verdict.problem ?? 'Choose a stronger password';
    }
    setErrors(fieldErrors);
    if (Object.keys(fieldErrors).length) return;
    setSubmitting(true);
    try {
      await register(RegisterRequest.parse(body));
    } catch (err) {
      if (err instanceof ApiError && err.code === 'email_taken') {
        setErrors({ email: 'An account with this email already exists. Sign in instead?' });
      } else if (err instanceof ApiError && err.fieldIssues.length) {
        setErrors(serverFieldErrors(err));
      } else {
        setFormError(errorMessage(err));
      }
    } finally {
      setSubmitting(false);
    }
  }

  return (
    <AuthLayout title="Create your account" subtitle="Start coding in the browser in under a minute. No credit card needed.">
      <form onSubmit={onSubmit} noValidate aria-label="Create account">
        <Stack gap="md">
          {formError && <Alert color="red" variant="light" icon={<IconAlertCircle size={18} />} role="alert">{formError}</Alert>}
          <SimpleGrid cols={2} spacing="sm">
            <TextInput label="First name" autoComplete="given-name" required autoFocus {...field('firstName')} />
            <TextInput label="Last name" autoComplete="family-name" required {...field('lastName')} />
          </SimpleGrid>
          <TextInput label="Work email" type="email" autoComplete="email" placeholder="you@company.com" required {...field('email')} />
          <div>
            <PasswordInput label="Password" autoComplete="new-password" required aria-describedby="password-hint" {...field('password')} />
            <PasswordStrengthMeter password={values.password} id="password-hint" userInputs={[values.email, values.firstName, values.lastName]} />
          </div>
          <Text size="xs" c="dimmed">Company, phone and address are optional; add them later on your profile.</Text>
          <Button type="submit" fullWidth size="md" loading={submitting}>Create account</Button>
          <Group justify="center" gap={4}>
            <Text size="sm" c="dimmed">Already have an account?</Text>
            <Anchor component={Link} to={params.get('return') ? `/login?return=${encodeURIComponent(params.get('return')!)}` : '/login'} size="sm" fw={600}>
              Sign in
            </Anchor>
          </Group>
        </Stack>
      </form>
    </AuthLayout>
  );
}
