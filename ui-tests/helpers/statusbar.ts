/** Reading what the status item shows: its state, its text and the exact figures of its tooltip. */
import { expect, type Locator, type Page } from '@playwright/test';

export const ITEM = '.jp-CgroupUsage-item';

export interface ShownFigures {
  /** Cores in use; null until the sidecar has two readings. */
  cpuUsed: number | null;
  cpuLimit: number;
  /** Bytes, exact (from the tooltip). */
  memoryUsed: number;
  memoryLimit: number;
  /** The status bar text, e.g. "CPU 0.1/2 · Mem 0.3/23.5 GiB". */
  text: string;
}

/**
 * The item where it is shown: JupyterLab also has a hidden copy in the top bar (or in the status
 * bar, with placement "topbar"), Notebook 7 only the top bar's.
 */
export function statusItem(page: Page): Locator {
  return page.locator(ITEM).filter({ visible: true });
}

function bytes(text: string): number {
  return Number(text.replace(/,/g, ''));
}

/** Parses the tooltip's exact figures; throws when they are not there (not available yet). */
export function parseShown(title: string, text: string): ShownFigures {
  // "CPU: 0.15 of 2 cores in use (7.5%), ..." or, before the second reading, "CPU: measuring ... of 2 cores".
  const cpu = /^CPU: (.*?)of ([\d.]+) cores/m.exec(title);
  const memory = /in use: ([\d,]+) bytes; limit: ([\d,]+) bytes/.exec(title);
  if (!cpu || !memory) {
    throw new Error(`the status item's tooltip has no figures: ${JSON.stringify(title)}`);
  }
  const cpuUsed = /^([\d.]+) $/.exec(cpu[1]);
  return {
    cpuUsed: cpuUsed ? Number(cpuUsed[1]) : null,
    cpuLimit: Number(cpu[2]),
    memoryUsed: bytes(memory[1]),
    memoryLimit: bytes(memory[2]),
    text
  };
}

export async function shownFigures(page: Page): Promise<ShownFigures> {
  const item = statusItem(page);
  await expect(item).toHaveAttribute('data-state', 'available');
  const [title, text] = await Promise.all([item.getAttribute('title'), item.innerText()]);
  return parseShown(title ?? '', text);
}

/** Waits for the item to show figures, then for a CPU figure (the sidecar's second reading). */
export async function waitForFigures(page: Page): Promise<ShownFigures> {
  await expect(statusItem(page)).toHaveAttribute('data-state', 'available');
  await expect.poll(async () => (await shownFigures(page)).cpuUsed, { timeout: 30000 }).not.toBeNull();
  return shownFigures(page);
}

/** The limits a spec set on the lab's cgroup: bytes and cores, and how the item writes the memory limit. */
export interface SetLimits {
  memoryBytes: number;
  memoryText: string;
  cpus: number;
}

/** Waits for figures and checks that the item shows exactly `limits`, said to come from the cgroup. */
export async function expectCgroupLimitsShown(page: Page, limits: SetLimits): Promise<ShownFigures> {
  const shown = await waitForFigures(page);
  expect(shown.memoryLimit).toBe(limits.memoryBytes);
  expect(shown.cpuLimit).toBe(limits.cpus);
  await expect(statusItem(page).locator('[data-kind="cpu"]')).toHaveText(new RegExp(`/${String(limits.cpus)}$`));
  await expect(statusItem(page).locator('[data-kind="memory"]')).toHaveText(new RegExp(`/${limits.memoryText}$`));
  await expect(statusItem(page)).toHaveAttribute('title', /limit set by the container's cgroup/);
  return shown;
}
