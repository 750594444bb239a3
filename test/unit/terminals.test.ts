import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TerminalEvent } from '../../app/desk/contract.js';
import { DeskTerminals, MAX_OPEN_TERMINALS, type ShellIo, type StartShell } from '../../app/desk/terminals.js';

/** A shell stand-in: echoes what is typed, upper-cased, and ends on "exit". The cluster side is tested in test/integration/terminal.test.ts. */
function echoShell(): { start: StartShell; sizes: { cols: number; rows: number }[]; shells: ShellIo[] } {
  const sizes: { cols: number; rows: number }[] = [];
  const shells: ShellIo[] = [];
  const start: StartShell = async (_id, size, io) => {
    sizes.push(size);
    shells.push(io);
    io.output.write('$ ');
    io.input.on('data', (d: Buffer) => {
      const text = d.toString();
      if (text === 'exit\r') io.onEnd('the shell exited');
      else io.output.write(text.toUpperCase());
    });
    return { resize: (cols, rows) => sizes.push({ cols, rows }), close: () => io.onEnd('closed') };
  };
  return { start, sizes, shells };
}

function collect(t: DeskTerminals, id: string) {
  const events: TerminalEvent[] = [];
  const abort = new AbortController();
  const done = t.attach(id, (e) => events.push(e), abort.signal);
  return { events, stop: () => abort.abort(), done };
}

const settle = () => new Promise((r) => setTimeout(r, 20));
const textOf = (events: TerminalEvent[]) => events.map((e) => ('data' in e ? e.data : `<${e.type}>`)).join('');

describe('DeskTerminals', () => {
  it('a late attach gets the screen so far, then live output, each once', async () => {
    const shell = echoShell();
    const t = new DeskTerminals(shell.start, undefined);
    const view = await t.open('sb-1', 80, 24);
    expect(view).toMatchObject({ sandboxId: 'sb-1', title: 'Terminal 1', state: 'open', cols: 80, rows: 24 });
    t.input(view.id, 'hello');
    await settle();
    const a = collect(t, view.id);
    t.input(view.id, ' world'); // typed while the screen is being serialised
    await settle();
    expect(a.events[0]).toMatchObject({ type: 'screen' });
    expect((a.events[0] as { data: string }).data).toContain('$ HELLO');
    expect((a.events[0] as { data: string }).data).not.toContain('WORLD');
    expect(textOf(a.events.slice(1))).toBe(' WORLD');
    a.stop();
    await a.done;
  });

  it('several terminals at once, numbered per sandbox; each keeps its own screen', async () => {
    const shell = echoShell();
    const t = new DeskTerminals(shell.start, undefined);
    const one = await t.open('sb-1', 80, 24);
    const two = await t.open('sb-1', 100, 30);
    const other = await t.open('sb-2', 80, 24);
    expect([one.title, two.title, other.title]).toEqual(['Terminal 1', 'Terminal 2', 'Terminal 1']);
    t.input(one.id, 'one');
    t.input(two.id, 'two');
    await settle();
    const a = collect(t, two.id);
    await settle();
    expect((a.events[0] as { data: string }).data).toContain('TWO');
    expect((a.events[0] as { data: string }).data).not.toContain('ONE');
    a.stop();
    expect(t.list('sb-1').map((v) => v.id)).toEqual([one.id, two.id]);
    expect(shell.sizes.slice(0, 2)).toEqual([
      { cols: 80, rows: 24 },
      { cols: 100, rows: 30 },
    ]);
  });

  it('resize reaches the shell; an ended shell says so, refuses input and reconnects under its screen', async () => {
    const shell = echoShell();
    const t = new DeskTerminals(shell.start, undefined);
    const v = await t.open('sb-1', 80, 24);
    expect(t.resize(v.id, 120, 40)).toMatchObject({ cols: 120, rows: 40 });
    expect(shell.sizes.at(-1)).toEqual({ cols: 120, rows: 40 });
    const a = collect(t, v.id);
    t.input(v.id, 'before');
    t.input(v.id, 'exit\r');
    await settle();
    expect(a.events.at(-1)).toEqual({ type: 'ended', reason: 'the shell exited' });
    expect(t.list('sb-1')[0]).toMatchObject({ state: 'ended', endedReason: 'the shell exited' });
    expect(() => t.input(v.id, 'x')).toThrow(/has ended: reconnect it first/);
    await t.reconnect(v.id);
    t.input(v.id, 'after');
    await settle();
    const b = collect(t, v.id);
    await settle();
    const screen = (b.events[0] as { data: string }).data;
    expect(screen.indexOf('BEFORE')).toBeGreaterThan(-1);
    expect(screen.indexOf('AFTER')).toBeGreaterThan(screen.indexOf('BEFORE'));
    expect(screen).toContain('[new shell,');
    a.stop();
    b.stop();
  });

  it('screens survive a restart of the app: saved on quit, shown as ended terminals', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spd-screens-'));
    const first = new DeskTerminals(echoShell().start, dir);
    const v = await first.open('sb-1', 80, 24);
    first.input(v.id, 'remember me');
    await settle();
    await first.closeAll();
    expect(readdirSync(dir)).toEqual([`${v.id}.json`]);
    const second = new DeskTerminals(echoShell().start, dir);
    expect(second.list('sb-1')).toEqual([expect.objectContaining({ id: v.id, state: 'ended', endedReason: 'the app was closed' })]);
    const a = collect(second, v.id);
    await settle();
    expect((a.events[0] as { data: string }).data).toContain('REMEMBER ME');
    expect(a.events[1]).toEqual({ type: 'ended', reason: 'the app was closed' });
    a.stop();
    // The next one opened for that sandbox is numbered after it; closing forgets the screen.
    expect((await second.open('sb-1', 80, 24)).title).toBe('Terminal 2');
    second.close(v.id);
    expect(readdirSync(dir)).not.toContain(`${v.id}.json`);
  });

  it('closing a terminal ends the streams attached to it, saying so', async () => {
    const t = new DeskTerminals(echoShell().start, undefined);
    const v = await t.open('sb-1', 80, 24);
    const a = collect(t, v.id);
    await settle();
    t.close(v.id);
    await a.done; // resolved without an abort
    expect(a.events.at(-1)).toEqual({ type: 'ended', reason: 'Terminal 1 was closed' });
  });

  it('a use that cannot be recorded does not fail the keystrokes', async () => {
    const shell = echoShell();
    const t = new DeskTerminals(shell.start, undefined, () => {
      throw new Error('no cluster in use');
    });
    const v = await t.open('sb-1', 80, 24);
    expect(() => t.input(v.id, 'x')).not.toThrow();
  });

  it('unknown ids and too many terminals are refused with what to do', async () => {
    const t = new DeskTerminals(echoShell().start, undefined);
    expect(() => t.input('00000000-0000-4000-8000-000000000000', 'x')).toThrow(/no terminal .* it was closed \(open a new one\)/);
    for (let i = 0; i < MAX_OPEN_TERMINALS; i++) await t.open('sb', 80, 24);
    await expect(t.open('sb', 80, 24)).rejects.toMatchObject({ category: 'conflict', message: expect.stringMatching(/close one first/) });
  });

  it('a shell that cannot start leaves no terminal behind', async () => {
    const t = new DeskTerminals(async () => {
      throw new Error('container not running');
    }, undefined);
    await expect(t.open('sb', 80, 24)).rejects.toThrow('container not running');
    expect(t.list('sb')).toEqual([]);
  });
});
