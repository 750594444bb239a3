import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { lineLog } from '../../app/cli/line-log.js';

const tick = () => new Promise((r) => setImmediate(r));
const fixed = () => new Date('2026-12-03T10:00:00.000Z');

describe('lineLog', () => {
  it('writes the lines of one turn of the event loop in one write, in order, timestamped', async () => {
    const writes: string[] = [];
    const log = lineLog((t) => writes.push(t), fixed);
    log('created sandbox a');
    log('created sandbox b');
    expect(writes).toEqual([]);
    await tick();
    expect(writes).toEqual(['2026-12-03T10:00:00.000Z created sandbox a\n2026-12-03T10:00:00.000Z created sandbox b\n']);
    log('deleted sandbox a');
    await tick();
    expect(writes).toHaveLength(2);
    expect(writes[1]).toBe('2026-12-03T10:00:00.000Z deleted sandbox a\n');
  });

  it('flush writes what is pending at once, and nothing twice', async () => {
    const writes: string[] = [];
    const log = lineLog((t) => writes.push(t), fixed);
    log('one');
    log.flush();
    expect(writes).toEqual(['2026-12-03T10:00:00.000Z one\n']);
    await tick();
    log.flush();
    expect(writes).toHaveLength(1);
  });
});

describe('stderrLog', () => {
  it('writes what is pending when the process exits at once after logging', () => {
    // A child that logs and exits in the same turn: without the exit flush the line is lost.
    const script = "import { stderrLog } from './app/cli/line-log.ts'; const log = stderrLog(); log('last words'); process.exit(3);";
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z last words\n$/);
  });
});
