import os from 'node:os';
import { cacheStagingDir } from '../home-layout.js';
import type { Log } from '../report/log.js';
import type { RunContext } from '../run-context.js';
import type { Settings } from '../settings/settings.js';
import { LocalStore } from './local-store.js';
import type { CheckpointRef, Lineage, SaveRequest, Store } from './store.js';
import { ActionsCacheStore } from './stores/actions-cache.js';
import { ArtifactStore } from './stores/artifact.js';
import { lineageHash } from './stores/lineage-key.js';
import { errorMessage } from '../error-message.js';

interface Member {
  readonly store: Store;
  /** `final`: only the last checkpoint of a job attempt (artifacts are unique per name and slow). */
  readonly saves: 'every' | 'final';
}

/** The stores `checkpoint_store` names, in the order a restore tries them. */
export class StoreSet {
  constructor(private readonly members: readonly Member[], private readonly log: Pick<Log, 'warning' | 'info'>) {}

  get restoreOrder(): readonly Store[] {
    return this.members.map((member) => member.store);
  }

  get isEmpty(): boolean {
    return this.members.length === 0;
  }

  get names(): string {
    return this.members.map((member) => member.store.name).join(' + ');
  }

  /** Saves into every store that takes this checkpoint; a store that fails is reported and skipped. */
  async save(request: SaveRequest, final: boolean): Promise<CheckpointRef[]> {
    const saved: CheckpointRef[] = [];
    for (const member of this.members) {
      if (member.saves === 'final' && !final) continue;
      try {
        saved.push(await member.store.save(request));
      } catch (error) {
        this.log.warning(`Checkpoint ${request.sequence} was not saved to the ${member.store.name} store; the run goes on. ${errorMessage(error)}`);
      }
    }
    return saved;
  }

  /** The highest sequence any store holds for the lineage, so a new save never reuses a key. */
  async highestSequence(lineage: Lineage): Promise<number | undefined> {
    let highest: number | undefined;
    for (const store of this.restoreOrder) {
      try {
        for (const ref of await store.list(lineage)) highest = Math.max(highest ?? -1, ref.sequence);
      } catch {
        // A store that cannot list is reported when it is used.
      }
    }
    return highest;
  }

  async prune(lineage: Lineage, keep: number): Promise<void> {
    for (const member of this.members) {
      if (member.saves === 'final') continue;
      try {
        const deleted = await member.store.prune(lineage, keep);
        if (deleted > 0) this.log.info(`Deleted ${deleted} old checkpoint(s) from the ${member.store.name} store (keeping ${keep}).`);
      } catch (error) {
        this.log.warning(`Could not prune old checkpoints in the ${member.store.name} store: ${errorMessage(error)}`);
      }
    }
  }
}

export function createStoreSet(settings: Settings, run: RunContext, log: Log, lineage: Lineage): StoreSet {
  const { checkpoint } = settings;
  const token = settings.secrets.githubToken ?? run.token;
  const cache = (): Member => ({
    store: new ActionsCacheStore({ stagingDir: cacheStagingDir(os.tmpdir(), lineageHash(lineage)), log, run, ...(token ? { token } : {}) }),
    saves: 'every',
  });
  const artifact = (saves: Member['saves']): Member => ({
    store: new ArtifactStore({ log, run, retentionDays: checkpoint.retentionDays, ...(token ? { token } : {}) }),
    saves,
  });
  switch (checkpoint.store) {
    case 'none':
      return new StoreSet([], log);
    case 'local':
      return new StoreSet([{ store: new LocalStore(checkpoint.dir, (message) => log.warning(message)), saves: 'every' }], log);
    case 'cache':
      return new StoreSet([cache()], log);
    case 'artifact':
      return new StoreSet([artifact(checkpoint.artifactEveryCheckpoint ? 'every' : 'final')], log);
    case 'both':
      return new StoreSet([cache(), artifact(checkpoint.artifactEveryCheckpoint ? 'every' : 'final')], log);
  }
}
