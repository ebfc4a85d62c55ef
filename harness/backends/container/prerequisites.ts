// What the container backend needs: an engine that answers, and the right to tidy the engine's
// bridge in this machine's network namespace (its address, snooping, the forwarding rule).
import { PrerequisiteError } from '../../util/errors.ts';
import { execArgv } from '../../util/process.ts';
import { hasNetnsCapabilities } from '../netns/prerequisites.ts';
import { getEngine } from './engine.ts';

export async function checkContainerPrerequisites(): Promise<void> {
  if (!(await hasNetnsCapabilities())) {
    throw new PrerequisiteError(
      "root's CAP_NET_ADMIN and CAP_SYS_ADMIN are needed to adjust the engine's bridge for the lab, and this process lacks them",
      'run it as root: sudo npm run lab -- NAME --backend container',
    );
  }
  if ((await execArgv(['ip', '-V'], { timeoutMs: 5000 })).exitCode === 127) {
    throw new PrerequisiteError('ip is not installed', 'install it: apt-get install -y iproute2');
  }
  await getEngine();
}
