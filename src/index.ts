/**
 * The extension's plugins: the core one provides the model (ICgroupUsageModel), the others
 * consume it, so an administrator can disable each view on its own.
 */
import { earlyWarningPlugin } from './earlyWarningPlugin';
import { kernelUsagePlugin } from './kernelUsagePlugin';
import { modelPlugin } from './modelPlugin';
import { oomNotifierPlugin } from './oomNotifierPlugin';
import { statusItemPlugin } from './statusItemPlugin';
import { topBarItemPlugin } from './topBarItemPlugin';

export { ICgroupUsageModel } from './tokens';
export default [
  modelPlugin,
  statusItemPlugin,
  topBarItemPlugin,
  oomNotifierPlugin,
  earlyWarningPlugin,
  kernelUsagePlugin
];
