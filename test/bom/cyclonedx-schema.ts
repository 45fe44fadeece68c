import { readFileSync } from 'node:fs';
import * as CDX from '@cyclonedx/cyclonedx-library';
import Ajv from 'ajv';
import ajvFormats from 'ajv-formats';

// The same set-up as the library's own JSON validator (its _optPlug ajv plug-in), which needs
// ajv-formats-draft2019 for `idn-email` only; that package is not installed, so `idn-email` is
// checked as a plain e-mail here (no BOM Bulwark writes carries one).
const AjvCtor = Ajv.default;
const addFormats = ajvFormats.default;

// `_Resources` (the bundled schema paths) is exported at run time but not in the type declarations.
const files = (CDX as unknown as { _Resources: { FILES: unknown } })._Resources.FILES as { CDX: { JSON_SCHEMA: Record<string, string | undefined> }; SPDX: { JSON_SCHEMA: string }; JSF: { JSON_SCHEMA: string }; CryptoDefs: { JSON_SCHEMA: string } };
const schemaPath = files.CDX.JSON_SCHEMA['1.6']!;
const read = (p: string): object => JSON.parse(readFileSync(p, 'utf8')) as object;

const ajv = new AjvCtor({
  strict: false,
  strictSchema: false,
  allErrors: true,
  schemas: {
    'http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json': read(files.SPDX.JSON_SCHEMA),
    'http://cyclonedx.org/schema/cryptography-defs.SNAPSHOT.schema.json': read(files.CryptoDefs.JSON_SCHEMA),
    'http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json': read(files.JSF.JSON_SCHEMA),
  },
});
addFormats(ajv);
ajv.addFormat('idn-email', /^[^\s@]+@[^\s@]+$/);
ajv.addFormat('iri-reference', true);
const validate = ajv.compile(read(schemaPath));

/** Validates a CycloneDX 1.6 JSON document against the schema bundled in @cyclonedx/cyclonedx-library. */
export function cyclonedxSchemaErrors(doc: unknown): unknown[] {
  return validate(doc) ? [] : [...(validate.errors ?? [])];
}
