// The desk core's own pieces, no cluster needed: settings (validated like the server, API key
// write-only, saved with mode 600, nothing saved when invalid) and jobs (progress, output,
// cancel, failure).

import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JobNotFoundError, JobRegistry } from '../../app/desk/jobs.js';
import { SettingsError, SettingsStore } from '../../app/desk/settings-store.js';
import { jobFinished } from '../support/jobs.js';

const file = () => join(mkdtempSync(join(tmpdir(), 'spd-settings-')), 'nested', 'settings.json');

describe('SettingsStore', () => {
  it('layers saved settings over the environment and validates like the server', () => {
    const s = new SettingsStore(file(), { K8S_NAMESPACE: 'from-env', NODE_HOST: 'env-host' });
    expect(s.config().namespace).toBe('from-env');
    s.save({ K8S_NAMESPACE: 'saved' });
    expect(s.config().namespace).toBe('saved');
    expect(s.config().nodeHost).toBe('env-host');
    expect(s.view().settings).toMatchObject({ K8S_NAMESPACE: 'saved', NODE_HOST: 'env-host' });
  });

  it('says each value in use and where it comes from: saved, the environment, or the default', () => {
    const s = new SettingsStore(file(), { NODE_HOST: 'env-host' });
    s.save({ K8S_NAMESPACE: 'saved-ns' });
    const inUse = s.view().inUse;
    expect(inUse.K8S_NAMESPACE).toEqual({ value: 'saved-ns', source: 'saved' });
    expect(inUse.NODE_HOST).toEqual({ value: 'env-host', source: 'environment' });
    expect(inUse.SANDBOX_IMAGE).toMatchObject({ source: 'default', value: expect.stringContaining('sandbox') });
    expect(inUse.SANDBOX_SERVICE_TYPE).toEqual({ value: 'NodePort', source: 'default' });
    expect(inUse.THREADS_HOST_PATH).toEqual({ value: '/.deer-flow/threads', source: 'default' });
    expect(inUse.USERDATA_PVC_NAME).toEqual({ value: undefined, source: 'default' });
    expect(JSON.stringify(inUse)).not.toContain('PROVISIONER_API_KEY');
  });

  it('rejects invalid values field by field and saves nothing', () => {
    const f = file();
    const s = new SettingsStore(f, {});
    s.save({ K8S_NAMESPACE: 'good' });
    const before = readFileSync(f, 'utf8');
    const err = (() => {
      try {
        s.save({ K8S_NAMESPACE: 'Bad NS', SANDBOX_SERVICE_TYPE: 'LoadBalancer', PROVISIONER_API_KEY: 'short' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(SettingsError);
    expect((err as SettingsError).fields.map((f) => f.field).sort()).toEqual([
      'K8S_NAMESPACE',
      'PROVISIONER_API_KEY',
      'SANDBOX_SERVICE_TYPE',
    ]);
    expect(readFileSync(f, 'utf8')).toBe(before);
    expect(s.config().namespace).toBe('good');
  });

  it('never shows the API key, keeps it when omitted, clears it when empty; the file is private', () => {
    const f = file();
    const s = new SettingsStore(f, {});
    s.save({ PROVISIONER_API_KEY: 'a-long-enough-secret-key' });
    expect(JSON.stringify(s.view())).not.toContain('a-long-enough-secret-key');
    expect(s.view().apiKeySet).toBe(true);
    s.save({ K8S_NAMESPACE: 'other' });
    expect(s.config().apiKey).toBe('a-long-enough-secret-key');
    s.save({ PROVISIONER_API_KEY: '' });
    expect(s.view().apiKeySet).toBe(false);
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(new SettingsStore(f, {}).view().settings.K8S_NAMESPACE).toBeUndefined();
  });

  it('reads a saved file back, and names a broken one', () => {
    const f = file();
    new SettingsStore(f, {}).save({ SANDBOX_IMAGE: 'img:1' });
    new SettingsStore(f, {}).setContext('kind-dev');
    new SettingsStore(f, {}).setProvisionerApi(true);
    const again = new SettingsStore(f, {});
    expect(again.config().sandboxImage).toBe('img:1');
    expect(again.context).toBe('kind-dev');
    expect(again.provisionerApi).toBe(true);
    writeFileSync(f, '{broken');
    expect(() => new SettingsStore(f, {})).toThrow(/settings file .* is not valid JSON/);
    expect(existsSync(`${f}.tmp`)).toBe(false);
  });
});

describe('JobRegistry', () => {
  const finished = jobFinished;

  it('reports output, progress and the result', async () => {
    const jobs = new JobRegistry();
    const job = jobs.start('migration', 'test', async (ctx) => {
      ctx.line('one');
      ctx.progress(1, 2);
      ctx.line('two');
      ctx.progress(2, 2);
      return { nothingToDo: true as const };
    });
    const end = await finished(jobs, job.id);
    expect(end).toMatchObject({ state: 'done', lines: ['one', 'two'], progress: { done: 2, total: 2 }, result: { nothingToDo: true } });
  });

  it('numbers its snapshots: the start answer is older than every event after it', async () => {
    const jobs = new JobRegistry();
    const seen: number[] = [];
    jobs.events.on('job', (j: { revision: number }) => seen.push(j.revision));
    const job = jobs.start('migration', 'quick', async () => ({ nothingToDo: true as const }));
    const end = await finished(jobs, job.id);
    expect(end.revision).toBeGreaterThan(job.revision);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('keeps only the last 200 lines', async () => {
    const jobs = new JobRegistry();
    const job = jobs.start('load-image', 't', async (ctx) => {
      for (let i = 0; i < 500; i++) ctx.line(`l${i}`);
      return {};
    });
    const end = await finished(jobs, job.id);
    expect(end.lines).toHaveLength(200);
    expect(end.lines[0]).toBe('l300');
  });

  it('cancel aborts the work and ends as cancelled; a failure keeps its message', async () => {
    const jobs = new JobRegistry();
    const job = jobs.start(
      'kind-create',
      'slow',
      (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('stopped')))),
    );
    const ended = finished(jobs, job.id);
    jobs.cancel(job.id);
    expect((await ended).state).toBe('cancelled');
    const bad = jobs.start('migration', 'bad', async () => {
      throw new Error('disk full');
    });
    expect(await finished(jobs, bad.id)).toMatchObject({ state: 'failed', error: 'disk full' });
    expect(() => jobs.cancel('nope')).toThrow(JobNotFoundError);
  });

  it('a job that may not be cancelled ignores Cancel and ends done', async () => {
    const jobs = new JobRegistry();
    let aborted = false;
    const job = jobs.start(
      'migration',
      'moves',
      async (ctx) => {
        await new Promise((r) => setTimeout(r, 50));
        aborted = ctx.signal.aborted;
        return { nothingToDo: true as const };
      },
      { cancellable: false },
    );
    expect(job.cancellable).toBe(false);
    const ended = finished(jobs, job.id);
    jobs.cancel(job.id);
    expect((await ended).state).toBe('done');
    expect(aborted).toBe(false);
  });
});
