// The change tracking peer for the delta sync benchmark: dynamics-web-api's `trackChanges`
// used as its README ("Change Tracking", "Retrieve All records") and type definitions show it.
//
//   node delta.mjs --base URL [--page-size 5000] [--mode pages|all]   # initial sync
//   node delta.mjs --base URL --from '<deltaLink>' [--page-size 5000]  # the changes since
//
// --mode pages (the default, and the peer's best): `retrieveMultiple({ trackChanges: true,
// maxPageSize })`, then `retrieveMultiple(request, oDataNextLink)` page by page until the page
// with `oDataDeltaLink`. --mode all: `retrieveAll({ trackChanges: true, maxPageSize })`, which
// gathers every page into one array before it returns. A delta (--from) always goes page by
// page: retrieveAll takes no link. Each row is consumed and dropped as a sync would: counted
// as changed or deleted (the library leaves `$deletedEntity` entries untyped, so the script
// reads their `@odata.context`) and folded into a checksum of ids that the Rust side computes
// the same way. Prints one JSON line; the process's peak resident memory comes from
// `process.resourceUsage().maxRSS`, its CPU time from `process.cpuUsage()`. One untimed WhoAmI first gets the token and the
// connection, as the Rust side has them before its timer starts.
import { arg, baseUrl, client } from "./common.mjs";

const pageSize = Number(arg("page-size", "5000"));
const mode = arg("mode", "pages");
const from = arg("from", "");
const select = arg("select", "subject,firstname,lastname,emailaddress1,companyname,telephone1").split(",");
if (!["pages", "all"].includes(mode)) {
  throw new Error(`--mode must be pages or all, not ${mode}`);
}
const api = client(baseUrl());

let changed = 0;
let deleted = 0;
let checksum = 0;
let pages = 0;

/** XOR of the id's four 32-bit words (the Rust side folds `Uuid::as_u128` the same way). */
function idWord(id) {
  const hex = id.replaceAll("-", "");
  return (
    (parseInt(hex.slice(0, 8), 16) ^
      parseInt(hex.slice(8, 16), 16) ^
      parseInt(hex.slice(16, 24), 16) ^
      parseInt(hex.slice(24, 32), 16)) >>>
    0
  );
}

function consume(items) {
  pages++;
  for (const item of items ?? []) {
    const context = item["@odata.context"];
    if (typeof context === "string" && context.includes("$deletedEntity")) {
      deleted++;
      checksum = (checksum + idWord(item.id)) >>> 0;
    } else {
      changed++;
      checksum = (checksum + idWord(item.leadid)) >>> 0;
    }
  }
}

const request = { collection: "leads", select, trackChanges: true, maxPageSize: pageSize };
// Warm up as the Rust side is (a token in hand, a connection open): one WhoAmI, not timed.
await api.callFunction("WhoAmI");
const started = performance.now();
const cpuBefore = process.cpuUsage();
let deltaLink;
if (mode === "all" && !from) {
  const response = await api.retrieveAll(request);
  consume(response.value);
  pages = NaN; // retrieveAll does not say how many pages it read.
  deltaLink = response.oDataDeltaLink;
} else {
  let link = from || undefined;
  for (;;) {
    const response = await api.retrieveMultiple(request, link);
    consume(response.value);
    if (response.oDataNextLink) {
      link = response.oDataNextLink;
    } else {
      deltaLink = response.oDataDeltaLink;
      break;
    }
  }
}
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
console.log(
  JSON.stringify({
    client: "dynamics-web-api",
    mode: from ? "pages" : mode,
    phase: from ? "delta" : "initial",
    changed,
    deleted,
    checksum,
    pages: Number.isNaN(pages) ? null : pages,
    seconds,
    rowsPerSecond: (changed + deleted) / seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    deltaLink,
  }),
);
