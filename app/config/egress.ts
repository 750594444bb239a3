// SANDBOX_EGRESS and SANDBOX_EGRESS_ALLOW (issue #14 item 3; open by default, as upstream):
// open | isolated (DNS only) | allowlist (DNS and the listed networks). Parsed here with the
// other variables; app/sandbox/egress.ts turns the setting into the NetworkPolicy.
import { isIP } from 'node:net';

export type EgressMode = 'open' | 'isolated' | 'allowlist';

export interface EgressRule {
  /** An IPv4 or IPv6 network in CIDR form. */
  cidr: string;
  /** TCP ports; empty: every port. */
  ports: number[];
}

export interface EgressSettings {
  mode: EgressMode;
  allow: EgressRule[];
}

/** "10.0.0.0/8", "203.0.113.7/32:443", "2001:db8::/32:80;443" → a rule, or what is wrong. */
export function parseEgressRule(text: string): EgressRule | { problem: string } {
  const slash = text.indexOf('/');
  if (slash < 0) return { problem: `${JSON.stringify(text)} has no prefix length: write a CIDR such as 203.0.113.7/32` };
  const address = text.slice(0, slash);
  const rest = text.slice(slash + 1);
  const colon = rest.indexOf(':');
  const prefix = colon < 0 ? rest : rest.slice(0, colon);
  const family = isIP(address);
  if (family === 0) return { problem: `${JSON.stringify(address)} is not an IP address` };
  const maxPrefix = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > maxPrefix)
    return { problem: `${JSON.stringify(text)}: the prefix length must be 0 to ${maxPrefix}` };
  const ports: number[] = [];
  if (colon >= 0) {
    for (const p of rest.slice(colon + 1).split(';')) {
      if (!/^\d{1,5}$/.test(p) || Number(p) < 1 || Number(p) > 65535)
        return { problem: `${JSON.stringify(text)}: ${JSON.stringify(p)} is not a port (1 to 65535)` };
      ports.push(Number(p));
    }
  }
  return { cidr: `${address}/${Number(prefix)}`, ports };
}

/** SANDBOX_EGRESS and SANDBOX_EGRESS_ALLOW → the settings, or problems naming the variable. */
export function parseEgress(
  mode: string | undefined,
  allow: string | undefined,
): { settings: EgressSettings; problems: { variable: string; message: string }[] } {
  const problems: { variable: string; message: string }[] = [];
  const m = (mode ?? 'open').toLowerCase();
  const known = m === 'open' || m === 'isolated' || m === 'allowlist';
  if (!known)
    problems.push({
      variable: 'SANDBOX_EGRESS',
      message: `SANDBOX_EGRESS=${JSON.stringify(mode)} is not valid: expected open, isolated (DNS only) or allowlist (with SANDBOX_EGRESS_ALLOW)`,
    });
  const rules: EgressRule[] = [];
  for (const entry of (allow ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const r = parseEgressRule(entry);
    if ('problem' in r) problems.push({ variable: 'SANDBOX_EGRESS_ALLOW', message: `SANDBOX_EGRESS_ALLOW: ${r.problem}` });
    else rules.push(r);
  }
  if (m === 'allowlist' && !allow?.trim())
    problems.push({
      variable: 'SANDBOX_EGRESS_ALLOW',
      message:
        'SANDBOX_EGRESS=allowlist needs SANDBOX_EGRESS_ALLOW: comma-separated CIDRs with optional ports, e.g. 10.0.0.0/8,203.0.113.7/32:443',
    });
  if (m !== 'allowlist' && allow?.trim())
    problems.push({
      variable: 'SANDBOX_EGRESS_ALLOW',
      message: `SANDBOX_EGRESS_ALLOW is set but SANDBOX_EGRESS is ${m}: the list only applies to allowlist`,
    });
  return { settings: { mode: known ? (m as EgressMode) : 'open', allow: rules }, problems };
}

/** "10.0.0.0/8, 203.0.113.7/32 (443)" */
export function describeRules(rules: EgressRule[]): string {
  return rules.map((r) => (r.ports.length ? `${r.cidr} (${r.ports.join(', ')})` : r.cidr)).join(', ');
}

/** For Settings and the sandbox page: the setting in a sentence. */
export function describeEgress(settings: EgressSettings): string {
  if (settings.mode === 'open') return 'open: sandboxes may connect anywhere (no NetworkPolicy)';
  if (settings.mode === 'isolated') return 'isolated: DNS only';
  return `allowlist: DNS and ${describeRules(settings.allow)}`;
}
