// Runs inside jsii's Node process (the kernel), loaded there as a tiny jsii assembly of its own by
// vtc_constructs/_fastpath/node.py, before the AWS provider's assembly is loaded.
//
// jsii's kernel loads an assembly by resolving its package name (require.resolve) and requiring the result. For
// @cdktf/provider-aws that is lib/index.js, which requires all ~2,100 resource modules up front (about 1.5 s and
// 450 MB here). The same package ships lib/lazy-index.js, generated alongside it, which exports the same namespaces
// as getters that require each module on first use. This hook resolves that one request to the lazy index; every
// other request is untouched, and if the package has no lazy index the normal index loads (slower, same result).
"use strict";
const Module = require("module");
const path = require("path");
const fs = require("fs");

const PACKAGE = "@cdktf/provider-aws";
const MARK = Symbol.for("vtc-constructs.lazy-provider-hook");

if (!Module[MARK]) {
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
  Module[MARK] = true;
}
