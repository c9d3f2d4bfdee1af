/** @vitest-environment happy-dom */
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useAuth } from '../auth/auth-store';
import { answer, renderPage } from '../test-utils';
import { LoginPage } from './login-page';
import { RegisterPage } from './register-page';

const fetchMock = vi.fn<typeof fetch>();
beforeEach(() => {
  fetchMock.mockReset();
  vi.stubGlobal('fetch', fetchMock);
  useAuth.setState({ status: 'signed-out', user: null, endedReason: null });
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const sentBody = (call = 0) => JSON.parse(String(fetchMock.mock.calls[call]?.[1]?.body)) as Record<string, unknown>;
const fill = (label: RegExp | string, value: string) => fireEvent.change(screen.getByLabelText(label), { target: { value } });

describe('LoginPage', () => {
  it('checks the form with the contract rules before calling the server', async () => {
    renderPage(<LoginPage />, { path: '/login' });
    fill(/^Email/, 'not-an-email');
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText('Enter a valid email address')).toBeTruthy();
    expect(screen.getByText('Required')).toBeTruthy();
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('says clearly when the credentials are wrong', async () => {
    fetchMock.mockResolvedValueOnce(answer(401, { error: { code: 'invalid_credentials', message: 'Email or password is incorrect', requestId: 'r' } }));
    renderPage(<LoginPage />, { path: '/login' });
    fill(/^Email/, ' Ada@Example.com ');
    fill(/^Password/, 'whatever');
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByTestId('login-error')).textContent).toContain('That email and password do not match');
    expect(sentBody()).toEqual({ email: 'Ada@Example.com', password: 'whatever' });
    expect(new Headers(fetchMock.mock.calls[0]?.[1]?.headers).get('x-coditect-refresh-transport')).toBe('cookie');
    expect(useAuth.getState().status).toBe('signed-out');
  });

  it('on 429 shows the wait from Retry-After and disables the button while it counts down', async () => {
    fetchMock.mockResolvedValueOnce(answer(429, { error: { code: 'rate_limited', message: 'Too many', requestId: 'r' } }, { 'retry-after': '37' }));
    renderPage(<LoginPage />, { path: '/login' });
    fill(/^Email/, 'ada@example.com');
    fill(/^Password/, 'whatever');
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    const error = await screen.findByTestId('login-error');
    expect(error.textContent).toMatch(/Try again in (37|36) seconds/);
    const button = screen.getByRole('button', { name: /Try again in \d+s/ });
    expect(button.hasAttribute('disabled')).toBe(true);
  });

  it('signs in and keeps the access token only in memory', async () => {
    const user = { id: 'u1', firstName: 'Ada', lastName: 'L', email: 'ada@example.com' };
    fetchMock.mockResolvedValueOnce(answer(200, { accessToken: 'at-1', expiresIn: 900, tokenType: 'Bearer', user }));
    renderPage(<LoginPage />, { path: '/login' });
    fill(/^Email/, 'ada@example.com');
    fill(/^Password/, 'right one');
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(useAuth.getState().status).toBe('signed-in'));
    expect(useAuth.getState().user?.firstName).toBe('Ada');
    expect(JSON.stringify({ ...localStorage })).not.toContain('at-1');
    expect(JSON.stringify({ ...sessionStorage })).not.toContain('at-1');
  });
});

describe('RegisterPage', () => {
  it('shows server answers on their fields (email taken, validation details)', async () => {
    fetchMock
      .mockResolvedValueOnce(answer(409, { error: { code: 'email_taken', message: 'taken', requestId: 'r' } }))
      .mockResolvedValueOnce(answer(400, { error: { code: 'validation_failed', message: 'Invalid request body', requestId: 'r',
        details: [{ path: 'lastName', message: 'Server says no', code: 'custom' }] } }));
    renderPage(<RegisterPage />, { path: '/register' });
    fill(/^First name/, 'Ada');
    fill(/^Last name/, 'Lovelace');
    fill(/^Work email/, 'ada@example.com');
    fill(/^Password/, 'correct horse battery');
    fireEvent.click(screen.getByRole('button', { name: 'Create account' }));
    expect(await screen.findByText(/An account with this email already exists/)).toBeTruthy();
    // Optional fields left empty are not sent; the email is normalised by the contract rule.
    expect(sentBody()).toEqual({ firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com', password: 'correct horse battery' });

    fireEvent.click(screen.getByRole('button', { name: 'Create account' }));
    expect(await screen.findByText('Server says no')).toBeTruthy();
    expect(screen.getByLabelText(/^Last name/).getAttribute('aria-invalid')).toBe('true');
  });

  it('refuses a common password on the client with the API\'s estimator, asking only name, email, password', async () => {
    renderPage(<RegisterPage />, { path: '/register' });
    expect(screen.queryByLabelText(/^Phone/)).toBeNull();
    expect(screen.queryByLabelText(/^Company/)).toBeNull();
    fill(/^First name/, 'Ada');
    fill(/^Last name/, 'Lovelace');
    fill(/^Work email/, 'ada@example.com');
    fill(/^Password/, 'password123');
    fireEvent.click(screen.getByRole('button', { name: 'Create account' }));
    // The field error (Mantine marks a PasswordInput with data-invalid) and the meter say the same.
    await waitFor(() => expect(screen.getByLabelText(/^Password/).getAttribute('data-invalid')).toBe('true'), { timeout: 15_000 });
    expect(screen.getAllByText(/^Too easy to guess: it is a commonly used password/)).toHaveLength(2);
    expect(fetchMock).not.toHaveBeenCalled();
  });
});
