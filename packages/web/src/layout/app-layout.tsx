import { ActionIcon, AppShell, Avatar, Box, Burger, Group, Menu, Text, Tooltip, UnstyledButton, useComputedColorScheme, useMantineColorScheme } from '@mantine/core';
import { ModalsProvider } from '@mantine/modals';
import { IconChartBar, IconChevronDown, IconKey, IconLayoutDashboard, IconLogout, IconMoon, IconSettings, IconSun, IconTerminal2, IconUser } from '@tabler/icons-react';
import { useState } from 'react';
import { NavLink as RouterNavLink, Outlet, useMatch, useNavigate } from 'react-router';
import { useAuth } from '../auth/auth-store';
import { Logo } from '../components/logo';
import { notify } from '../components/notify';
import { IdeHost } from '../ide/ide-host';
import { AppBarSlotContext } from './app-bar-slot';
import classes from './app-layout.module.css';

/** The app bar's height: on the IDE page it is the only row above the IDE. */
export const APP_BAR_HEIGHT = 48;

interface NavEntry {
  to: string;
  label: string;
  icon: typeof IconKey;
  /** Active only on this exact path (the dashboard is `/`). */
  end?: boolean;
}

const NAV: NavEntry[] = [
  { to: '/', label: 'Sessions', icon: IconLayoutDashboard, end: true },
  { to: '/ide', label: 'IDE', icon: IconTerminal2 },
  { to: '/models', label: 'Models', icon: IconKey },
  { to: '/usage', label: 'Usage', icon: IconChartBar },
];

function NavItem({ to, icon: Icon, label, end, compact }: NavEntry & { compact: boolean }) {
  const link = (
    <RouterNavLink
      to={to}
      end={end}
      aria-label={compact ? label : undefined}
      data-compact={compact || undefined}
      className={({ isActive }) => `${classes.navLink} ${isActive ? classes.navLinkActive : ''}`}
    >
      <Icon size={16} aria-hidden />
      {!compact && <span>{label}</span>}
    </RouterNavLink>
  );
  // A wrapper takes the tooltip: Tooltip would merge its class into the link's and drop NavLink's className function.
  return compact ? <Tooltip label={label} events={{ hover: true, focus: true, touch: false }}><span className={classes.navTip}>{link}</span></Tooltip> : link;
}

/** Below the `sm` breakpoint the navigation folds into a menu behind a burger button. */
function NavMenu() {
  const [opened, setOpened] = useState(false);
  const navigate = useNavigate();
  return (
    <Menu opened={opened} onChange={setOpened} position="bottom-start" width={220} shadow="md" withinPortal>
      <Menu.Target>
        <Burger opened={opened} size="sm" hiddenFrom="sm" aria-label={opened ? 'Close navigation' : 'Open navigation'} />
      </Menu.Target>
      <Menu.Dropdown aria-label="Main">
        {NAV.map(({ to, label, icon: Icon }) => (
          <Menu.Item key={to} leftSection={<Icon size={16} aria-hidden />} onClick={() => navigate(to)}>{label}</Menu.Item>
        ))}
      </Menu.Dropdown>
    </Menu>
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

function UserMenu({ compact }: { compact: boolean }) {
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
            {!compact && (
              <Box visibleFrom="md" miw={0}>
                <Text size="sm" fw={600} lh={1.2} truncate maw={180} data-testid="header-user-name">{fullName}</Text>
              </Box>
            )}
            <IconChevronDown size={14} aria-hidden />
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

/**
 * The signed-in frame: one app bar (product, navigation, a slot for the page's
 * own controls, theme, account). On the IDE page the navigation shrinks to
 * icons and the slot holds the session tabs, so the bar is the only row above
 * the IDE.
 */
export function AppLayout() {
  const onIde = useMatch('/ide/:sessionId?') !== null;
  const [slot, setSlot] = useState<HTMLDivElement | null>(null);
  return (
    // Confirm dialogs are only used on signed-in pages; keeping the provider here keeps them out of the login bundle.
    <ModalsProvider>
    <AppBarSlotContext.Provider value={slot}>
    <AppShell header={{ height: APP_BAR_HEIGHT }} padding={0}>
      <a href="#main" className={classes.skipLink}>Skip to content</a>
      <AppShell.Header className={classes.header}>
        <Group h="100%" px="sm" gap="sm" wrap="nowrap" className={classes.bar}>
          <NavMenu />
          <RouterNavLink to="/" aria-label="Coditect home" className={classes.brandLink} data-compact={onIde || undefined}>
            <Logo />
          </RouterNavLink>
          <Group gap={2} component="nav" aria-label="Main" wrap="nowrap" visibleFrom="sm" className={classes.nav}>
            {NAV.map((item) => <NavItem key={item.to} {...item} compact={onIde} />)}
          </Group>
          <div ref={setSlot} className={classes.slot} data-testid="app-bar-slot" />
          <Group gap="xs" wrap="nowrap" className={classes.end}>
            <ThemeToggle />
            <UserMenu compact={onIde} />
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Main id="main" tabIndex={-1} className={classes.main}>
        <Outlet />
        <IdeHost />
      </AppShell.Main>
    </AppShell>
    </AppBarSlotContext.Provider>
    </ModalsProvider>
  );
}
