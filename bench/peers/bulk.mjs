// The bulk-write peer for the throughput benchmark: writes N leads with dynamics-web-api the
// way its documentation shows — startBatch / create / executeBatch, one batch at a time (more
// with --parallel), and a hand-written retry on 429 that waits for Retry-After. Prints
// records/s as JSON.
//
//   node bulk.mjs --base http://127.0.0.1:7070/ --count 20000 --batch 100 --parallel 1
import { arg, baseUrl, client } from "./common.mjs";

const count = Number(arg("count", "10000"));
const batchSize = Number(arg("batch", "100"));
const parallel = Number(arg("parallel", "1"));
const api = client(baseUrl());

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function writeBatch(first, size) {
  for (let attempt = 0; ; attempt++) {
    try {
      api.startBatch();
      for (let i = first; i < first + size; i++) {
        api.create({ collection: "leads", data: { subject: `peer ${i}`, lastname: "Peer" } });
      }
      await api.executeBatch();
      return;
    } catch (error) {
      const status = error?.status ?? error?.[0]?.status;
      if (status !== 429 || attempt > 20) throw error;
      const retryAfter = Number(error?.headers?.["retry-after"] ?? error?.[0]?.headers?.["retry-after"] ?? 1);
      await sleep(retryAfter * 1000);
    }
  }
}

const started = performance.now();
let next = 0;
async function worker() {
  while (next < count) {
    const first = next;
    const size = Math.min(batchSize, count - first);
    next += size;
    await writeBatch(first, size);
  }
}
await Promise.all(Array.from({ length: parallel }, worker));
const seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({ client: "dynamics-web-api", count, batchSize, parallel, seconds, recordsPerSecond: count / seconds }));
