// Every managed-configuration template, by the path it is committed under (deploy/policy/).
// `npm run policy:templates` writes them; tests/unit/device/policy-templates.test.ts fails when
// the committed ones differ from what the schema generates now.
import { buildAdml, buildAdmx } from './admx.js';
import { buildJsonSchema } from './json-schema.js';
import { buildMobileconfig } from './mobileconfig.plist.js';

export const TEMPLATES_DIR = 'deploy/policy';

/** The template revision names the product version whose settings it describes. */
export function buildTemplates(appVersion: string): Readonly<Record<string, string>> {
  return {
    'windows/attache.admx': buildAdmx(appVersion),
    'windows/en-US/attache.adml': buildAdml(appVersion),
    'macos/au.gov.attache.reader.mobileconfig': buildMobileconfig(),
    'linux/policy.schema.json': buildJsonSchema(),
  };
}
