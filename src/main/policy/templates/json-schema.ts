// The JSON Schema of the Linux policy file (/etc/attache/policy.json and policy.d/*.json),
// generated from the settings schema, so editors and configuration management can check a
// policy file before it reaches a laptop.
import type { SettingDefinition } from '../schema.js';
import { SETTINGS, SETTING_KEYS } from '../schema.js';

function typeOf(definition: SettingDefinition<unknown>): Record<string, unknown> {
  const { kind } = definition;
  switch (kind.type) {
    case 'text':
      return definition.name === 'Scopes'
        ? { type: ['string', 'array'], items: { type: 'string' } }
        : { type: 'string', minLength: 1 };
    case 'number':
      return { type: 'number', minimum: kind.min, maximum: kind.max };
    case 'choice':
      return { type: 'string', enum: kind.choices.map((choice) => choice.value) };
    case 'list':
      return { type: 'array', items: { type: 'string', pattern: '^https://' } };
  }
}

export function buildJsonSchema(): string {
  const properties: Record<string, unknown> = {
    $schema: { type: 'string', description: 'The address of this schema, for editors.' },
  };
  for (const key of SETTING_KEYS) {
    const definition = SETTINGS[key] as SettingDefinition<unknown>;
    properties[definition.name] = {
      title: definition.title,
      description: definition.description,
      ...typeOf(definition),
      ...(definition.default !== undefined && definition.default !== null
        ? { default: definition.default }
        : {}),
    };
  }
  const schema = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://attache.example.gov.au/schemas/policy.schema.json',
    title: 'Attaché managed policy (Linux)',
    description:
      'Generated from src/main/policy/schema.ts by `npm run policy:templates`. Do not edit. Files: /etc/attache/policy.json, then /etc/attache/policy.d/*.json in name order.',
    type: 'object',
    additionalProperties: false,
    properties,
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}
