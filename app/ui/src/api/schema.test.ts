// @vitest-environment node
import { checkedIn, generate } from "../../scripts/api-types.mjs";

// The checked-in types must be what openapi-typescript makes of the checked-in schema (and
// tests/unit/test_api_types.py checks that schema against the server): `make api-types` fixes both.
test("src/api/schema.gen.ts is generated from openapi.json", async () => {
  expect(checkedIn()).toBe(await generate());
});
