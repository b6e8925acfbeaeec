// Drives a tfgw serve instance with the real @huggingface/hub client and prints what it got as one JSON object.
// usage: node hf-check.mjs HUB_URL REPO [ACCESS_TOKEN]
import { listFiles, downloadFile, parseSafetensorsMetadata, modelInfo } from "@huggingface/hub";
import { createHash } from "node:crypto";

const [hubUrl, repo, accessToken] = process.argv.slice(2);
const common = { repo, hubUrl, ...(accessToken ? { accessToken } : {}) };

const files = [];
for await (const f of listFiles({ ...common, recursive: true })) {
  files.push({ type: f.type, path: f.path, size: f.size });
}
const meta = await parseSafetensorsMetadata({ ...common });
const blob = await downloadFile({ ...common, path: "model.safetensors" });
const bytes = Buffer.from(await blob.arrayBuffer());
// a range read through the client's Blob, as parsers of big files do
const slice = Buffer.from(await blob.slice(8, 16).arrayBuffer());
const info = await modelInfo({ name: repo, hubUrl, ...(accessToken ? { accessToken } : {}), additionalFields: ["filePaths"] });
console.log(JSON.stringify({
  files,
  header: meta.header,
  download: { size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") },
  slice: slice.toString("hex"),
  modelInfo: { name: info.name, filePaths: info.filePaths, updatedAt: info.updatedAt },
}));
