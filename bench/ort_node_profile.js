// ONNX Runtime's own per-node times for a model, to set beside `hetrun --profile`'s table: runs
// the model with ORT's profiler on (all graph optimizations, sequential, the given threads) on
// seeded-random float inputs of the model's static shapes, and prints each node's median kernel
// time over the runs after the warm-up, slowest first, as JSON lines {node, op, median_us}.
// Usage: NODE_PATH=.deps/ort/node_modules node bench/ort_node_profile.js MODEL [THREADS] [RUNS]
const fs = require('fs');
const os = require('os');
const path = require('path');
const ort = require('onnxruntime-node');

(async () => {
  const [model, threads = '1', runs = '200'] = process.argv.slice(2);
  if (!model) {
    console.error('usage: node bench/ort_node_profile.js MODEL [THREADS] [RUNS]');
    process.exit(2);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ortprof-'));
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: Number(threads), interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all', enableProfiling: true, profileFilePrefix: path.join(dir, 'p'),
  });
  let seed = 1;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const feeds = {};
  for (const name of session.inputNames) {
    const meta = session.inputMetadata.find((m) => m.name === name);
    const dims = meta.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1)).map(random);
    feeds[name] = new ort.Tensor('float32', data, dims);
  }
  const warmup = 10, total = warmup + Number(runs);
  for (let i = 0; i < total; i++) await session.run(feeds);
  session.endProfiling();  // writes <prefix>_<date>.json in `dir`
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.json'));
  if (!file) throw new Error('ONNX Runtime wrote no profile in ' + dir);
  const events = JSON.parse(fs.readFileSync(path.join(dir, file)));
  const times = new Map();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const name = e.name.slice(0, -'_kernel_time'.length);
    if (!times.has(name)) times.set(name, {op: e.args.op_name, us: []});
    times.get(name).us.push(e.dur);
  }
  const rows = [];
  for (const [name, t] of times) {
    const us = t.us.slice(warmup).sort((a, b) => a - b);
    rows.push({node: name, op: t.op, median_us: us[Math.floor(us.length / 2)]});
  }
  rows.sort((a, b) => b.median_us - a.median_us);
  for (const r of rows) console.log(JSON.stringify(r));
  fs.rmSync(dir, {recursive: true, force: true});
})();
