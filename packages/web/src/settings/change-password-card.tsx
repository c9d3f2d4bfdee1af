import { ApiError, Password } from '@coditect/contract';
import { Button, Card, Group, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../api/api';
import { useAuth } from '../auth/auth-store';
import { notify } from '../components/notify';
import { PasswordStrengthMeter } from '../components/password-strength-meter';
import { serverFieldErrors, type FieldErrors } from '../forms/field-errors';

const blank = { currentPassword: '', newPassword: '', confirm: '' };

/** Client-side checks: the contract's password rule, a matching confirmation, an actual change. */
export function validatePasswordChange(v: typeof blank): FieldErrors {
  const errors: FieldErrors = {};
  if (!v.currentPassword) errors.currentPassword = 'Enter your current password';
  const rule = Password.safeParse(v.newPassword);
  if (!rule.success) errors.newPassword = rule.error.issues[0]?.message ?? 'Invalid password';
  else if (v.newPassword === v.currentPassword) errors.newPassword = 'Choose a password different from the current one';
  if (v.confirm !== v.newPassword) errors.confirm = 'Passwords do not match';
  return errors;
}

export function ChangePasswordCard() {
  const user = useAuth((s) => s.user);
  const personal = user ? [user.email, user.firstName, user.lastName] : [];
  const [values, setValues] = useState(blank);
  const [errors, setErrors] = useState<FieldErrors>({});
  const client = useQueryClient();
  const change = useMutation({
    mutationFn: () => api.call('changePassword', { body: { currentPassword: values.currentPassword, newPassword: values.newPassword } }),
    onSuccess: () => {
      setValues(blank);
      void client.invalidateQueries({ queryKey: ['devices'] });
      notify.success('Other devices were signed out.', 'Password changed');
    },
    onError: (err) => {
      if (err instanceof ApiError && err.code === 'invalid_current_password') setErrors({ currentPassword: 'That is not your current password' });
      else if (err instanceof ApiError && err.code === 'weak_password') setErrors(serverFieldErrors(err));
      else notify.error(err, 'Could not change your password');
    },
  });

  const field = (name: keyof typeof blank) => ({
    value: values[name],
    error: errors[name],
    onChange: (e: React.ChangeEvent<HTMLInputElement>) => {
      const value = e.currentTarget.value;
      setValues((v) => ({ ...v, [name]: value }));
      if (errors[name]) setErrors(({ [name]: _, ...rest }) => rest);
    },
  });

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const found = validatePasswordChange(values);
    setErrors(found);
    if (Object.keys(found).length === 0) change.mutate();
  }

  return (
    <Card p="xl">
      <Title order={2} fz="md">Password</Title>
      <Text size="sm" c="dimmed" mb="md">Changing it signs you out on every other device.</Text>
      <form onSubmit={onSubmit} noValidate aria-label="Change password">
        <Stack gap="md" maw={420}>
          <PasswordInput label="Current password" autoComplete="current-password" required {...field('currentPassword')} />
          <div>
            <PasswordInput label="New password" autoComplete="new-password" required aria-describedby="new-password-hint" {...field('newPassword')} />
            <PasswordStrengthMeter password={values.newPassword} id="new-password-hint" userInputs={personal} />
          </div>
          <PasswordInput label="Confirm new password" autoComplete="new-password" required {...field('confirm')} />
          <Group>
            <Button type="submit" loading={change.isPending}>Change password</Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}
