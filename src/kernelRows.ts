/**
 * What the kernel panel shows: one row per kernel, from the sidecar's answer and JupyterLab's
 * sessions. Pure; the panel only draws the rows.
 */
import { formatBytes, formatCoresInUse } from './format';
import type { KernelPssResponse, KernelsResponse } from './sample';

/** A JupyterLab session as far as the panel cares. */
export interface ISessionInfo {
  kernelId: string;
  /** The notebook's or console's path. */
  path: string;
  /** `notebook`, `console`, or whatever else opened the session. */
  type: string;
  /** The kernel's spec name (python3, ir, julia-1.10, ...). */
  kernelName: string;
}

/** The PSS of a kernel, as the user asked for it. */
export type PssState =
  { state: 'measuring' } | { state: 'measured'; answer: KernelPssResponse } | { state: 'failed'; reason: string };

export interface IKernelRow {
  /** The kernel id (data-kernel in the DOM). */
  id: string;
  /** The notebook or console (its file name), else "Kernel <first 8 characters of the id>". */
  title: string;
  /** Its path and kernel name, for the tooltip and second line. */
  detail: string;
  /** Bytes, for sorting and tests; null when the kernel was not found (an n/a row). */
  rss: number | null;
  memory: string;
  cpu: string;
  processes: string;
  /** Why the figures are n/a, else null. */
  reason: string | null;
  /** The PSS cell: empty until asked for. */
  pss: string;
  /** True while the PSS is being measured (its button is disabled). */
  measuring: boolean;
}

const NA = 'n/a';

function fileName(path: string): string {
  const parts = path.split('/');
  return parts[parts.length - 1] || path;
}

function pssText(pss: PssState | undefined): string {
  switch (pss?.state) {
    case undefined:
      return '';
    case 'measuring':
      return 'measuring…';
    case 'failed':
      return `${NA}: ${pss.reason}`;
    case 'measured': {
      const { answer } = pss;
      const partial = answer.unreadable > 0 ? `, ${answer.unreadable} of ${answer.processes} processes unreadable` : '';
      return `${formatBytes(answer.pss)} PSS (in ${Math.round(answer.durationMs)} ms${partial})`;
    }
  }
}

/** Why a kernel JupyterLab knows of has no figures. */
function missingReason(answer: KernelsResponse | null, failure: string | null): string {
  if (failure !== null) {
    return failure;
  }
  if (answer === null) {
    return 'waiting for the sidecar';
  }
  if (answer.errors.length > 0) {
    return answer.errors.join('; ');
  }
  return 'its process was not found below the Jupyter server (starting, or exited)';
}

/**
 * The rows, largest memory first: every kernel the sidecar found, named after its session
 * where there is one, then every session's kernel it did not find, as an n/a row with the reason.
 */
export function kernelRows(
  answer: KernelsResponse | null,
  sessions: readonly ISessionInfo[],
  pss: ReadonlyMap<string, PssState> = new Map(),
  failure: string | null = null
): IKernelRow[] {
  const byKernel = new Map<string, ISessionInfo[]>();
  for (const session of sessions) {
    byKernel.set(session.kernelId, [...(byKernel.get(session.kernelId) ?? []), session]);
  }
  const describe = (id: string) => {
    const owners = byKernel.get(id) ?? [];
    if (owners.length === 0) {
      return { title: `Kernel ${id.slice(0, 8)}`, detail: `no notebook or console (kernel ${id})` };
    }
    return {
      title: owners.map(owner => fileName(owner.path)).join(', '),
      detail: owners.map(owner => `${owner.type} ${owner.path} (${owner.kernelName})`).join('; ')
    };
  };
  const found = failure === null ? (answer?.kernels ?? []) : [];
  const rows: IKernelRow[] = [...found]
    .sort((a, b) => b.rss - a.rss)
    .map(kernel => ({
      id: kernel.id,
      ...describe(kernel.id),
      rss: kernel.rss,
      memory: formatBytes(kernel.rss),
      cpu: kernel.cpu === null ? 'measuring…' : formatCoresInUse(kernel.cpu),
      processes: String(kernel.processes),
      reason: null,
      pss: pssText(pss.get(kernel.id)),
      measuring: pss.get(kernel.id)?.state === 'measuring'
    }));
  const seen = new Set(found.map(kernel => kernel.id));
  for (const id of byKernel.keys()) {
    if (!seen.has(id)) {
      rows.push({
        id,
        ...describe(id),
        rss: null,
        memory: NA,
        cpu: NA,
        processes: NA,
        reason: missingReason(answer, failure),
        pss: '',
        measuring: false
      });
    }
  }
  return rows;
}

/** The panel's note on what the memory figure over-counts. */
export const RSS_NOTE =
  'Memory is the resident set (RSS) of each kernel and every process below it. Pages that forked ' +
  'processes share (DataLoader workers, multiprocessing pools) count once in each of them, so the sum ' +
  'can exceed what the kernel charges the container. "Measure PSS" divides each shared page among its ' +
  'processes (a slower reading, taken once).';
