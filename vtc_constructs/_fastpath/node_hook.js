// Preloaded into jsii's Node process by vtc_constructs/_lazy_provider.py (NODE_OPTIONS=--require ...). Two things:
//
// 1. The provider's lazy index. jsii's kernel loads an assembly with `require(<package name>)`. For
//    @cdktf/provider-aws that is lib/index.js, which requires all ~2,100 resource modules up front (about 1.5 s and
//    450 MB here). The same package ships lib/lazy-index.js, generated alongside it, which exports the same
//    namespaces as getters that require each module on first use. This hook resolves that one request to the lazy
//    index; every other request is untouched, and if the package has no lazy index the normal index loads (slower,
//    same result).
//
// 2. cdktf's token creation stacks. cdktf records a full JavaScript stack trace for every token it creates (every
//    `.id`/`.arn` read, every reference, every computed list): Error.captureStackTrace with no depth limit, then
//    formatted into strings. It is used only to decorate the message of an error about that token, and under jsii
//    the stack holds nothing but the kernel's and cdktf's own frames (the Python caller is not on it). It cost ~0.03 s
//    per environment of our stacks. cdktf's module is left as it is except that its captureStackTrace returns one
//    line saying it was not recorded; the synthesized output does not contain it (tested byte-identical).
"use strict";
const Module = require("module");
const path = require("path");
const fs = require("fs");

const PACKAGE = "@cdktf/provider-aws";
const resolveFilename = Module._resolveFilename;

Module._resolveFilename = function (request, parent, isMain, options) {
  const resolved = resolveFilename.call(this, request, parent, isMain, options);
  if (request === PACKAGE && path.basename(resolved) === "index.js") {
    const lazy = path.join(path.dirname(resolved), "lazy-index.js");
    if (fs.existsSync(lazy)) {
      return lazy;
    }
  }
  return resolved;
};

const STACK_TRACE_MODULE = path.join("cdktf", "lib", "tokens", "private", "stack-trace.js");
const NOT_RECORDED = Object.freeze([
  "(creation stack not recorded: under jsii it shows only jsii's and cdktf's own frames; " +
    "set VTC_EAGER_PROVIDER=1 to record it)",
]);
const loadJs = Module._extensions[".js"];

Module._extensions[".js"] = function (module, filename) {
  loadJs.call(this, module, filename);
  if (filename.endsWith(path.sep + STACK_TRACE_MODULE) && typeof module.exports.captureStackTrace === "function") {
    module.exports.captureStackTrace = () => [...NOT_RECORDED];
  }
};
