// The committed managed-configuration templates are the ones the schema generates now, and each
// is what its consumer expects: the ADMX and ADML well-formed and consistent with each other and
// with what Attaché reads (policy names, registry key, value types), the configuration profile
// a property list whose payload Attaché's macOS reader accepts, the JSON Schema naming every
// setting. A change to the schema without `npm run policy:templates` fails here.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { parse } from 'plist';
import { describe, expect, it } from 'vitest';
import { POLICY_KEY } from '../../../src/main/policy/policy-source.registry.js';
import { resolveSettings } from '../../../src/main/policy/resolve.js';
import type { SettingDefinition } from '../../../src/main/policy/schema.js';
import { SETTINGS, SETTING_KEYS } from '../../../src/main/policy/schema.js';
import { TEMPLATES_DIR, buildTemplates } from '../../../src/main/policy/templates/index.js';

const repo = resolve(import.meta.dirname, '../../..');
const committed = (path: string) => readFile(join(repo, TEMPLATES_DIR, path), 'utf8');
const definitions = SETTING_KEYS.map((key) => SETTINGS[key] as SettingDefinition<unknown>);

type Node = Record<string, unknown>;
const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  isArray: (name) =>
    ['policy', 'category', 'string', 'presentation', 'item', 'definition'].includes(name),
});
const list = (value: unknown): Node[] =>
  (Array.isArray(value) ? value : value === undefined ? [] : [value]) as Node[];

describe('managed-configuration templates', () => {
  it('are committed exactly as the schema generates them', async () => {
    const manifest = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as {
      version: string;
    };
    for (const [path, text] of Object.entries(buildTemplates(manifest.version))) {
      expect(await committed(path), `${path} is out of date: run npm run policy:templates`).toBe(
        text,
      );
    }
  });

  it('give Group Policy a well-formed ADMX and ADML that match each other and the reader', async () => {
    const admxText = await committed('windows/attache.admx');
    const admlText = await committed('windows/en-US/attache.adml');
    expect(XMLValidator.validate(admxText)).toBe(true);
    expect(XMLValidator.validate(admlText)).toBe(true);
    const admx = (xml.parse(admxText) as Node)['policyDefinitions'] as Node;
    const adml = (xml.parse(admlText) as Node)['policyDefinitionResources'] as Node;
    const resources = adml['resources'] as Node;
    const strings = new Set(
      list((resources['stringTable'] as Node)['string']).map((s) => s['@id'] as string),
    );
    const presentations = new Set(
      list((resources['presentationTable'] as Node)['presentation']).map((p) => p['@id'] as string),
    );
    const categories = new Set(
      list((admx['categories'] as Node)['category']).map((c) => c['@name'] as string),
    );
    const ref = (text: unknown, kind: 'string' | 'presentation') => {
      const match = new RegExp(`^\\$\\(${kind}\\.([^)]+)\\)$`).exec(String(text));
      expect(match, `${String(text)} is a ${kind} reference`).not.toBeNull();
      return match![1]!;
    };
    for (const category of list((admx['categories'] as Node)['category'])) {
      expect(strings).toContain(ref(category['@displayName'], 'string'));
    }

    const policies = list((admx['policies'] as Node)['policy']);
    expect(policies.map((p) => p['@name'])).toEqual(definitions.map((d) => d.name));
    for (const definition of definitions) {
      const policy = policies.find((p) => p['@name'] === definition.name)!;
      // Group Policy writes what Attaché's registry reader reads.
      expect(policy['@key']).toBe(POLICY_KEY.replace('SOFTWARE', 'Software'));
      expect(policy['@class']).toBe('Both');
      expect(strings).toContain(ref(policy['@displayName'], 'string'));
      expect(strings).toContain(ref(policy['@explainText'], 'string'));
      expect(presentations).toContain(ref(policy['@presentation'], 'presentation'));
      expect(categories).toContain((policy['parentCategory'] as Node)['@ref']);
      const elements = policy['elements'] as Node;
      const kind = definition.kind;
      if (kind.type === 'text') {
        expect((elements['text'] as Node)['@valueName']).toBe(definition.name);
      } else if (kind.type === 'number') {
        const decimal = elements['decimal'] as Node;
        expect(decimal['@valueName']).toBe(definition.name);
        expect(Number(decimal['@minValue'])).toBe(kind.min);
        expect(Number(decimal['@maxValue'])).toBe(kind.max);
      } else if (kind.type === 'list') {
        const listElement = elements['list'] as Node;
        expect(listElement['@key']).toBe(`Software\\Policies\\Attache\\${definition.name}`);
        expect(listElement['@valuePrefix']).toBe('');
      } else {
        const choices = elements['enum'] as Node;
        expect(choices['@valueName']).toBe(definition.name);
        const items = list(choices['item']);
        expect(items.map((item) => String((item['value'] as Node)['string']))).toEqual(
          kind.choices.map((choice) => choice.value),
        );
        for (const item of items) expect(strings).toContain(ref(item['@displayName'], 'string'));
      }
    }
  });

  it('give Jamf and Intune a configuration profile whose payload Attaché accepts', async () => {
    const profile = parse(await committed('macos/au.gov.attache.reader.mobileconfig')) as Node;
    expect(profile['PayloadType']).toBe('Configuration');
    const [payload] = profile['PayloadContent'] as Node[];
    const builder = await readFile(join(repo, 'electron-builder.yml'), 'utf8');
    expect(builder).toContain(`appId: ${String(payload!['PayloadType'])}`);
    const values = Object.fromEntries(
      Object.entries(payload!).filter(([name]) => !name.startsWith('Payload')),
    );
    const resolved = resolveSettings({
      policy: { layers: [{ from: 'profile', values }], problems: [] },
      environment: {},
      person: { from: 'none', values: {} },
      mode: 'production',
    });
    expect(resolved.problems).toEqual([]);
    expect(resolved.ready).toBe(true);
  });

  it('give Linux a JSON Schema naming every setting with its type', async () => {
    const schema = JSON.parse(await committed('linux/policy.schema.json')) as {
      properties: Record<string, { enum?: string[] }>;
      additionalProperties: boolean;
    };
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(['$schema', ...definitions.map((d) => d.name)]);
    for (const definition of definitions) {
      if (definition.kind.type === 'choice') {
        expect(schema.properties[definition.name]?.enum).toEqual(
          definition.kind.choices.map((choice) => choice.value),
        );
      }
    }
  });

  it('are the ones docs/deployment.md names, with every setting', async () => {
    const doc = await readFile(join(repo, 'docs/deployment.md'), 'utf8');
    for (const path of Object.keys(buildTemplates('0'))) {
      expect(doc).toContain(`${TEMPLATES_DIR}/${path}`);
    }
    for (const definition of definitions) expect(doc).toContain(`| \`${definition.name}\` |`);
  });
});
