import { afterAll, describe, expect, it } from 'vitest';
import { LanceKnowledgeStore } from '../../src/store/lance-knowledge-store.js';
import { tempDir } from '../support/real-stack.js';

let cleanup: (() => Promise<void>) | undefined;
afterAll(() => cleanup?.());

describe('a dropped knowledge table (a workspace deleted)', () => {
  it('leaves no publication pointer, contradictions or regression notes for a table created again under its name, and only its own go', async () => {
    const temp = await tempDir('table-drop');
    cleanup = temp.remove;
    const old = await LanceKnowledgeStore.openOrCreate(temp.dir, 'knowledge-ws-b', { vector: 4 });
    const neighbour = await LanceKnowledgeStore.openOrCreate(temp.dir, 'knowledge-ws-b-2', { vector: 4 });
    const version = await old.latestVersion();
    await old.publish(version);
    await old.saveVersionNote('contradictions', version, [{ a: { clause: 'Partner price: $40 (the old tenant’s internal sheet)' } }]);
    await old.saveVersionNote('regression', version, { score: 1 });
    await neighbour.saveVersionNote('contradictions', 1, [{ a: { clause: 'the neighbour’s' } }]);
    old.close();

    await LanceKnowledgeStore.drop(temp.dir, 'knowledge-ws-b');
    const again = await LanceKnowledgeStore.openOrCreate(temp.dir, 'knowledge-ws-b', { vector: 4 });
    expect(await again.publishedVersion()).toBeUndefined();
    expect(await again.versionNotes('contradictions')).toEqual({});
    expect(await again.versionNotes('regression')).toEqual({});
    // A table whose name merely starts with the dropped one's keeps its notes.
    expect(Object.keys(await neighbour.versionNotes('contradictions'))).toEqual(['1']);
    again.close();
    neighbour.close();
  });
});
