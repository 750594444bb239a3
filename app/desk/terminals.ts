// Terminals into sandboxes (issue #13 item 2). Each one is a shell in the sandbox container with
// a TTY (exec through the API server), kept here in the main process rather than in the page:
// closing the tab, or several tabs at once, never cuts the shell. Its screen is kept by a headless
// xterm.js, so whoever attaches first gets the screen as it is now (serialised, colours and
// cursor included) and then the live output; that screen is also saved to disk when the shell
// ends and now and then while it runs, so after a restart of the app the last screen is shown
// again and "Reconnect" opens a new shell under it.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import serializeAddon from '@xterm/addon-serialize';
import headless from '@xterm/headless';
import { AppError } from '../errors.js';
import type { TerminalEvent, TerminalView } from './contract.js';

const { Terminal } = headless;
const { SerializeAddon } = serializeAddon;

/** How much a terminal remembers above its screen (lines), here and in the page. */
export const TERMINAL_SCROLLBACK = 5000;
/** Open shells at most, over all sandboxes (each holds an exec stream on the API server). */
export const MAX_OPEN_TERMINALS = 16;
/** Saved screens kept on disk (the oldest go first). */
const MAX_SAVED_SCREENS = 50;
const SAVE_EVERY_MS = 5000;

/** A shell with a TTY in a sandbox: what the cluster side provides (app/kube/exec-tty.ts). */
export interface ShellIo {
  /** What the shell prints. */
  output: Writable;
  /** What is typed. */
  input: PassThrough;
  /** Called once when the shell ends, with why. */
  onEnd: (reason: string) => void;
}
export type StartShell = (sandboxId: string, size: { cols: number; rows: number }, io: ShellIo) => Promise<ShellHandle>;
export interface ShellHandle {
  resize: (cols: number, rows: number) => void;
  close: () => void;
}

/** An unknown or ended terminal (not-found), too many open terminals (conflict). */
export class TerminalError extends AppError {}

interface Session {
  view: TerminalView;
  term: InstanceType<typeof Terminal>;
  serializer: InstanceType<typeof SerializeAddon>;
  shell: ShellHandle | undefined;
  input: PassThrough | undefined;
  listeners: Set<(e: TerminalEvent) => void>;
  /** Ends each attached stream (the terminal was closed). */
  detachers: Set<() => void>;
  saveTimer: NodeJS.Timeout | undefined;
  /** It had a screen before this shell (saved by an earlier run, or reconnected): kept, ended, if the shell cannot start. */
  hadScreen: boolean;
}

export class DeskTerminals {
  private readonly sessions = new Map<string, Session>();
  private numbers = new Map<string, number>();

  constructor(
    private readonly startShell: StartShell,
    /** Where screens are saved (a folder beside the settings file); none: nothing is saved. */
    private readonly screensDir: string | undefined,
    /** Called on input: the terminal is a use of the sandbox (idle expiry). */
    private readonly onUse: (sandboxId: string) => void = () => {},
  ) {
    this.loadSaved();
  }

  list(sandboxId: string): TerminalView[] {
    return [...this.sessions.values()].filter((s) => s.view.sandboxId === sandboxId).map((s) => ({ ...s.view }));
  }

  async open(sandboxId: string, cols: number, rows: number): Promise<TerminalView> {
    const open = [...this.sessions.values()].filter((s) => s.view.state === 'open').length;
    if (open >= MAX_OPEN_TERMINALS)
      throw new TerminalError('conflict', `${open} terminals are open already (at most ${MAX_OPEN_TERMINALS}): close one first`);
    const n = (this.numbers.get(sandboxId) ?? 0) + 1;
    this.numbers.set(sandboxId, n);
    const view: TerminalView = {
      id: randomUUID(),
      sandboxId,
      title: `Terminal ${n}`,
      state: 'open',
      endedReason: undefined,
      openedAt: new Date().toISOString(),
      cols,
      rows,
    };
    const session = this.newSession(view, '');
    await this.connect(session);
    return { ...session.view };
  }

  /** A new shell in an ended terminal, under its last screen. */
  async reconnect(id: string): Promise<TerminalView> {
    const s = this.get(id);
    if (s.view.state === 'open') return { ...s.view };
    const mark = `\r\n\x1b[2m[new shell, ${new Date().toLocaleTimeString()}]\x1b[0m\r\n`;
    s.term.write(mark);
    this.broadcast(s, { type: 'output', data: mark });
    s.view = { ...s.view, state: 'open', endedReason: undefined };
    s.hadScreen = true;
    await this.connect(s);
    return { ...s.view };
  }

  /**
   * Streams a terminal: first its screen as it is now, then what the shell prints, until it ends
   * (`ended`) or `signal` aborts. Output printed while the screen is being serialised is neither
   * lost nor shown twice: it is held and sent right after the screen.
   */
  attach(id: string, onEvent: (e: TerminalEvent) => void, signal: AbortSignal): Promise<void> {
    const s = this.get(id);
    return new Promise<void>((resolve) => {
      const held: TerminalEvent[] = [];
      let live = false;
      const listener = (e: TerminalEvent) => {
        if (live) onEvent(e);
        else held.push(e);
      };
      s.listeners.add(listener);
      // Queued behind every chunk written so far: when it runs, the screen holds exactly them.
      s.term.write('', () => {
        onEvent({ type: 'screen', data: s.serializer.serialize({ scrollback: TERMINAL_SCROLLBACK }) });
        if (s.view.state === 'ended') onEvent({ type: 'ended', reason: s.view.endedReason ?? 'ended' });
        for (const e of held) onEvent(e);
        live = true;
      });
      const detach = () => {
        s.listeners.delete(listener);
        s.detachers.delete(detach);
        resolve();
      };
      s.detachers.add(detach);
      signal.addEventListener('abort', detach, { once: true });
    });
  }

  input(id: string, data: string): void {
    const s = this.get(id);
    if (s.view.state !== 'open' || !s.input) throw new TerminalError('not-found', `${s.view.title} has ended: reconnect it first`);
    s.input.write(data);
    try {
      this.onUse(s.view.sandboxId);
    } catch {
      // Recording the use (idle expiry) is best effort: the keystrokes were delivered.
    }
  }

  resize(id: string, cols: number, rows: number): TerminalView {
    const s = this.get(id);
    s.term.resize(cols, rows);
    s.shell?.resize(cols, rows);
    s.view = { ...s.view, cols, rows };
    return { ...s.view };
  }

  /** Ends the shell and forgets the terminal (its saved screen too); attached streams end. */
  close(id: string): void {
    const s = this.get(id);
    this.broadcast(s, { type: 'ended', reason: `${s.view.title} was closed` });
    for (const detach of [...s.detachers]) detach();
    this.sessions.delete(id);
    if (s.saveTimer) clearInterval(s.saveTimer);
    s.shell?.close();
    s.term.dispose();
    if (this.screensDir) rmSync(join(this.screensDir, `${id}.json`), { force: true });
  }

  /** Ends every shell, saving each screen (the app is quitting). */
  async closeAll(): Promise<void> {
    for (const s of this.sessions.values()) {
      if (s.saveTimer) clearInterval(s.saveTimer);
      if (s.view.state === 'open') {
        s.view = { ...s.view, state: 'ended', endedReason: 'the app was closed' };
        await this.save(s);
      }
      s.shell?.close();
      s.term.dispose();
    }
    this.sessions.clear();
  }

  private get(id: string): Session {
    const s = this.sessions.get(id);
    if (!s) throw new TerminalError('not-found', `no terminal ${id}: it was closed (open a new one)`);
    return s;
  }

  private newSession(view: TerminalView, savedScreen: string): Session {
    const term = new Terminal({ cols: view.cols, rows: view.rows, scrollback: TERMINAL_SCROLLBACK, allowProposedApi: true });
    const serializer = new SerializeAddon();
    term.loadAddon(serializer);
    if (savedScreen) term.write(savedScreen);
    const session: Session = {
      view,
      term,
      serializer,
      shell: undefined,
      input: undefined,
      listeners: new Set(),
      detachers: new Set(),
      saveTimer: undefined,
      hadScreen: Boolean(savedScreen),
    };
    this.sessions.set(view.id, session);
    return session;
  }

  private async connect(s: Session): Promise<void> {
    const input = new PassThrough();
    const output = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        const data = chunk.toString('utf8');
        s.term.write(data);
        this.broadcast(s, { type: 'output', data });
        cb();
      },
    });
    const onEnd = (reason: string) => {
      if (s.input !== input) return; // an older shell of a reconnected terminal
      s.input = undefined;
      s.shell = undefined;
      s.view = { ...s.view, state: 'ended', endedReason: reason };
      if (s.saveTimer) clearInterval(s.saveTimer);
      s.saveTimer = undefined;
      this.broadcast(s, { type: 'ended', reason });
      void this.save(s);
    };
    s.input = input;
    try {
      s.shell = await this.startShell(s.view.sandboxId, { cols: s.view.cols, rows: s.view.rows }, { output, input, onEnd });
    } catch (e) {
      s.input = undefined;
      if (!s.hadScreen) this.sessions.delete(s.view.id);
      else s.view = { ...s.view, state: 'ended', endedReason: (e as Error).message };
      throw e;
    }
    if (this.screensDir && s.view.state === 'open') s.saveTimer = setInterval(() => void this.save(s), SAVE_EVERY_MS);
  }

  private broadcast(s: Session, e: TerminalEvent): void {
    for (const l of s.listeners) l(e);
  }

  private screenOf(s: Session): Promise<string> {
    return new Promise((resolve) => s.term.write('', () => resolve(s.serializer.serialize({ scrollback: TERMINAL_SCROLLBACK }))));
  }

  private async save(s: Session): Promise<void> {
    if (!this.screensDir || !this.sessions.has(s.view.id)) return;
    const screen = await this.screenOf(s);
    mkdirSync(this.screensDir, { recursive: true, mode: 0o700 });
    const file = join(this.screensDir, `${s.view.id}.json`);
    // Whole or not at all: a crash mid-write leaves the previous screen.
    writeFileSync(`${file}.tmp`, JSON.stringify({ view: s.view, screen }), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }

  /** Screens saved by an earlier run of the app, as ended terminals (the newest kept). */
  private loadSaved(): void {
    if (!this.screensDir) return;
    let files: string[];
    try {
      files = readdirSync(this.screensDir).filter((f) => /^[0-9a-f-]{36}\.json$/.test(f));
    } catch {
      return;
    }
    const byAge = files.map((f) => ({ f, at: statSync(join(this.screensDir as string, f)).mtimeMs })).sort((a, b) => b.at - a.at);
    for (const { f } of byAge.slice(MAX_SAVED_SCREENS)) rmSync(join(this.screensDir, f), { force: true });
    for (const { f } of byAge.slice(0, MAX_SAVED_SCREENS).reverse()) {
      try {
        const saved = JSON.parse(readFileSync(join(this.screensDir, f), 'utf8')) as { view: TerminalView; screen: string };
        const view: TerminalView = {
          ...saved.view,
          state: 'ended',
          endedReason: saved.view.state === 'open' ? 'the app was closed' : (saved.view.endedReason ?? 'ended'),
        };
        this.newSession(view, saved.screen);
        const n = Number(/(\d+)$/.exec(view.title)?.[1] ?? 0);
        this.numbers.set(view.sandboxId, Math.max(n, this.numbers.get(view.sandboxId) ?? 0));
      } catch {
        // An unreadable saved screen is dropped: it only ever held a copy of what was shown.
        rmSync(join(this.screensDir, f), { force: true });
      }
    }
  }
}
