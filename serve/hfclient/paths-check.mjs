// Drives tfgw serve's paths-info with the real @huggingface/hub client (pathsInfo, fileExists,
// downloadFileToCacheDir, which names its snapshot by paths-info's lastCommit) and prints one JSON object.
// usage: node paths-check.mjs HUB_URL REPO CACHE_DIR DOWNLOAD_PATH PATH...
import { pathsInfo, fileExists, downloadFileToCacheDir } from "@huggingface/hub";
import { createHash } from "node:crypto";
import { readFile, realpath } from "node:fs/promises";

console.debug = () => {}; // the client logs "Downloading ..." on stdout, where our JSON goes
const [hubUrl, repo, cacheDir, downloadPath, ...paths] = process.argv.slice(2);
const common = { repo, hubUrl };

const plain = await pathsInfo({ ...common, paths });
const expanded = await pathsInfo({ ...common, paths, expand: true });
const exists = {};
for (const p of [...paths, downloadPath]) {
  exists[p] = await fileExists({ ...common, path: p });
}
const pointer = await downloadFileToCacheDir({ ...common, path: downloadPath, cacheDir });
const bytes = await readFile(pointer);
console.log(JSON.stringify({
  plain,
  expanded: expanded.map((e) => ({ ...e, lastCommit: e.lastCommit && { id: e.lastCommit.id, date: e.lastCommit.date.toISOString() } })),
  exists,
  download: { pointer, blob: await realpath(pointer), size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") },
}));
