'use strict';
// Combines the PouchDB harness's results and mpp_bench's into one markdown + JSON report,
// each figure beside its reference, each goal marked met or not.
// Usage: node report.js pouch.json mpp.json api.txt report.md report.json
const fs = require('fs');
const [pouchFile, mppFile, apiFile, mdFile, jsonFile] = process.argv.slice(2);
const pouch = JSON.parse(fs.readFileSync(pouchFile, 'utf8'));
const mpp = JSON.parse(fs.readFileSync(mppFile, 'utf8'));
const api = fs.readFileSync(apiFile, 'utf8');

const p = (n, step) => pouch.summary.find((r) => r.n === n && r.step === step);
const m = (n) => mpp.runs.find((r) => r.n === n);
const kb = (b) => (b / 1000).toFixed(1) + ' kB';
const mb = (b) => (b / 1e6).toFixed(2) + ' MB';
const x = (v) => v.toFixed(2) + '×';
const goal = (ok) => (ok ? 'met' : '**not met**');
const lines = [];
const goals = [];
const out = { pouch: pouch.summary, mpp, goals };

lines.push('# mppsync benchmark report', '');
lines.push(`Machine: ${mpp.machine.cores} cores. mppsync over HTTPS with mutual TLS through a byte-counting relay ` +
  '(wire bytes = TLS records, both ways); PouchDB over plain HTTP (bytes counted in its server). ' +
  'One run each; PouchDB durability is leveldb without fsync, mppsync commits with synchronous=FULL.', '');

lines.push('## Full push, site → centre', '');
lines.push('| N | PouchDB s | PouchDB tx/s | PouchDB up / down | mppsync s | mppsync tx/s | mppsync up / down (wire) | rate ratio | bytes-up ratio |');
lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const run of mpp.runs) {
  const pp = p(run.n, 'full_push');
  const f = run.full_push;
  const rate = run.full_push_tx_per_s;
  lines.push(`| ${run.n} | ${pp ? pp.median_s.toFixed(2) : '–'} | ${pp ? pp.docs_per_s : '–'} | ${pp ? mb(pp.c2s_bytes) + ' / ' + mb(pp.s2c_bytes) : '–'} | ` +
    `${f.seconds.toFixed(2)} | ${Math.round(rate)} | ${mb(f.wire_up)} / ${kb(f.wire_down)} | ${pp ? x(rate / pp.docs_per_s) : '–'} | ${pp ? x(pp.c2s_bytes / f.wire_up) + ' fewer' : '–'} |`);
  if (pp) goals.push({ goal: `full push ${run.n}: ≥ 20× PouchDB's rate`, value: rate / pp.docs_per_s, met: rate / pp.docs_per_s >= 20 });
}
lines.push('');

lines.push('## Bytes against the data\'s own entropy', '');
for (const run of mpp.runs.filter((r) => r.ndjson_zstd19_bytes)) {
  const ratio = run.full_push.wire_up / run.ndjson_zstd19_bytes;
  const pp = p(run.n, 'full_push');
  lines.push(`- N=${run.n}: NDJSON ${mb(run.ndjson_bytes)}, zstd -19 ${mb(run.ndjson_zstd19_bytes)}; mppsync sends ${mb(run.full_push.wire_up)} (${x(ratio)} of it)` +
    (pp ? `, PouchDB ${mb(pp.c2s_bytes)} (${x(pp.c2s_bytes / run.ndjson_zstd19_bytes)}).` : '.'));
  goals.push({ goal: `bytes up at ${run.n} within 1.5× of zstd -19`, value: ratio, met: ratio <= 1.5 });
}
lines.push('');

lines.push('## Incremental, nothing to do, first pull', '');
lines.push('| N | step | PouchDB s | PouchDB bytes up / down | mppsync s | mppsync wire up / down |');
lines.push('| --- | --- | --- | --- | --- | --- |');
for (const run of mpp.runs) {
  const pi = p(run.n, 'incr_push'), pn = p(run.n, 'noop_push'), pf = p(run.n, 'first_pull');
  const i = run.incremental_200, n = run.noop;
  lines.push(`| ${run.n} | 100 new + 100 updated | ${pi ? pi.median_s.toFixed(3) : '–'} | ${pi ? kb(pi.c2s_bytes) + ' / ' + kb(pi.s2c_bytes) : '–'} | ${i.seconds.toFixed(3)} | ${kb(i.wire_up)} / ${kb(i.wire_down)} |`);
  lines.push(`| ${run.n} | nothing to do | ${pn ? pn.median_s.toFixed(3) : '–'} | ${pn ? kb(pn.c2s_bytes) + ' / ' + kb(pn.s2c_bytes) : '–'} | ${n.seconds.toFixed(3)} | ${kb(n.wire_up)} / ${kb(n.wire_down)} (HTTP ${kb(n.http_up)} / ${kb(n.http_down)}) |`);
  lines.push(`| ${run.n} | first pull after the push | ${pf ? pf.median_s.toFixed(3) : '–'} | ${pf ? kb(pf.c2s_bytes) + ' / ' + kb(pf.s2c_bytes) : '–'} | (inside the sync above: a pull of 0 changes) | – |`);
  goals.push({ goal: `sync with nothing to do at ${run.n}: ≤ 2 kB both ways on the wire`, value: n.wire_up + n.wire_down, met: n.wire_up + n.wire_down <= 2000 });
}
const big = mpp.runs[mpp.runs.length - 1], r100 = m(100000);
if (big && r100 && big.n > 100000) {
  const grow = big.incremental_200.wire_up / r100.incremental_200.wire_up;
  lines.push('', `Incremental after ${r100.n}: ${r100.incremental_200.seconds.toFixed(3)} s, ${kb(r100.incremental_200.wire_up)} up; after ${big.n}: ${big.incremental_200.seconds.toFixed(3)} s, ${kb(big.incremental_200.wire_up)} up.`);
  goals.push({ goal: 'incremental push does not grow with the database (1M vs 100k bytes)', value: grow, met: grow < 1.2 });
}
lines.push('');

lines.push('## Centre apply rate against the physical limit', '');
for (const run of mpp.runs) {
  lines.push(`- N=${run.n}: full push ${Math.round(run.full_push_tx_per_s)} tx/s end to end; the same rows straight into SQLite in one transaction: ${Math.round(run.raw_sqlite_rows_per_s)} rows/s (${(100 * run.apply_vs_raw).toFixed(0)}%).`);
  goals.push({ goal: `push at ${run.n} ≥ 50% of raw SQLite`, value: run.apply_vs_raw, met: run.apply_vs_raw >= 0.5 });
}
lines.push('');

if (mpp.many_sites) {
  const s = mpp.many_sites;
  lines.push('## Many sites at once', '');
  lines.push(`${s.sites} sites pushing at the same moment, each over its own mutual-TLS connection: ${s.changes} changes in ${s.seconds.toFixed(2)} s (${Math.round(s.changes_per_s)} changes/s), ${s.requests} requests, push latency p50 ${s.p50_ms.toFixed(1)} ms, p99 ${s.p99_ms.toFixed(1)} ms, ${s.errors} errors.`, '');
  goals.push({ goal: `${s.sites} sites at once: 0 errors`, value: s.errors, met: s.errors === 0 });
}

lines.push('## Peak memory during the largest sync', '');
for (const run of mpp.runs) {
  const f = run.full_push;
  const pp = p(run.n, 'full_push');
  lines.push(`- N=${run.n}: mpp-central ${f.central_peak_rss_mib.toFixed(1)} MiB, site side (mppctl sync) ${f.client_peak_rss_mib.toFixed(1)} MiB` +
    (pp ? `; PouchDB server ${pp.peak_rss_server_mb} MB, client ${pp.peak_rss_client_mb} MB.` : '.'));
}
if (big) {
  goals.push({ goal: `peak RSS ≤ 64 MiB each during the ${big.n} sync`, value: Math.max(big.full_push.central_peak_rss_mib, big.full_push.client_peak_rss_mib),
    met: big.full_push.central_peak_rss_mib <= 64 && big.full_push.client_peak_rss_mib <= 64 });
}
lines.push('');

if (mpp.link_profiles) {
  lines.push('## Link profiles (relay with latency, rate cap and cuts)', '');
  lines.push('| profile | tx | seconds | ideal s | ratio | wire | attempts | cuts |');
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const l of mpp.link_profiles) {
    lines.push(`| ${l.profile} | ${l.transactions} | ${l.seconds.toFixed(1)} | ${l.ideal_seconds.toFixed(1)} | ${x(l.ratio)} | ${kb(l.wire_bytes)} | ${l.attempts} | ${l.cuts} |`);
    goals.push({ goal: `${l.profile}: ≤ 1.5× ideal`, value: l.ratio, met: l.ratio <= 1.5 });
  }
  lines.push('', 'Ideal = wire bytes at the link rate + one round trip each for TCP, TLS and every request.', '');
}

lines.push('## Office API (mpp-node) against SQLite', '', '```', api.trim(), '```', '');
lines.push('## Goals', '', '| goal | value | |', '| --- | --- | --- |');
for (const g of goals) lines.push(`| ${g.goal} | ${typeof g.value === 'number' ? +g.value.toFixed(2) : g.value} | ${goal(g.met)} |`);
fs.writeFileSync(mdFile, lines.join('\n') + '\n');
fs.writeFileSync(jsonFile, JSON.stringify(out, null, 2) + '\n');
