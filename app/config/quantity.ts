// Kubernetes resource quantities for CPU and memory (pure): the forms people write ("500m",
// "2", "1.5", "512Mi", "1G"), read into cores or bytes so values can be compared. Stricter than
// the API server on purpose: no exponents ("1e3") and no negative values, each refused with
// what to write instead, before anything reaches the cluster.

const QUANTITY = /^(\d+(?:\.\d+)?|\.\d+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const FACTOR: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

export type QuantityKind = 'cpu' | 'memory';

const EXAMPLES: Record<QuantityKind, string> = { cpu: 'e.g. 500m or 2 (cores)', memory: 'e.g. 512Mi or 2Gi (bytes)' };

/** The value in cores (cpu) or bytes (memory), or a sentence saying what is wrong. */
export function parseQuantity(text: string, kind: QuantityKind): { value: number } | { problem: string } {
  const m = QUANTITY.exec(text.trim());
  if (!m || text.trim() !== text) return { problem: `"${text}" is not a Kubernetes quantity (${EXAMPLES[kind]})` };
  const suffix = m[2] ?? '';
  if (kind === 'cpu' && suffix !== '' && suffix !== 'm')
    return { problem: `"${text}" is not a CPU quantity: use cores ("2", "0.5") or millicores ("500m")` };
  const value = Number(m[1]) * (FACTOR[suffix] as number);
  if (value <= 0) return { problem: `"${text}" must be more than zero` };
  if (kind === 'cpu' && value < 0.001) return { problem: `"${text}" is below 1m, the smallest CPU amount` };
  return { value };
}

/** The value of a quantity already checked (defaults, validated settings); NaN if it is not one. */
export function quantityValue(text: string, kind: QuantityKind): number {
  const r = parseQuantity(text, kind);
  return 'value' in r ? r.value : Number.NaN;
}
