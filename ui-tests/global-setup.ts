/**
 * Starts the JupyterLab that most specs share, inside a child cgroup of its own when the
 * kernel allows one (so other processes on the machine do not move its figures), and hands
 * its address to the tests through the environment. Returns the teardown.
 */
import { CgroupRefused, ChildCgroups } from '../test/helpers/cgroup';
import { FAST_REFRESH, startLab } from './helpers/lab';

export default async function globalSetup(): Promise<() => Promise<void>> {
  let cgroups: ChildCgroups | null = null;
  try {
    cgroups = new ChildCgroups(`cgroup-usage-e2e-${process.pid}-shared`);
  } catch (error) {
    if (!(error instanceof CgroupRefused)) {
      throw error;
    }
    console.log(`shared lab runs in the current cgroup: ${error.message}`);
  }
  const lab = await startLab({ name: 'shared', cgroupDirs: cgroups?.dirs, userSettings: FAST_REFRESH });
  process.env.CGROUP_USAGE_LAB = JSON.stringify({ url: lab.url, token: lab.token, pid: lab.pid });
  return async () => {
    await lab.stop();
    await cgroups?.remove();
  };
}
