// The bounded labels of /metrics (app/server/metrics.ts): operations from the matched route,
// outcomes from the status; anything else is not counted.
import { expect, it } from 'vitest';
import { operationOf, outcomeOf } from '../../app/server/metrics.js';

it('names operations by the matched route and outcomes by status class', () => {
  expect(operationOf('POST', '/api/sandboxes')).toBe('create');
  expect(operationOf('GET', '/api/sandboxes')).toBe('list');
  expect(operationOf('GET', '/api/sandboxes/:sandbox_id')).toBe('get');
  expect(operationOf('DELETE', '/api/sandboxes/:sandbox_id')).toBe('delete');
  expect(operationOf('GET', '/health')).toBeUndefined();
  expect(operationOf('GET', undefined)).toBeUndefined(); // no route matched (a 404)
  expect([200, 404, 422, 502, 503].map(outcomeOf)).toEqual(['ok', 'client_error', 'client_error', 'server_error', 'unavailable']);
});
