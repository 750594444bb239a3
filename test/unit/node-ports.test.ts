import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../app/config/config.js';
import { parseNodePortRange } from '../../app/config/node-port-range.js';
import { nodePortsOf, pickNodePort } from '../../app/sandbox/node-ports.js';
import { buildService } from '../../app/sandbox/specs.js';

describe('SANDBOX_NODE_PORT_RANGE', () => {
  it('parses a range and says what is wrong with a bad one', () => {
    expect(parseNodePortRange('30000-30049')).toEqual({ from: 30000, to: 30049 });
    expect(parseNodePortRange(' 30100 - 30100 ')).toEqual({ from: 30100, to: 30100 });
    expect(parseNodePortRange('30100')).toMatch(/like 30100-30149/);
    expect(parseNodePortRange('30200-30100')).toMatch(/must not be above/);
    expect(parseNodePortRange('8000-8100')).toMatch(/within 30000-32767/);
  });

  it('is read by the configuration, and refused with ClusterIP', () => {
    expect(loadConfig({ SANDBOX_NODE_PORT_RANGE: '30000-30009' }).nodePortRange).toEqual({ from: 30000, to: 30009 });
    expect(loadConfig({}).nodePortRange).toBeUndefined();
    expect(() => loadConfig({ SANDBOX_NODE_PORT_RANGE: 'abc' })).toThrow(/SANDBOX_NODE_PORT_RANGE="abc" is not valid/);
    try {
      loadConfig({ SANDBOX_NODE_PORT_RANGE: '30000-30009', SANDBOX_SERVICE_TYPE: 'ClusterIP' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).problems).toEqual([expect.stringContaining('only applies to NodePort')]);
    }
  });
});

describe('pickNodePort', () => {
  const range = { from: 30000, to: 30003 };
  it('takes the lowest free port, wraps from a start, and says when the range is full', () => {
    expect(pickNodePort(range, new Set())).toBe(30000);
    expect(pickNodePort(range, new Set([30000, 30001]))).toBe(30002);
    expect(pickNodePort(range, new Set([30003]), 30003)).toBe(30000);
    expect(pickNodePort(range, new Set([30000, 30001, 30002, 30003]))).toBeUndefined();
  });

  it('reads the ports Services hold, and asks for a fixed one only on NodePort Services', () => {
    const config = loadConfig({});
    const svc = buildService(config, 'abc', 30001);
    expect(svc.spec?.ports?.[0]?.nodePort).toBe(30001);
    expect(nodePortsOf([svc, buildService(config, 'def')])).toEqual(new Set([30001]));
    expect(buildService(loadConfig({ SANDBOX_SERVICE_TYPE: 'ClusterIP' }), 'abc', 30001).spec?.ports?.[0]?.nodePort).toBeUndefined();
  });
});
