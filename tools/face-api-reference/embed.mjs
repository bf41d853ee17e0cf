// Computes face-api descriptors for input tensors written by FaceNet.NET, for golden-value tests.
//
// usage: node embed.mjs MODEL_DIR INPUT_DIR OUTPUT.json
//   MODEL_DIR  folder with face_recognition_model-weights_manifest.json and its .bin
//              (the FaceNet.NET model cache, such as ~/.cache/facenet/models/face-api-1.7.15)
//   INPUT_DIR  folder with inputs.json ({"inputs": [{"name": ..., "file": ...}]}) and one raw file per
//              input: 150 * 150 * 3 little-endian float32 values in HWC order (RGB), pixel values 0..255,
//              exactly the tensor face-api's FaceRecognitionNet receives before its own normalisation.
//   OUTPUT.json receives {"faceApiVersion", "tfjsVersion", "backend", "descriptors": {name: [128 numbers]}}.
//
// The TensorFlow.js CPU backend (pure JavaScript) runs the network, so no native code is involved.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

// The node-wasm build is CommonJS. It loads @tensorflow/tfjs (pure JavaScript, with the CPU backend) and the
// WASM backend. The ESM builds fail under Node: the bundled one sets up a browser TextEncoder, and the
// no-bundle one imports extensionless paths that Node's ESM loader rejects.
const require = createRequire(import.meta.url);
const tf = require('@tensorflow/tfjs');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');

const INPUT_SIZE = 150;

function fail(message) {
  console.error(`error: ${message}`);
  process.exit(2);
}

const [modelDir, inputDir, outputPath] = process.argv.slice(2);
if (!modelDir || !inputDir || !outputPath) {
  fail('usage: node embed.mjs MODEL_DIR INPUT_DIR OUTPUT.json');
}

await tf.setBackend('cpu');
await tf.ready();

// Read the manifest and its weight files and decode them the way tf.io does when loading from a URL.
const manifestPath = path.join(modelDir, 'face_recognition_model-weights_manifest.json');
if (!fs.existsSync(manifestPath)) {
  fail(`${manifestPath} does not exist; run the FaceNet.NET tests once to fetch the models, or pass the cache folder.`);
}
const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
const weightMap = {};
for (const group of manifest) {
  const buffers = group.paths.map((p) => fs.readFileSync(path.join(modelDir, p)));
  const joined = Buffer.concat(buffers);
  const arrayBuffer = joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength);
  Object.assign(weightMap, tf.io.decodeWeights(arrayBuffer, group.weights));
}
const net = new faceapi.FaceRecognitionNet();
net.loadFromWeightMap(weightMap);

const list = JSON.parse(fs.readFileSync(path.join(inputDir, 'inputs.json'), 'utf8'));
const descriptors = {};
for (const { name, file } of list.inputs) {
  const bytes = fs.readFileSync(path.join(inputDir, file));
  const expected = INPUT_SIZE * INPUT_SIZE * 3 * 4;
  if (bytes.length !== expected) {
    fail(`${file} has ${bytes.length} bytes; a 150x150x3 float32 input has ${expected}.`);
  }
  const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const input = tf.tensor3d(values, [INPUT_SIZE, INPUT_SIZE, 3], 'float32');
  const descriptor = await net.computeFaceDescriptor(input);
  input.dispose();
  descriptors[name] = Array.from(descriptor);
}

const output = {
  faceApiVersion: faceapi.version,
  tfjsVersion: tf.version.tfjs,
  backend: tf.getBackend(),
  descriptors,
};
fs.writeFileSync(outputPath, JSON.stringify(output, null, 1) + '\n');
console.log(`wrote ${Object.keys(descriptors).length} descriptors to ${outputPath}`);
