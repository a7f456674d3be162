// Group Policy templates for Windows (ADMX with its en-US ADML), generated from the settings
// schema: one policy per setting under Software\Policies\Attache, for the machine and the user
// (class "Both"), in a category per kind of setting, with its explanation; choices are
// drop-down lists, numbers bounded boxes, lists list boxes (values 1, 2, 3... in a subkey).
import type { SettingDefinition } from '../schema.js';
import { SETTINGS, SETTING_CATEGORIES, SETTING_KEYS } from '../schema.js';
import type { SettingCategory } from '../schema.js';

export const ADMX_REGISTRY_KEY = 'Software\\Policies\\Attache';
export const ADMX_NAMESPACE = 'Attache.Policies.Attache';
const SUPPORTED = 'SUPPORTED_Attache_0_1';
const ROOT_CATEGORY = 'Attache';

export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

const categoryId = (category: SettingCategory) =>
  `Attache_${category[0]!.toUpperCase()}${category.slice(1)}`;

const definitions = (): SettingDefinition<unknown>[] =>
  SETTING_KEYS.map((key) => SETTINGS[key] as SettingDefinition<unknown>);

function element(definition: SettingDefinition<unknown>): string {
  const { name, kind } = definition;
  switch (kind.type) {
    case 'text':
      return `<text id="${name}" valueName="${name}" required="true" maxLength="1024" />`;
    case 'number':
      return `<decimal id="${name}" valueName="${name}" required="true" minValue="${kind.min}" maxValue="${kind.max}" />`;
    case 'list':
      return `<list id="${name}" key="${ADMX_REGISTRY_KEY}\\${name}" valuePrefix="" />`;
    case 'choice':
      return [
        `<enum id="${name}" valueName="${name}" required="true">`,
        ...kind.choices.map(
          (choice, index) =>
            `            <item displayName="$(string.${name}_${index})"><value><string>${escapeXml(choice.value)}</string></value></item>`,
        ),
        '          </enum>',
      ].join('\n');
  }
}

export function buildAdmx(appVersion: string): string {
  const categories = Object.keys(SETTING_CATEGORIES) as SettingCategory[];
  const policies = definitions().map((definition) =>
    [
      `    <policy name="${definition.name}" class="Both" displayName="$(string.${definition.name})" explainText="$(string.${definition.name}_Explain)" presentation="$(presentation.${definition.name})" key="${ADMX_REGISTRY_KEY}">`,
      `      <parentCategory ref="${categoryId(definition.category)}" />`,
      `      <supportedOn ref="${SUPPORTED}" />`,
      '      <elements>',
      `          ${element(definition)}`,
      '      </elements>',
      '    </policy>',
    ].join('\n'),
  );
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<!-- Generated from src/main/policy/schema.ts by \`npm run policy:templates\` (Attaché ${escapeXml(appVersion)}). Do not edit. -->`,
    '<policyDefinitions xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" revision="1.0" schemaVersion="1.0" xmlns="http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions">',
    '  <policyNamespaces>',
    // Self-contained: no <using> of Windows' own ADMX, which Intune would ask to import first.
    `    <target prefix="attache" namespace="${ADMX_NAMESPACE}" />`,
    '  </policyNamespaces>',
    '  <resources minRequiredRevision="1.0" />',
    '  <supportedOn>',
    '    <definitions>',
    `      <definition name="${SUPPORTED}" displayName="$(string.${SUPPORTED})" />`,
    '    </definitions>',
    '  </supportedOn>',
    '  <categories>',
    `    <category name="${ROOT_CATEGORY}" displayName="$(string.${ROOT_CATEGORY})" />`,
    ...categories.map(
      (category) =>
        `    <category name="${categoryId(category)}" displayName="$(string.${categoryId(category)})"><parentCategory ref="${ROOT_CATEGORY}" /></category>`,
    ),
    '  </categories>',
    '  <policies>',
    ...policies,
    '  </policies>',
    '</policyDefinitions>',
    '',
  ].join('\n');
}

function presentation(definition: SettingDefinition<unknown>): string {
  const { name, kind, title } = definition;
  const label = escapeXml(`${title}:`);
  switch (kind.type) {
    case 'text':
      return `<textBox refId="${name}"><label>${label}</label></textBox>`;
    case 'number':
      return `<decimalTextBox refId="${name}" defaultValue="${typeof definition.default === 'number' ? definition.default : kind.min}">${label}</decimalTextBox>`;
    case 'list':
      return `<listBox refId="${name}">${label}</listBox>`;
    case 'choice': {
      const index = Math.max(
        0,
        kind.choices.findIndex((choice) => choice.value === definition.default),
      );
      return `<dropdownList refId="${name}" noSort="true" defaultItem="${index}">${label}</dropdownList>`;
    }
  }
}

function explain(definition: SettingDefinition<unknown>): string {
  const parts = [definition.description];
  if (definition.personal) {
    parts.push('When this policy is set, people cannot change this setting in Attaché.');
  }
  if (definition.required) {
    parts.push('Required: Attaché shows "not set up on this device" until it is set.');
  } else if (definition.default !== undefined) {
    parts.push(`Not configured: ${definition.describe(definition.default)}.`);
  }
  return parts.join('\n\n');
}

export function buildAdml(appVersion: string): string {
  const strings: [string, string][] = [
    [ROOT_CATEGORY, 'Attaché'],
    [SUPPORTED, `Attaché ${appVersion} and later`],
    ...(Object.entries(SETTING_CATEGORIES) as [SettingCategory, string][]).map(
      ([category, title]): [string, string] => [categoryId(category), title],
    ),
  ];
  for (const definition of definitions()) {
    strings.push([definition.name, definition.title]);
    strings.push([`${definition.name}_Explain`, explain(definition)]);
    if (definition.kind.type === 'choice') {
      definition.kind.choices.forEach((choice, index) =>
        strings.push([`${definition.name}_${index}`, choice.label]),
      );
    }
  }
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<!-- Generated from src/main/policy/schema.ts by \`npm run policy:templates\` (Attaché ${escapeXml(appVersion)}). Do not edit. -->`,
    '<policyDefinitionResources xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" revision="1.0" schemaVersion="1.0" xmlns="http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions">',
    '  <displayName>Attaché</displayName>',
    '  <description>Settings of the Attaché briefing reader.</description>',
    '  <resources>',
    '    <stringTable>',
    ...strings.map(([id, text]) => `      <string id="${id}">${escapeXml(text)}</string>`),
    '    </stringTable>',
    '    <presentationTable>',
    ...definitions().map(
      (definition) =>
        `      <presentation id="${definition.name}">${presentation(definition)}</presentation>`,
    ),
    '    </presentationTable>',
    '  </resources>',
    '</policyDefinitionResources>',
    '',
  ].join('\n');
}
