// What the app hands to the operating system to open (shell.openExternal): each caller through
// its own allow-list. The decisions are pure; the opener is run with Electron's `shell` faked
// (Electron cannot run under Node), recording what would have reached the OS.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ExternalLinkRefusedError,
  briefingLinkPolicy,
  externalLinkDecision,
  signInLinkPolicy,
} from '../../../src/main/windows/external-links.js';
import { externalOpenerFor } from '../../../src/main/windows/external-open.electron.js';
import { memoryLogger } from './fixtures.js';

const opened = vi.hoisted(() => [] as string[]);
vi.mock('electron', () => ({
  shell: {
    openExternal: (url: string) => {
      opened.push(url);
      return Promise.resolve();
    },
  },
}));

beforeEach(() => {
  opened.length = 0;
});

const AUTHORITY = 'https://login.example.gov:8443/tenant-1/';
const signIn = signInLinkPolicy(AUTHORITY);

describe('the sign-in page’s allow-list', () => {
  it('lets through the configured authority’s own https pages', () => {
    expect(
      externalLinkDecision('https://login.example.gov:8443/tenant-1/authorize?state=s', signIn),
    ).toEqual({
      allowed: true,
      url: 'https://login.example.gov:8443/tenant-1/authorize?state=s',
    });
    // Host names are case-insensitive; what the OS gets is the parsed, normalised form.
    expect(externalLinkDecision('https://LOGIN.example.gov:8443/x', signIn)).toEqual({
      allowed: true,
      url: 'https://login.example.gov:8443/x',
    });
  });

  it.each([
    ['another host', 'https://login.evil.test:8443/authorize', 'host'],
    ['the same host on another port', 'https://login.example.gov/authorize', 'host'],
    ['a look-alike subdomain', 'https://login.example.gov.evil.test:8443/', 'host'],
    [
      'credentials dressing up another host',
      'https://login.example.gov:8443@evil.test/',
      'credentials',
    ],
    ['credentials on the right host', 'https://user:pw@login.example.gov:8443/', 'credentials'],
    ['plain http', 'http://login.example.gov:8443/authorize', 'scheme'],
    ['a file', 'file:///etc/passwd', 'scheme'],
    ['a custom scheme handler', 'ms-msdt:/id PCWDiagnostic', 'scheme'],
    ['javascript', 'javascript:alert(1)', 'scheme'],
    ['not a URL', 'login.example.gov', 'not a URL'],
  ])('refuses %s', (_what, url, reason) => {
    expect(externalLinkDecision(url, signIn)).toEqual({ allowed: false, reason });
  });

  it('follows the authority the device is configured with, port included', () => {
    const dev = signInLinkPolicy('https://127.0.0.1:5443/');
    expect(externalLinkDecision('https://127.0.0.1:5443/auth?x=1', dev).allowed).toBe(true);
    expect(externalLinkDecision('https://127.0.0.1:5444/auth', dev).allowed).toBe(false);
    expect(externalLinkDecision('https://login.example.gov:8443/', dev).allowed).toBe(false);
  });
});

describe('the briefing links’ allow-list', () => {
  const links = briefingLinkPolicy([
    'https://intranet.example.gov.au/policies/',
    'https://Docs.example.gov.au:8443/',
  ]);

  it('is https to the hosts of the organisation’s allowed link targets, ports included', () => {
    expect(links).toEqual({
      purpose: 'briefing link',
      schemes: ['https:'],
      hosts: ['intranet.example.gov.au', 'docs.example.gov.au:8443'],
    });
    expect(externalLinkDecision('https://intranet.example.gov.au/policies/travel', links)).toEqual({
      allowed: true,
      url: 'https://intranet.example.gov.au/policies/travel',
    });
    expect(externalLinkDecision('https://docs.example.gov.au:8443/a', links).allowed).toBe(true);
  });

  it.each([
    ['another host', 'https://evil.example.com/', 'host'],
    ['an allowed host on another port', 'https://docs.example.gov.au/a', 'host'],
    ['a look-alike subdomain', 'https://intranet.example.gov.au.evil.test/', 'host'],
    ['plain http to an allowed host', 'http://intranet.example.gov.au/policies/x', 'scheme'],
    ['credentials', 'https://u:p@intranet.example.gov.au/policies/x', 'credentials'],
    ['the sign-in provider', 'https://login.example.gov:8443/tenant-1/', 'host'],
  ])('refuses %s', (_what, url, reason) => {
    expect(externalLinkDecision(url, links)).toEqual({ allowed: false, reason });
  });

  it('allows no host when the organisation allows no link, and takes no http or broken target', () => {
    expect(briefingLinkPolicy([]).hosts).toEqual([]);
    expect(
      externalLinkDecision('https://intranet.example.gov.au/', briefingLinkPolicy([])),
    ).toEqual({ allowed: false, reason: 'host' });
    expect(briefingLinkPolicy(['http://intranet.example.gov.au/', 'not a url']).hosts).toEqual([]);
  });
});

describe('opening an address with the operating system', () => {
  it('hands an allowed address to shell.openExternal', async () => {
    const { logger } = memoryLogger();
    await externalOpenerFor(signIn, logger)('https://login.example.gov:8443/tenant-1/authorize');
    expect(opened).toEqual(['https://login.example.gov:8443/tenant-1/authorize']);
  });

  it('refuses anything else with a typed error, logs why without the address, and opens nothing', async () => {
    const { logger, records } = memoryLogger();
    const open = externalOpenerFor(signIn, logger);
    await expect(open('https://evil.test/authorize?code_challenge=c')).rejects.toBeInstanceOf(
      ExternalLinkRefusedError,
    );
    expect(opened).toEqual([]);
    expect(records).toMatchObject([
      {
        level: 'warn',
        message: 'refused to open an address outside its allow-list',
        fields: { purpose: 'sign-in', reason: 'host' },
      },
    ]);
    expect(JSON.stringify(records)).not.toContain('evil.test');
  });
});
