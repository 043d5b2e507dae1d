// A Node BullMQ peer for fovea-jobs' interop tests (fovea-jobs/tests/interop.rs).
//
//   node node_peer.js <bullmq5|bullmq6> produce <redisUrl> <queue> <jobId> <dataJson>
//       adds a `track` job with FOVEA's default options, waits until it finishes and prints
//       {state, returnvalue, failedReason, attemptsMade, progress} as JSON
//   node node_peer.js <bullmq5|bullmq6> work <redisUrl> <queue> <count>
//       processes <count> jobs (progress 50, then returns {by, echo}) and exits
'use strict';

const [pkg, mode, url, queueName, ...rest] = process.argv.slice(2);
const { Queue, QueueEvents, Worker } = require(pkg);
const { hostname: host, port } = new URL(url);
const connection = { host, port: Number(port), maxRetriesPerRequest: null };
const defaultJobOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: 100,
  removeOnFail: 100,
};

async function produce(jobId, dataJson) {
  const queue = new Queue(queueName, { connection, defaultJobOptions });
  const events = new QueueEvents(queueName, { connection });
  await events.waitUntilReady();
  const job = await queue.add('track', JSON.parse(dataJson), { jobId });
  try {
    await job.waitUntilFinished(events, 60000);
  } catch {
    // A failed job rejects; its state is read below.
  }
  const done = await queue.getJob(jobId);
  const out = {
    state: await done.getState(),
    returnvalue: done.returnvalue,
    failedReason: done.failedReason || null,
    attemptsMade: done.attemptsMade,
    progress: done.progress,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
  await events.close();
  await queue.close();
}

async function work(count) {
  let left = Number(count);
  let finish;
  const finished = new Promise((resolve) => (finish = resolve));
  const worker = new Worker(
    queueName,
    async (job) => {
      await job.updateProgress(50);
      return { by: pkg, echo: job.data };
    },
    { connection },
  );
  worker.on('completed', () => {
    left -= 1;
    if (left === 0) finish();
  });
  await finished;
  await worker.close();
  process.stdout.write(JSON.stringify({ processed: Number(count) }) + '\n');
}

const run = mode === 'produce' ? produce(...rest) : work(...rest);
run.then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
