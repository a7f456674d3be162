// A sample configuration profile for macOS (Jamf Pro, Intune), generated from the settings
// schema: one payload for the app's bundle id holding the settings, which macOS turns into
// managed preferences (/Library/Managed Preferences/au.gov.attache.reader.plist) that Attaché
// reads. Required settings carry example values to replace; the others their defaults.
import { createHash } from 'node:crypto';
import type { PlistValue } from 'plist';
import { build } from 'plist';
import type { SettingDefinition } from '../schema.js';
import { SETTINGS, SETTING_KEYS } from '../schema.js';

export const BUNDLE_ID = 'au.gov.attache.reader';

/** Values to replace with the organisation's own: the required settings have no default. */
export const EXAMPLE_VALUES: Readonly<Record<string, PlistValue>> = {
  ServerUrl: 'https://attache.example.gov.au',
  IdentityAuthority: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/',
  ClientId: '00000000-0000-0000-0000-000000000000',
  Scopes: 'api://attache-broker/briefings.sync',
  AllowedLinkTargets: ['https://intranet.example.gov.au/'],
};

/** Stable UUIDs (version 5 style, from the identifier), so regenerating changes nothing. */
function stableUuid(identifier: string): string {
  const hex = createHash('sha1').update(identifier).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`.toUpperCase();
}

export function buildMobileconfig(): string {
  const settings: Record<string, PlistValue> = {};
  for (const key of SETTING_KEYS) {
    const definition = SETTINGS[key] as SettingDefinition<unknown>;
    // A sample sets what IT must decide; appearance is left to people unless IT adds it.
    if (definition.personal) continue;
    const example = EXAMPLE_VALUES[definition.name];
    if (example !== undefined) settings[definition.name] = example;
    else if (definition.default !== undefined && definition.default !== null) {
      settings[definition.name] = definition.default as PlistValue;
    }
  }
  const profile: PlistValue = {
    PayloadContent: [
      {
        PayloadType: BUNDLE_ID,
        PayloadIdentifier: `${BUNDLE_ID}.settings`,
        PayloadUUID: stableUuid(`${BUNDLE_ID}.settings`),
        PayloadVersion: 1,
        PayloadDisplayName: 'Attaché settings',
        ...settings,
      },
    ],
    PayloadDescription:
      'Settings of the Attaché briefing reader. Replace the example values (server, identity provider, client id, link addresses) with your organisation’s.',
    PayloadDisplayName: 'Attaché',
    PayloadIdentifier: `${BUNDLE_ID}.profile`,
    PayloadOrganization: 'Your organisation',
    PayloadScope: 'System',
    PayloadType: 'Configuration',
    PayloadUUID: stableUuid(`${BUNDLE_ID}.profile`),
    PayloadVersion: 1,
  };
  return `${build(profile)}\n`;
}
