// The bulk-write peer for the throughput benchmark: writes leads with dynamics-web-api the
// way its documentation shows (startBatch / upsert / executeBatch), `--parallel` batches at
// once, with the retry a careful user writes by hand: 429 waits for Retry-After; 503, other
// 5xx and dropped connections wait 1 s, 2 s, 4 s ... (at most 8 s), up to 10 attempts. Each
// row is an upsert by a client-chosen id, so repeating a batch whose answer was lost cannot
// create a second row (the Rust side writes the same way). Rows are numbered; row i carries
// subject "bench i". With --max-seconds the peer stops starting batches after that long.
// Prints one JSON line: rows attempted (a prefix 0..attempted), rows it saw fail for good,
// seconds, records/s.
//
//   node bulk.mjs --base http://127.0.0.1:7070/ --count 20000 --batch 100 --parallel 4
import { arg, baseUrl, client } from "./common.mjs";

const count = Number(arg("count", "10000"));
const batchSize = Number(arg("batch", "100"));
const parallel = Number(arg("parallel", "1"));
const maxSeconds = Number(arg("max-seconds", "0"));
const api = client(baseUrl());

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Row i's id: the number in the last group, so ids are unique and stable. */
const rowId = (i) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`;

function statusOf(error) {
  return error?.status ?? error?.[0]?.status;
}

function retryAfterOf(error) {
  const headers = error?.headers ?? error?.[0]?.headers ?? {};
  const value = Number(headers["retry-after"] ?? headers["Retry-After"]);
  return Number.isFinite(value) && value >= 0 ? value : 1;
}

/** Writes rows first..first+size; returns how many were lost (0 on success). */
async function writeBatch(first, size) {
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      api.startBatch();
      for (let i = first; i < first + size; i++) {
        api.upsert({ collection: "leads", key: rowId(i), data: { subject: `bench ${i}`, lastname: "Peer" } });
      }
      const results = await api.executeBatch();
      const failed = (results ?? []).filter((r) => r instanceof Error || r?.status >= 400).length;
      return failed;
    } catch (error) {
      const status = statusOf(error);
      if (status === 429) {
        await sleep(retryAfterOf(error) * 1000);
      } else if (status === undefined || status >= 500) {
        // Dropped connection or a server error: back off and repeat (upserts by id are safe).
        await sleep(Math.min(1000 * 2 ** attempt, 8000));
      } else {
        return size;
      }
    }
  }
  return size;
}

const started = performance.now();
let next = 0;
let lost = 0;
const elapsed = () => (performance.now() - started) / 1000;
async function worker() {
  while (next < count && (maxSeconds <= 0 || elapsed() < maxSeconds)) {
    const first = next;
    const size = Math.min(batchSize, count - first);
    next += size;
    lost += await writeBatch(first, size);
  }
}
await Promise.all(Array.from({ length: parallel }, worker));
const seconds = elapsed();
console.log(
  JSON.stringify({
    client: "dynamics-web-api",
    attempted: next,
    failed: lost,
    batchSize,
    parallel,
    seconds,
    recordsPerSecond: (next - lost) / seconds,
  }),
);
