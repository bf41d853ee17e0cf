// Golden face detections and 68-point landmarks from @vladmandic/face-api 1.7.15 on the pure JavaScript
// TensorFlow.js CPU backend, for tests that compare FaceNet.NET's detectors and landmark network with it.
//
// Input: a folder with images.json ([{ "name", "width", "height", ... }]) and one <name>.rgb per image, the
// pixels as FaceNet.NET's ImageDecoder decodes them: height x width x 3 bytes, row-major, R G B. Other
// fields of an entry (the test data uses "source", an LFW path, and "region", the x, y, width, height cut
// from it) are copied to the output unchanged.
// Output (stdout): JSON with, per image and detector (tiny at input size 416, ssd), every detection's box
// (x, y, width, height in image pixels), score, and its landmarks relative to the face crop
// (unshiftedLandmarks) and in image pixels (landmarks), one image per line.
//
// Usage: npm install --ignore-scripts (the package.json of this folder), then
//   node detect.mjs INPUT_DIR > face-api-detections.json
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

// The CommonJS builds load under Node without bundling; face-api's node-wasm build shares this tfjs instance,
// and the CPU backend is selected below, so the WASM backend it registers is never used.
const require = createRequire(import.meta.url);
const tf = require('@tensorflow/tfjs');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');

const inputDir = process.argv[2];
if (!inputDir) {
  console.error('usage: node detect.mjs INPUT_DIR (a folder with images.json and <name>.rgb files)');
  process.exit(2);
}

const modelDir = path.join(path.dirname(new URL(import.meta.url).pathname), 'node_modules', '@vladmandic',
  'face-api', 'model');

// Reads a TensorFlow.js manifest and its binary files and returns the named, dequantised tensors.
function loadWeightMap(baseName) {
  const manifest = JSON.parse(fs.readFileSync(path.join(modelDir, `${baseName}-weights_manifest.json`), 'utf8'));
  const map = {};
  for (const group of manifest) {
    const buffers = group.paths.map((p) => fs.readFileSync(path.join(modelDir, p)));
    const joined = Buffer.concat(buffers);
    const bytes = joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength);
    Object.assign(map, tf.io.decodeWeights(bytes, group.weights));
  }
  return map;
}

function round(value) {
  return Math.round(value * 1e6) / 1e6;
}

function point(p) {
  return [round(p.x), round(p.y)];
}

async function main() {
  await tf.setBackend('cpu');
  await tf.ready();
  faceapi.nets.tinyFaceDetector.loadFromWeightMap(loadWeightMap('tiny_face_detector_model'));
  faceapi.nets.ssdMobilenetv1.loadFromWeightMap(loadWeightMap('ssd_mobilenetv1_model'));
  faceapi.nets.faceLandmark68Net.loadFromWeightMap(loadWeightMap('face_landmark_68_model'));

  const images = JSON.parse(fs.readFileSync(path.join(inputDir, 'images.json'), 'utf8'));
  const lines = [];
  const detectors = {
    tiny: new faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: 0.5 }),
    ssd: new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5, maxResults: 100 }),
  };
  for (const image of images) {
    const { name, width, height } = image;
    const bytes = fs.readFileSync(path.join(inputDir, `${name}.rgb`));
    if (bytes.length !== width * height * 3) {
      throw new Error(`${name}.rgb has ${bytes.length} bytes; ${width}x${height} RGB needs ${width * height * 3}`);
    }
    const tensor = tf.tensor3d(Int32Array.from(bytes), [height, width, 3], 'int32');
    const entry = { ...image };
    for (const [detector, options] of Object.entries(detectors)) {
      const results = await faceapi.detectAllFaces(tensor, options).withFaceLandmarks();
      entry[detector] = results.map((r) => ({
        box: [r.detection.box.x, r.detection.box.y, r.detection.box.width, r.detection.box.height].map(round),
        score: round(r.detection.score),
        unshiftedLandmarks: r.unshiftedLandmarks.positions.map(point),
        landmarks: r.landmarks.positions.map(point),
      }));
    }
    tensor.dispose();
    lines.push(JSON.stringify(entry));
  }
  const header = `"package":"@vladmandic/face-api 1.7.15","tfjs":"${tf.version.tfjs}","backend":"${tf.getBackend()}"`;
  process.stdout.write(`{${header},"images":[\n${lines.join(',\n')}\n]}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
