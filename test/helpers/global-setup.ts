import { ensureDashboardBuilt } from './browser.ts';

/** Once per test run, before any worker starts: a fresh dashboard build, so no two files race to make one. */
export default function setup(): void {
  ensureDashboardBuilt();
}
