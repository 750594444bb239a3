// SANDBOX_EGRESS / SANDBOX_EGRESS_ALLOW (app/config/egress.ts) and the NetworkPolicy made of
// them (app/sandbox/egress.ts).
import { describe, expect, it } from 'vitest';
import { describeEgress, parseEgress, parseEgressRule } from '../../app/config/egress.js';
import { EGRESS_POLICY_NAME, egressPolicy } from '../../app/sandbox/egress.js';

const pods = { app: 'deer-flow-sandbox' };

describe('parseEgressRule', () => {
  it('reads IPv4 and IPv6 networks with optional TCP ports', () => {
    expect(parseEgressRule('10.0.0.0/8')).toEqual({ cidr: '10.0.0.0/8', ports: [] });
    expect(parseEgressRule('203.0.113.7/32:443')).toEqual({ cidr: '203.0.113.7/32', ports: [443] });
    expect(parseEgressRule('2001:db8::/32:80;443')).toEqual({ cidr: '2001:db8::/32', ports: [80, 443] });
    expect(parseEgressRule('10.0.0.0/08')).toEqual({ cidr: '10.0.0.0/8', ports: [] });
  });

  it.each([
    ['10.0.0.1', /no prefix length/],
    ['example.com/32', /is not an IP address/],
    ['10.0.0.0/33', /prefix length must be 0 to 32/],
    ['2001:db8::/129', /0 to 128/],
    ['10.0.0.0/8:0', /"0" is not a port/],
    ['10.0.0.0/8:443;x', /"x" is not a port/],
  ])('%j is refused, saying why', (text, why) => {
    const r = parseEgressRule(text);
    expect('problem' in r && r.problem).toMatch(why);
  });
});

describe('parseEgress', () => {
  it('is open by default, as upstream', () => {
    expect(parseEgress(undefined, undefined)).toEqual({ settings: { mode: 'open', allow: [] }, problems: [] });
  });

  it('names the variable of every problem', () => {
    expect(parseEgress('closed', undefined).problems.map((p) => p.variable)).toEqual(['SANDBOX_EGRESS']);
    expect(parseEgress('allowlist', undefined).problems[0]?.message).toMatch(/needs SANDBOX_EGRESS_ALLOW/);
    expect(parseEgress('isolated', '10.0.0.0/8').problems[0]?.message).toMatch(/only applies to allowlist/);
    expect(parseEgress('allowlist', '10.0.0.0/8,nope').problems).toEqual([
      {
        variable: 'SANDBOX_EGRESS_ALLOW',
        message: 'SANDBOX_EGRESS_ALLOW: "nope" has no prefix length: write a CIDR such as 203.0.113.7/32',
      },
    ]);
  });

  it('reads an allowlist (case of the mode ignored, spaces around entries too)', () => {
    expect(parseEgress('AllowList', ' 10.0.0.0/8 , 203.0.113.7/32:443 ').settings).toEqual({
      mode: 'allowlist',
      allow: [
        { cidr: '10.0.0.0/8', ports: [] },
        { cidr: '203.0.113.7/32', ports: [443] },
      ],
    });
  });
});

describe('egressPolicy', () => {
  it('open: no policy at all', () => {
    expect(egressPolicy('ns', { mode: 'open', allow: [] }, pods)).toBeUndefined();
  });

  it('isolated: the sandbox Pods may reach DNS only', () => {
    const p = egressPolicy('ns', { mode: 'isolated', allow: [] }, pods);
    expect(p?.metadata).toMatchObject({
      name: EGRESS_POLICY_NAME,
      namespace: 'ns',
      labels: { 'app.kubernetes.io/managed-by': 'sandbox-provisioner' },
    });
    expect(p?.spec).toEqual({
      podSelector: { matchLabels: pods },
      policyTypes: ['Egress'],
      egress: [
        {
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
      ],
    });
  });

  it('allowlist: DNS and each listed network, on its ports or all', () => {
    const settings = parseEgress('allowlist', '10.0.0.0/8,203.0.113.7/32:443;8443').settings;
    expect(egressPolicy('ns', settings, pods)?.spec?.egress?.slice(1)).toEqual([
      { to: [{ ipBlock: { cidr: '10.0.0.0/8' } }] },
      {
        to: [{ ipBlock: { cidr: '203.0.113.7/32' } }],
        ports: [
          { protocol: 'TCP', port: 443 },
          { protocol: 'TCP', port: 8443 },
        ],
      },
    ]);
    expect(describeEgress(settings)).toBe('allowlist: DNS and 10.0.0.0/8, 203.0.113.7/32 (443, 8443)');
  });
});
