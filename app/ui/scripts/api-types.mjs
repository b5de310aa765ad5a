// The UI's API types, generated from the server's OpenAPI schema (app/ui/openapi.json, written by
// `make api-types`) with openapi-typescript. `node scripts/api-types.mjs` writes src/api/schema.gen.ts;
// src/api/schema.test.ts fails when the checked-in file differs from what this generates.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";

export const SCHEMA = fileURLToPath(new URL("../openapi.json", import.meta.url));
export const OUTPUT = fileURLToPath(new URL("../src/api/schema.gen.ts", import.meta.url));
const BANNER = "// Generated from openapi.json by scripts/api-types.mjs (`make api-types`). Do not edit.\n\n";

export async function generate() {
  const ast = await openapiTS(JSON.parse(readFileSync(SCHEMA, "utf8")));
  return BANNER + astToString(ast);
}

export function checkedIn() {
  return readFileSync(OUTPUT, "utf8");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(OUTPUT, await generate());
}
