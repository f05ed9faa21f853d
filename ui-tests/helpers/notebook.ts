/** A real notebook: created through the contents API, opened and run in the JupyterLab UI. */
import { expect, type Page } from '@playwright/test';
import { oomKillCount } from '../../test/helpers/cgroup';
import type { LabInfo } from './lab';

/** A cell that needs 1.5 GiB: OOM-killed under a 1 GiB limit before it prints. */
export const EXCEED_1_GIB = `x = b"\\x01" * ${Math.round(1.5 * 2 ** 30)}\nprint("survived")`;
/** JupyterLab's notification toasts (Notebook 7 shows the same). */
export const OOM_NOTIFICATION = '.jp-Notification-Toast-warning, .Toastify__toast';

/** The notebook shown: tabs restored from a workspace are in the page too, hidden. */
const CURRENT_NOTEBOOK = '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook';

async function api(lab: LabInfo, path: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(`${lab.url}api/${path}`, {
    ...init,
    headers: { Authorization: `token ${lab.token}`, 'Content-Type': 'application/json' }
  });
  if (!response.ok) {
    throw new Error(`${init.method ?? 'GET'} /api/${path}: HTTP ${response.status}`);
  }
  return response;
}

/** Writes a one-cell Python notebook named `name`. */
export async function createNotebook(lab: LabInfo, name: string, source: string): Promise<void> {
  const content = {
    cells: [{ id: 'cell-1', cell_type: 'code', source, metadata: {}, outputs: [], execution_count: null }],
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' } },
    nbformat: 4,
    nbformat_minor: 5
  };
  await api(lab, `contents/${name}`, { method: 'PUT', body: JSON.stringify({ type: 'notebook', content }) });
}

/**
 * Opens the notebook and waits until its kernel is idle. In a `workspace` of its own, the tabs
 * that earlier tests left in the default workspace are not restored beside it.
 */
export async function openNotebook(page: Page, lab: LabInfo, name: string, workspace?: string): Promise<void> {
  const app = workspace ? `lab/workspaces/${workspace}` : 'lab';
  await page.goto(`${lab.url}${app}/tree/${name}?token=${lab.token}`);
  await expect(page.locator(`${CURRENT_NOTEBOOK} .jp-Cell`).first()).toBeVisible({ timeout: 60000 });
  await expect(page.locator('#jp-main-statusbar')).toContainText('Idle', { timeout: 60000 });
}

/** Runs the first cell the way a user does: select it, Shift+Enter. */
export async function runFirstCell(page: Page): Promise<void> {
  await page.locator(`${CURRENT_NOTEBOOK} .jp-Cell .jp-InputArea-editor`).first().click();
  await page.keyboard.press('Shift+Enter');
}

/** Shuts every kernel down (frees what the cells allocated). */
export async function shutdownKernels(lab: LabInfo): Promise<void> {
  const kernels = (await (await api(lab, 'kernels')).json()) as { id: string }[];
  await Promise.all(kernels.map(kernel => api(lab, `kernels/${kernel.id}`, { method: 'DELETE' })));
}

/** Waits until the notebook `path` has a kernel and it is idle (Notebook 7 shows no kernel status text). */
export async function waitForIdleKernel(lab: LabInfo, path: string): Promise<void> {
  await expect
    .poll(
      async () => {
        const sessions = (await (await api(lab, 'sessions')).json()) as {
          path: string;
          kernel: { execution_state: string } | null;
        }[];
        return sessions.find(session => session.path === path)?.kernel?.execution_state ?? 'no kernel';
      },
      { timeout: 60000 }
    )
    .toBe('idle');
}

/** Writes a text file named `name`. */
export async function createTextFile(lab: LabInfo, name: string, content: string): Promise<void> {
  await api(lab, `contents/${name}`, {
    method: 'PUT',
    body: JSON.stringify({ type: 'file', format: 'text', content })
  });
}

/**
 * Runs the open notebook's first cell (EXCEED_1_GIB, in a lab limited to 1 GiB) and checks that
 * the kernel OOM-killed it (its own counter in `cgroupDirs`) and that the notification said so.
 */
export async function runIntoOomKill(page: Page, cgroupDirs: string[]): Promise<void> {
  const killsBefore = oomKillCount(cgroupDirs);
  await runFirstCell(page);
  const notification = page.locator(OOM_NOTIFICATION).filter({
    hasText: 'killed for exceeding the memory limit (1.0 GiB)'
  });
  await expect(notification).toBeVisible({ timeout: 60000 });
  expect(oomKillCount(cgroupDirs)).toBeGreaterThan(killsBefore);
  await expect(page.locator('.jp-OutputArea-output', { hasText: 'survived' })).toHaveCount(0);
}
