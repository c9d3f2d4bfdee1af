import { Group, Progress, Text } from '@mantine/core';
import { passwordStrength } from '../forms/password-strength';

/** Strength hint under a new-password field (the only hard rule is 8–128 characters). */
export function PasswordStrengthMeter({ password, id }: { password: string; id: string }) {
  const s = passwordStrength(password);
  return (
    <div id={id} aria-live="polite">
      <Progress value={(s.score / 4) * 100} color={s.color} size="xs" mt={6} aria-hidden />
      <Group justify="space-between" mt={4}>
        <Text size="xs" c="dimmed">Use at least 8 characters; a passphrase of 3–4 words is best.</Text>
        {s.label && <Text size="xs" fw={600} c={s.color} data-testid="password-strength">{s.label}</Text>}
      </Group>
    </div>
  );
}
