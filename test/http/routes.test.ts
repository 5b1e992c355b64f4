import { describe, expect, it } from 'vitest';
import { createRouter, type Route } from '../../functions/http/routes.ts';

const ROUTES: readonly Route<string>[] = [
  { path: '/v1/users/:userId/privacy', methods: { GET: 'read', PUT: 'change' } },
  { path: '/v1/users/:userId/erasures/:requestId', methods: { GET: 'status' } },
  { path: '/dashboard', methods: { GET: 'page' } },
];

describe('a route table', () => {
  const findRoute = createRouter(ROUTES);

  it('answers the action for the method, with the parameters %-decoded', () => {
    expect(findRoute('PUT', '/v1/users/shopper%3A1/privacy')).toMatchObject({
      ok: true,
      action: 'change',
      params: { userId: 'shopper:1' },
    });
    expect(findRoute('GET', '/v1/users/..%2Fx/erasures/r-1')).toMatchObject({
      ok: true,
      action: 'status',
      params: { userId: '../x', requestId: 'r-1' },
    });
    expect(findRoute('GET', '/dashboard')).toMatchObject({ ok: true, action: 'page', params: {} });
  });

  it('ignores a trailing slash', () => {
    expect(findRoute('GET', '/v1/users/u1/privacy//')).toMatchObject({ ok: true, action: 'read' });
  });

  it.each([
    ['/'],
    ['/v1/users/u1'],
    ['/v1/users//privacy'],
    ['/v1/users/u1/privacy/extra'],
    ['/v1/users/a/b/privacy'],
    ['/dashboard/charts'],
    // A malformed %-escape names no shopper.
    ['/v1/users/%E0%A4%A/privacy'],
  ])('answers 404 for %s, naming the path', (path) => {
    expect(findRoute('GET', path)).toEqual({ ok: false, reply: { status: 404, code: 'not_found', message: `no route ${path}` } });
  });

  it('answers 405 with the methods the route takes, in Allow and in the message', () => {
    expect(findRoute('DELETE', '/v1/users/u1/privacy')).toEqual({
      ok: false,
      reply: { status: 405, code: 'method_not_allowed', message: 'DELETE is not allowed; use GET, PUT', headers: { Allow: 'GET, PUT' } },
    });
  });

  it('names OPTIONS in Allow when the function answers preflights', () => {
    const withPreflight = createRouter(ROUTES, { preflight: true });
    expect(withPreflight('POST', '/v1/users/u1/privacy')).toMatchObject({
      ok: false,
      reply: { status: 405, message: 'POST is not allowed; use GET, PUT', headers: { Allow: 'GET, PUT, OPTIONS' } },
    });
  });

  it('takes any path for the pattern *', () => {
    const anyPath = createRouter([{ path: '*', methods: { POST: 'run' } }]);
    expect(anyPath('POST', '/')).toMatchObject({ ok: true, action: 'run' });
    expect(anyPath('POST', '/anything/at/all')).toMatchObject({ ok: true, action: 'run' });
    expect(anyPath('GET', '/')).toMatchObject({ ok: false, reply: { status: 405, headers: { Allow: 'POST' } } });
  });
});
