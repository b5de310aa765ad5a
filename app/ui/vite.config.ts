/// <reference types="vitest/config" />
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import preact from "@preact/preset-vite";
import { defineConfig, type Plugin } from "vite";

// package.json overrides `rollup` with @rollup/wasm-node: one package for every platform. The native
// rollup ships per-platform optional packages, and a registry mirror that serves only some of them
// yields a package-lock.json that `npm ci` rejects; the wasm build is fast enough for this small app.
//
// `npm run dev` serves the UI with hot reload and sends API calls to a running `shiori serve`.
const api = process.env.SHIORI_API ?? "http://127.0.0.1:8000";

// /docs: Swagger UI from the pinned swagger-ui-dist package (package-lock.json holds its integrity
// hash), copied into dist/api-docs/ and served by Shiori, so the page where the API key lives never
// runs a script from a CDN. public/api-docs/init.js starts it.
function apiDocsAssets(): Plugin {
  const require = createRequire(import.meta.url);
  return {
    name: "shiori-api-docs-assets",
    apply: "build",
    generateBundle() {
      for (const name of ["swagger-ui-bundle.js", "swagger-ui.css"]) {
        this.emitFile({
          type: "asset",
          fileName: `api-docs/${name}`,
          source: readFileSync(require.resolve(`swagger-ui-dist/${name}`)),
        });
      }
    },
  };
}

export default defineConfig({
  plugins: [preact(), apiDocsAssets()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2020",
    sourcemap: false,
    chunkSizeWarningLimit: 300,
  },
  server: {
    proxy: {
      "/api": api,
      "/v1": api,
      "/readyz": api,
      "/healthz": api,
    },
  },
  test: {
    environment: "jsdom",
    globals: true,
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
