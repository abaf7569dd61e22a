// BENCH_SERVER_NODE_OPTIONS="--import ./scripts/bench-web/server-profile.mjs" npm run bench:web -- …
// The server's CPU profile over its whole life, written when it exits to
// $SERVER_PROFILE_DIR (default /tmp/server-profile)/server-PID.cpuprofile (opens in Chromium's
// DevTools). Node 20 refuses --cpu-prof in NODE_OPTIONS; this does the same through the
// inspector, whose in-process session answers synchronously, so it still works in 'exit'.
// Only the server process profiles (start.sh also runs the build with these options).
import { Session } from 'node:inspector';
import { mkdirSync, writeFileSync } from 'node:fs';

if (process.argv[1]?.endsWith('dist/server/server.js')) {
  const dir = process.env.SERVER_PROFILE_DIR ?? '/tmp/server-profile';
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
  process.on('exit', () => {
    session.post('Profiler.stop', (err, result) => {
      if (err) return;
      mkdirSync(dir, { recursive: true });
      writeFileSync(`${dir}/server-${process.pid}.cpuprofile`, JSON.stringify(result.profile));
    });
  });
}
