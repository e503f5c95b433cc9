// The Hub stand-in in a process of its own, for `npm run bench`: serving in the bench's own process would
// take the event loop the download under test needs. Publishes the folder given as org/bench and prints
// {"endpoint": …, "commit": …} on one line; stops when its stdin closes.
import { startHubStandIn } from '../helpers/hubStandIn';

async function serve(dir: string): Promise<void> {
  const hub = await startHubStandIn();
  const commit = hub.publish('org/bench', dir);
  process.stdout.write(JSON.stringify({ endpoint: hub.endpoint, commit }) + '\n');
  process.stdin.resume();
  process.stdin.on('end', () => void hub.stop().then(() => process.exit(0)));
}

void serve(process.argv[2]!);
