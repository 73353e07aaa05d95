// Drains N no-op jobs through graphile-worker or pg-boss (from npm, in
// build-npm) on a PostgreSQL database, for bench/queue_bench.sh: the jobs are
// added first, then the clock and the CPU clock run from the worker's start
// until the last job completed. Prints one JSON line.
//
//   NODE_PATH=build-npm/node_modules node bench/queue_peers.js PEER URL N
//   PEER: graphile (defaults: concurrency 1), graphile-batched (local queue of
//         500, batched completions, concurrency 10), pg-boss (defaults),
//         pg-boss-batched (batchSize 100)
'use strict';

const [peer, url, countText] = process.argv.slice(2);
const n = Number(countText);

function report(seconds, cpu) {
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(JSON.stringify({
    peer, jobs: n, seconds: +seconds.toFixed(3), jobs_per_s: Math.round(n / seconds),
    cpu_s_per_1000: +(cpuSeconds / n * 1000).toFixed(4),
  }));
}

async function graphile(batched) {
  const { makeWorkerUtils, run } = require('graphile-worker');
  const utils = await makeWorkerUtils({ connectionString: url });
  await utils.migrate();
  for (let i = 0; i < n; i += 1000) {
    const specs = Array.from({ length: Math.min(1000, n - i) }, () => ({ identifier: 'bench', payload: {} }));
    await utils.addJobs(specs);
  }
  await utils.release();
  let done = 0;
  let finish;
  const finished = new Promise((resolve) => { finish = resolve; });
  const options = {
    connectionString: url,
    noHandleSignals: true,
    logger: undefined,
    taskList: { bench: async () => { if (++done === n) finish(); } },
  };
  if (batched) {
    options.concurrency = 10;
    options.preset = { worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0 } };
  }
  const { Logger } = require('graphile-worker');
  options.logger = new Logger(() => () => {});
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const runner = await run(options);
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await runner.stop();
  report(seconds, cpu);
}

async function pgBoss(batched) {
  const PgBoss = require('pg-boss');
  const boss = new PgBoss({ connectionString: url });
  boss.on('error', (e) => console.error(e));
  await boss.start();
  await boss.createQueue('bench');
  for (let i = 0; i < n; i += 1000) {
    await boss.insert(Array.from({ length: Math.min(1000, n - i) }, () => ({ name: 'bench', data: {} })));
  }
  let done = 0;
  let finish;
  const finished = new Promise((resolve) => { finish = resolve; });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const options = batched ? { batchSize: 100, pollingIntervalSeconds: 0.5 } : {};
  await boss.work('bench', options, async (jobs) => {
    done += jobs.length;
    if (done >= n) finish();
  });
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await boss.stop({ graceful: false, wait: false });
  report(seconds, cpu);
}

const peers = {
  graphile: () => graphile(false),
  'graphile-batched': () => graphile(true),
  'pg-boss': () => pgBoss(false),
  'pg-boss-batched': () => pgBoss(true),
};

if (!peers[peer] || !url || !(n > 0)) {
  console.error('usage: node bench/queue_peers.js graphile|graphile-batched|pg-boss|pg-boss-batched URL N');
  process.exit(2);
}
peers[peer]().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
