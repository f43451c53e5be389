// Conformance check from the other side: the most used JavaScript client drives the emulator
// through create, retrieve, a paged query, a batch and delete. Prints "N passed, N failed".
//
//   node smoke.mjs --base http://127.0.0.1:7070/
import assert from "node:assert/strict";
import { baseUrl, client } from "./common.mjs";

const api = client(baseUrl());
const results = [];

async function check(name, body) {
  try {
    await body();
    results.push([name, null]);
    console.log(`ok    ${name}`);
  } catch (error) {
    results.push([name, error]);
    console.log(`FAIL  ${name}: ${error?.message ?? error}`);
  }
}

let leadId;
await check("create", async () => {
  leadId = await api.create({ collection: "leads", data: { subject: "peer smoke", lastname: "O'Bryan" } });
  assert.match(String(leadId), /^[0-9a-f-]{36}$/i);
});

await check("retrieve", async () => {
  const lead = await api.retrieve({ collection: "leads", key: leadId, select: ["subject", "lastname"] });
  assert.equal(lead.subject, "peer smoke");
  assert.equal(lead.lastname, "O'Bryan");
});

await check("paged query", async () => {
  for (let i = 0; i < 12; i++) {
    await api.create({ collection: "leads", data: { subject: `page ${i}`, lastname: "Pager" } });
  }
  const all = await api.retrieveAll({
    collection: "leads",
    select: ["subject"],
    filter: "lastname eq 'Pager'",
    maxPageSize: 5,
  });
  assert.equal(all.value.length, 12);
});

await check("batch", async () => {
  api.startBatch();
  for (let i = 0; i < 3; i++) {
    api.create({ collection: "leads", data: { subject: `batch ${i}`, lastname: "Batcher" } });
  }
  const responses = await api.executeBatch();
  assert.equal(responses.length, 3);
  const found = await api.retrieveMultiple({ collection: "leads", select: ["subject"], filter: "lastname eq 'Batcher'" });
  assert.equal(found.value.length, 3);
});

await check("delete", async () => {
  await api.deleteRecord({ collection: "leads", key: leadId });
  await assert.rejects(api.retrieve({ collection: "leads", key: leadId }));
});

const failed = results.filter(([, error]) => error).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
