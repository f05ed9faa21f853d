/** A real notebook: created through the contents API, opened and run in the JupyterLab UI. */
import { expect, type Page } from '@playwright/test';
import type { LabInfo } from './lab';

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
  await expect(page.locator('.jp-Notebook .jp-Cell').first()).toBeVisible({ timeout: 60000 });
  await expect(page.locator('#jp-main-statusbar')).toContainText('Idle', { timeout: 60000 });
}

/** Runs the first cell the way a user does: select it, Shift+Enter. */
export async function runFirstCell(page: Page): Promise<void> {
  await page.locator('.jp-Notebook .jp-Cell .jp-InputArea-editor').first().click();
  await page.keyboard.press('Shift+Enter');
}

/** Shuts every kernel down (frees what the cells allocated). */
export async function shutdownKernels(lab: LabInfo): Promise<void> {
  const kernels = (await (await api(lab, 'kernels')).json()) as { id: string }[];
  await Promise.all(kernels.map(kernel => api(lab, `kernels/${kernel.id}`, { method: 'DELETE' })));
}
