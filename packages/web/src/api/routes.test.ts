import { API_PREFIX, endpoints, routeTable } from '@coditect/contract';
import { expect, it } from 'vitest';
import { routes } from './routes';

it('matches the contract endpoint table', () => {
  expect(routes).toEqual(routeTable(endpoints, API_PREFIX));
});
