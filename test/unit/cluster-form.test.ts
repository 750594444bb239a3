import { describe, expect, it } from 'vitest';
import { clusterFormProblems } from '../../renderer/src/state/cluster-form.js';

const ok = { name: 'deer-flow', dataDir: '/home/me/deer-flow/backend/.deer-flow', skillsDir: '', nodePorts: '30000-30049' };

describe('the Cluster screen’s create form', () => {
  it('nothing to say about a good form', () => {
    expect(clusterFormProblems(ok, 'kind')).toEqual({});
    expect(clusterFormProblems({ ...ok, nodePorts: 'ignored' }, 'minikube')).toEqual({});
  });
  it('every field’s problem at once, in words, not schema wording', () => {
    const p = clusterFormProblems({ name: 'Bad_Name', dataDir: '', skillsDir: 'relative/skills', nodePorts: '40000-1' }, 'kind');
    expect(Object.keys(p).sort()).toEqual(['dataDir', 'name', 'nodePorts', 'skillsDir']);
    expect(p.dataDir).toBe("Choose DeerFlow's data folder (backend/.deer-flow): it is mounted into the node");
    expect(p.name).toMatch(/not a valid kind cluster name/);
    expect(p.nodePorts).toMatch(/^"40000-1" is not valid: /);
    expect(Object.values(p).join(' ')).not.toMatch(/must NOT have|fewer than/);
  });
  it('relative data folders are refused; Windows paths are absolute', () => {
    expect(clusterFormProblems({ ...ok, dataDir: 'deer-flow' }, 'kind').dataDir).toMatch(/not an absolute path/);
    expect(clusterFormProblems({ ...ok, dataDir: 'C:\\Users\\me\\deer-flow' }, 'kind').dataDir).toBeUndefined();
  });
});
