import { Group, Text, ThemeIcon } from '@mantine/core';
import { IconCode } from '@tabler/icons-react';

export function Logo({ size = 'md' }: { size?: 'md' | 'lg' }) {
  const big = size === 'lg';
  return (
    <Group gap={8} wrap="nowrap">
      <ThemeIcon size={big ? 36 : 30} radius="md" variant="gradient" gradient={{ from: 'brand.7', to: 'violet.5', deg: 135 }} aria-hidden>
        <IconCode size={big ? 22 : 18} stroke={2.2} />
      </ThemeIcon>
      <Text fw={700} fz={big ? 22 : 18} lts={-0.3}>Coditect</Text>
    </Group>
  );
}
