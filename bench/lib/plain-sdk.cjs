'use strict';
// Second, never-patched copies of the MCP SDK packages, for measuring instrumented and plain SDKs side by
// side in one process. A copy at another path is another module instance with its own `Protocol` class (each
// 2.x package bundles its own), and copies required before the instrumentation is enabled are never patched.
// They live under bench/.cache/plain-sdk/node_modules so their dependencies (zod, core, …) still resolve
// from the workspace.
const fs = require('node:fs');
const path = require('node:path');

const PACKAGES = ['@modelcontextprotocol/sdk', '@modelcontextprotocol/server', '@modelcontextprotocol/client'];
const root = path.join(__dirname, '..', '.cache', 'plain-sdk', 'node_modules');

/** The installed package's directory (some packages do not export `./package.json`). */
function packageDir(name) {
  for (const dir of require.resolve.paths(name) ?? []) {
    if (fs.existsSync(path.join(dir, name, 'package.json'))) return path.join(dir, name);
  }
  throw new Error(`${name} is not installed (npm ci in the workspace)`);
}

/** Copies each package unless a copy of the same version is there; returns the copies' root. */
function ensurePlainCopies() {
  for (const name of PACKAGES) {
    const source = packageDir(name);
    const target = path.join(root, name);
    const version = (dir) => {
      try {
        return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
      } catch {
        return undefined;
      }
    };
    if (version(target) === version(source)) continue;
    fs.rmSync(target, { recursive: true, force: true });
    // The package's own files only (a nested node_modules would be copied deps, resolved upward instead).
    fs.cpSync(source, target, { recursive: true, filter: (p) => !path.relative(source, p).split(path.sep).includes('node_modules') });
  }
  return root;
}

/** The classes a bench pair needs, from the copies (`plain`) or the workspace's own install. */
function loadSdk(major, plain) {
  const req = plain ? (id) => require(require.resolve(id, { paths: [path.dirname(root)] })) : require;
  if (major === 2) {
    const server = req('@modelcontextprotocol/server');
    return { McpServer: server.McpServer, Client: req('@modelcontextprotocol/client').Client, InMemoryTransport: server.InMemoryTransport };
  }
  return {
    McpServer: req('@modelcontextprotocol/sdk/server/mcp.js').McpServer,
    Client: req('@modelcontextprotocol/sdk/client/index.js').Client,
    InMemoryTransport: req('@modelcontextprotocol/sdk/inMemory.js').InMemoryTransport,
  };
}

module.exports = { ensurePlainCopies, loadSdk };
