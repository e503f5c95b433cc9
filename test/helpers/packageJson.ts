// package.json as the tests read it: the extension's contributions, typed once.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO } from './fixtures';

export interface ExtensionManifest {
  activationEvents: string[];
  contributes: {
    commands: Array<{ command: string }>;
    menus: Record<string, Array<{ command: string; when?: string }>>;
    views: Record<string, Array<{ id: string }>>;
    viewsWelcome: Array<{ view: string; contents: string }>;
    walkthroughs: Array<{
      id: string;
      steps: Array<{ id: string; description: string; media: { markdown?: string; image?: string }; completionEvents?: string[] }>;
    }>;
    /** Each setting's JSON schema. */
    configuration: { properties: Record<string, Record<string, unknown>> };
  };
}

export function readExtensionManifest(): ExtensionManifest {
  return JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as ExtensionManifest;
}
