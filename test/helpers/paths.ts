/** Where things are: the repository, the test venv (scripts/test.sh sets it), the artifacts. */
import { join, resolve } from 'node:path';

export const REPO = resolve(__dirname, '..', '..');
export const VENV = process.env.CGROUP_USAGE_VENV ?? join(REPO, '.venv');
export const ARTIFACTS = join(REPO, 'artifacts');
export const SCREENSHOTS = join(ARTIFACTS, 'screenshots');
