import { ActionIcon, AppShell, Avatar, Box, Group, Menu, Text, Tooltip, UnstyledButton, useComputedColorScheme, useMantineColorScheme } from '@mantine/core';
import { ModalsProvider } from '@mantine/modals';
import { IconChartBar, IconChevronDown, IconKey, IconLayoutDashboard, IconLogout, IconMoon, IconSettings, IconSun, IconTerminal2, IconUser } from '@tabler/icons-react';
import { NavLink as RouterNavLink, Outlet, useNavigate } from 'react-router';
import { useAuth } from '../auth/auth-store';
import { Logo } from '../components/logo';
import { notify } from '../components/notify';
import classes from './app-layout.module.css';
import { IdeHost } from '../ide/ide-host';

function NavItem({ to, icon, label, end }: { to: string; icon: React.ReactNode; label: string; end?: boolean }) {
  return (
    <RouterNavLink to={to} end={end} className={({ isActive }) => `${classes.navLink} ${isActive ? classes.navLinkActive : ''}`}>
      {icon}
      <span>{label}</span>
    </RouterNavLink>
  );
}

function ThemeToggle() {
  const { setColorScheme } = useMantineColorScheme();
  const computed = useComputedColorScheme('light');
  const next = computed === 'dark' ? 'light' : 'dark';
  return (
    <Tooltip label={`Switch to ${next} theme`}>
      <ActionIcon variant="default" size="lg" aria-label={`Switch to ${next} theme`} onClick={() => setColorScheme(next)}>
        {computed === 'dark' ? <IconSun size={18} /> : <IconMoon size={18} />}
      </ActionIcon>
    </Tooltip>
  );
}

function UserMenu() {
  const user = useAuth((s) => s.user);
  const signOut = useAuth((s) => s.signOut);
  const navigate = useNavigate();
  if (!user) return null;
  const fullName = `${user.firstName} ${user.lastName}`.trim();
  const initials = `${user.firstName[0] ?? ''}${user.lastName[0] ?? ''}`.toUpperCase();
  return (
    <Menu position="bottom-end" width={240} shadow="md" withinPortal>
      <Menu.Target>
        <UnstyledButton className={classes.userButton} aria-label={`Account menu for ${fullName}`}>
          <Group gap={8} wrap="nowrap">
            <Avatar color="brand" radius="xl" size={30}>{initials}</Avatar>
            <Box visibleFrom="sm" miw={0}>
              <Text size="sm" fw={600} lh={1.2} truncate maw={180} data-testid="header-user-name">{fullName}</Text>
            </Box>
            <IconChevronDown size={14} />
          </Group>
        </UnstyledButton>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>
          <Text size="xs" c="dimmed" truncate>Signed in as {user.email}</Text>
        </Menu.Label>
        <Menu.Item leftSection={<IconUser size={16} />} onClick={() => navigate('/profile')}>Profile</Menu.Item>
        <Menu.Item leftSection={<IconSettings size={16} />} onClick={() => navigate('/settings')}>Settings</Menu.Item>
        <Menu.Divider />
        <Menu.Item
          color="red"
          leftSection={<IconLogout size={16} />}
          onClick={() => signOut().catch((err: unknown) => notify.error(err, 'Sign-out did not reach the server'))}
        >
          Sign out
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}

/** The signed-in frame: header with product, navigation, theme and the account menu. */
export function AppLayout() {
  return (
    // Confirm dialogs are only used on signed-in pages; keeping the provider here keeps them out of the login bundle.
    <ModalsProvider>
    <AppShell header={{ height: 56 }} padding={0}>
      <a href="#main" className={classes.skipLink}>Skip to content</a>
      <AppShell.Header className={classes.header}>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="xl" wrap="nowrap">
            <RouterNavLink to="/" aria-label="Coditect home" className={classes.brandLink}><Logo /></RouterNavLink>
            <Group gap={4} component="nav" aria-label="Main" wrap="nowrap">
              <NavItem to="/" end icon={<IconLayoutDashboard size={16} />} label="Sessions" />
              <NavItem to="/ide" icon={<IconTerminal2 size={16} />} label="IDE" />
              <NavItem to="/models" icon={<IconKey size={16} />} label="Models" />
              <NavItem to="/usage" icon={<IconChartBar size={16} />} label="Usage" />
            </Group>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <ThemeToggle />
            <UserMenu />
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Main id="main" tabIndex={-1} className={classes.main}>
        <Outlet />
        <IdeHost />
      </AppShell.Main>
    </AppShell>
    </ModalsProvider>
  );
}
