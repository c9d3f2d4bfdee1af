import { Card, SegmentedControl, Text, Title, useMantineColorScheme, type MantineColorScheme } from '@mantine/core';

export function AppearanceCard() {
  const { colorScheme, setColorScheme } = useMantineColorScheme();
  return (
    <Card p="xl">
      <Title order={2} fz="md">Appearance</Title>
      <Text size="sm" c="dimmed" mb="md" id="theme-label">Theme for this browser.</Text>
      <SegmentedControl
        aria-labelledby="theme-label"
        value={colorScheme}
        onChange={(v) => setColorScheme(v as MantineColorScheme)}
        data={[{ value: 'light', label: 'Light' }, { value: 'dark', label: 'Dark' }, { value: 'auto', label: 'System' }]}
      />
    </Card>
  );
}
