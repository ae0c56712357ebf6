/**
 * `npm run bench:ask`: latency of POST /v1/ask over real HTTP.
 *   npm run bench:ask                       the sample knowledge base: extractive and test-LLM modes, cache hits, replicas
 *   npm run bench:ask -- --scale 10k,100k   synthetic tables of those sizes: per-stage breakdown beside raw LanceDB and model times
 */
if (process.argv.includes('--scale')) await import('./ask-scale.js');
else await import('./ask-sample.js');
