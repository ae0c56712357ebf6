import { type RequestHandler, Router } from 'express';
import type { CuratedAnswers } from '../answer/curated.js';
import type { Conversations } from '../chat/conversation.js';
import type { KnowledgeService } from '../ingest/knowledge-service.js';
import type { GapFix, GapReporter } from '../insights/gaps.js';
import type { SharedState } from '../state/shared-state.js';
import { auditTrail } from './audit-trail.js';
import { curatedRoutes } from './curated-routes.js';
import { insightRoutes } from './insight-routes.js';
import { keyRoutes } from './key-routes.js';
import type { KeyRegistry } from './key-registry.js';
import { knowledgeRoutes } from './knowledge-routes.js';


export interface AdminRouteOptions {
  /** Rate limit, admin key, then the JSON body parser. */
  guard: RequestHandler[];
  conversations: Conversations;
  /** The knowledge base's lifecycle: jobs, documents, versions, rollback (it owns the store and the table's lock). */
  knowledge: KnowledgeService;
  state: SharedState;
  maxUploadBytes: number;
  gaps: GapReporter;
  /** Accepted suggestions: the gaps report links each gap to what fixed it. */
  gapFixes?: () => Promise<GapFix[]>;
  /** The keys of this workspace (src/workspaces/workspace-access.ts). */
  keys: Pick<KeyRegistry, 'list' | 'create' | 'revoke'>;
  curated: CuratedAnswers;
  /** PII masking applied again to exported text (it was masked when stored; rules may have grown since). */
  mask?: (text: string) => string;
}

/**
 * The core admin endpoints (admin scope), one router per resource behind one guard: the knowledge base's
 * lifecycle, keys, curated answers, and insights. Other resources (suggestions, sources, regression cases,
 * analytics, workspaces) mount their own routers beside this one in src/service.ts.
 */
export function adminRoutes(options: AdminRouteOptions): Router {
  const router = Router();
  router.use('/v1/admin', ...options.guard);
  const audit = auditTrail(options.state);
  router.use(knowledgeRoutes({ knowledge: options.knowledge, maxUploadBytes: options.maxUploadBytes, audit }));
  router.use(keyRoutes({ keys: options.keys, audit }));
  router.use(curatedRoutes({ curated: options.curated, audit }));
  router.use(insightRoutes({ conversations: options.conversations, state: options.state, gaps: options.gaps, gapFixes: options.gapFixes, mask: options.mask, audit }));
  return router;
}
