import { Container, Stack } from '@mantine/core';
import { PageHeader } from '../components/page-header';
import { AppearanceCard } from '../settings/appearance-card';
import { ChangePasswordCard } from '../settings/change-password-card';
import { DevicesCard } from '../settings/devices-card';

export function SettingsPage() {
  return (
    <Container size="lg" py="xl" className="page-enter">
      <PageHeader title="Settings" description="Security and appearance." />
      <Stack gap="lg">
        <ChangePasswordCard />
        <DevicesCard />
        <AppearanceCard />
      </Stack>
    </Container>
  );
}
