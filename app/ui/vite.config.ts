/// <reference types="vitest/config" />
import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

// package.json overrides `rollup` with @rollup/wasm-node: one package for every platform. The native
// rollup ships per-platform optional packages, and a registry mirror that serves only some of them
// yields a package-lock.json that `npm ci` rejects; the wasm build is fast enough for this small app.
//
// `npm run dev` serves the UI with hot reload and sends API calls to a running `shiori serve`.
const api = process.env.SHIORI_API ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [preact()],
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
