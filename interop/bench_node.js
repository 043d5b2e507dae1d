// Node bullmq doing what fovea's queue benchmark does (benches/benches/queue.rs): add N jobs,
// process them with 4 concurrent no-op handlers, report jobs per second end to end.
//
//   node bench_node.js <bullmq5|bullmq6> <redisUrl> <queue> <n>
'use strict';

const [pkg, url, queueName, n] = process.argv.slice(2);
const { Queue, Worker } = require(pkg);
const { hostname: host, port } = new URL(url);
const connection = { host, port: Number(port), maxRetriesPerRequest: null };

async function main() {
  const total = Number(n);
  const queue = new Queue(queueName, { connection });
  let done = 0;
  let finish;
  const finished = new Promise((resolve) => (finish = resolve));
  const start = process.hrtime.bigint();
  const worker = new Worker(queueName, async () => null, { connection, concurrency: 4 });
  worker.on('completed', () => {
    done += 1;
    if (done === total) finish();
  });
  const jobs = [];
  for (let i = 0; i < total; i++) {
    jobs.push({ name: 'track', data: { i }, opts: { removeOnComplete: 100, removeOnFail: 100 } });
  }
  for (let i = 0; i < total; i += 500) {
    await queue.addBulk(jobs.slice(i, i + 500));
  }
  await finished;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await worker.close();
  await queue.close();
  process.stdout.write(JSON.stringify({ jobs: total, seconds, perSecond: total / seconds }) + '\n');
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
