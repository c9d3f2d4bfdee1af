import { createBrowserRouter } from 'react-router';
import { PublicOnly, RequireAuth } from './auth/route-guards';
import { PageError, RouteError } from './components/route-error';

/** Pages load on demand, so the login page ships only what it needs. */
export const router = createBrowserRouter([
  {
    errorElement: <RouteError />,
    children: [
      {
        element: <PublicOnly />,
        children: [
          { path: '/login', lazy: () => import('./pages/login-page').then((m) => ({ Component: m.LoginPage })) },
          { path: '/register', lazy: () => import('./pages/register-page').then((m) => ({ Component: m.RegisterPage })) },
        ],
      },
      {
        element: <RequireAuth />,
        children: [
          {
            lazy: () => import('./layout/app-layout').then((m) => ({ Component: m.AppLayout })),
            // A page that fails to load or render shows its error inside the layout: navigation stays.
            children: [{ errorElement: <PageError />, children: [
              { index: true, lazy: () => import('./pages/dashboard-page').then((m) => ({ Component: m.DashboardPage })) },
              { path: '/ide/:sessionId?', lazy: () => import('./pages/ide-page').then((m) => ({ Component: m.IdeRoute })) },
              { path: '/profile', lazy: () => import('./pages/profile-page').then((m) => ({ Component: m.ProfilePage })) },
              { path: '/models', lazy: () => import('./pages/models-page').then((m) => ({ Component: m.ModelsPage })) },
              { path: '/compare', lazy: () => import('./pages/compare-page').then((m) => ({ Component: m.ComparePage })) },
              { path: '/usage', lazy: () => import('./pages/usage-page').then((m) => ({ Component: m.UsagePage })) },
              { path: '/settings', lazy: () => import('./pages/settings-page').then((m) => ({ Component: m.SettingsPage })) },
              { path: '*', lazy: () => import('./pages/not-found-page').then((m) => ({ Component: m.NotFoundPage })) },
            ] }],
          },
        ],
      },
    ],
  },
]);
