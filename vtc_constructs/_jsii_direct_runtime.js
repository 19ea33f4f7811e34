// jsii's kernel, started without jsii's relay process. Run by jsii's Python side as `node <this file>` when
// vtc_constructs/_direct_runtime.py sets JSII_RUNTIME; VTC_JSII_PROGRAM names a private copy of jsii's own
// lib/program.js (the kernel), next to its lib/runtime-index-worker.js.
//
// jsii's default entry point (bin/jsii-runtime.js) spawns the kernel as a second Node process that talks over file
// descriptor 3, and relays every request and response between Python's pipes and that descriptor. Each of the
// ~600 calls a stack makes per environment therefore crosses two extra pipes and wakes an extra process: about
// 0.1 ms of the ~0.23 ms a call costs. Here the kernel reads Python's requests from stdin and answers on stdout.
//
// The relay also keeps JavaScript's console output off the protocol channel by wrapping it in JSON lines on stderr
// ({"stdout": base64} / {"stderr": base64}), which jsii's Python side decodes. This file does the same, so a
// console.log in any library cannot corrupt the channel and output still reaches Python's stdout and stderr.
//
// The kernel's source is changed in exactly one place, the descriptors of its channel; if that text is not there
// exactly once (another jsii release), the process exits with status 70 and says so instead of guessing.
"use strict";
const fs = require("fs");
const path = require("path");
const Module = require("module");
const { Writable } = require("stream");

const CHANNEL = "readFD:3,writeFD:3";
const DIRECT = "readFD:0,writeFD:1";

function fail(message) {
  fs.writeSync(2, `vtc_constructs direct jsii runtime: ${message}\n` +
    "Set VTC_JSII_DIRECT=0 to use jsii's own runtime (slower, same output).\n");
  process.exit(70);
}

// jsii's relay starts the kernel with --preserve-symlinks, and the kernel reads that flag from process.execArgv to
// decide how it lays out its package cache: with it, one symbolic link per package; without it, a copy of every
// directory (the provider alone has ~2,100), made at start and removed at exit (~0.7 s). The flag itself reaches
// Node's module loader through NODE_OPTIONS, set by _direct_runtime.py; the kernel is told here.
if (!(process.env.NODE_OPTIONS || "").split(/\s+/).includes("--preserve-symlinks")) {
  fail("NODE_OPTIONS must contain --preserve-symlinks (jsii's kernel resolves its packages through symbolic links)");
}
process.execArgv.push("--preserve-symlinks");

const program = process.env.VTC_JSII_PROGRAM;
if (!program || !fs.existsSync(program)) {
  fail(`VTC_JSII_PROGRAM does not name jsii's kernel program (got ${JSON.stringify(program)})`);
}
const source = fs.readFileSync(program, "utf8");
const found = source.split(CHANNEL).length - 1;
if (found !== 1) {
  fail(`${program}: expected the channel setup '${CHANNEL}' exactly once, found it ${found} times`);
}

function consoleStream(key) {
  return new Writable({
    write(chunk, encoding, callback) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, encoding);
      fs.writeSync(2, `${JSON.stringify({ [key]: bytes.toString("base64") })}\n`);
      callback();
    },
  });
}

// Before anything touches them: process.stdout would otherwise open descriptor 1, the protocol channel, as a
// stream (and make it non-blocking).
for (const key of ["stdout", "stderr"]) {
  const stream = consoleStream(key);
  Object.defineProperty(process, key, { configurable: true, enumerable: true, get: () => stream });
}

const kernel = new Module(program, module);
kernel.filename = program;
kernel.paths = Module._nodeModulePaths(path.dirname(program));
kernel._compile(source.replace(CHANNEL, DIRECT), program);
