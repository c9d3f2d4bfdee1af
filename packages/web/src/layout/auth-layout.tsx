import { Box, List, Paper, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { IconCheck } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { Logo } from '../components/logo';
import classes from './auth-layout.module.css';

/** Sign-in / sign-up frame: product pitch on the left, the form on the right. */
export function AuthLayout({ title, subtitle, children }: { title: string; subtitle: ReactNode; children: ReactNode }) {
  return (
    <div className={classes.wrapper}>
      <aside className={classes.aside} aria-hidden="true">
        <Stack gap="xl" maw={420}>
          <Logo size="lg" />
          <Title order={2} fz={30} lh={1.2} c="white">Your AI IDE, in any browser.</Title>
          <List spacing="sm" c="white" icon={<ThemeIcon size={22} radius="xl" color="white" variant="white"><IconCheck size={14} color="var(--mantine-color-brand-7)" /></ThemeIcon>}>
            <List.Item>Full IDE with editor, terminal and search — nothing to install</List.Item>
            <List.Item>Claude, GPT, Gemini, Grok and local models side by side</List.Item>
            <List.Item>Workspaces that keep their state between visits</List.Item>
          </List>
        </Stack>
        <Text size="xs" c="rgba(255,255,255,0.7)">© Coditect</Text>
      </aside>
      <main className={classes.main}>
        <Box w="100%" maw={440} className="page-enter">
          <Box hiddenFrom="md" mb="xl"><Logo size="lg" /></Box>
          <Title order={1} fz={26} mb={6}>{title}</Title>
          <Text c="dimmed" size="sm" mb="lg">{subtitle}</Text>
          <Paper p="xl" radius="lg" shadow="sm">{children}</Paper>
        </Box>
      </main>
    </div>
  );
}
