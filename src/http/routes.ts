import { agentsRoutes } from '../modules/agents/agents.routes.js';
import { auditRoutes } from '../modules/audit/audit.routes.js';
import { credentialsRoutes } from '../identity/credentials.routes.js';
import { devicesRoutes } from '../modules/devices/devices.routes.js';
import { linkRoutes } from '../web/link.routes.js';
import { mcpRoutes } from '../modules/mcp/mcp.routes.js';
import { oauthRoutes } from '../modules/devices/oauth.routes.js';
import { healthRoutes } from '../modules/health/health.routes.js';
import { metricsRoutes } from '../modules/metrics/metrics.routes.js';
import { roomsRoutes } from '../modules/rooms/rooms.routes.js';
import { sessionsRoutes } from '../identity/sessions.routes.js';
import { teamsRoutes } from '../modules/teams/teams.routes.js';
import { usersRoutes } from '../modules/users/users.routes.js';
import { webRoutes } from '../web/web.routes.js';
import type { RouteModule } from './route-module.js';

/** Every route module of the app, in one list: the whole API at a glance. */
export const routeModules: RouteModule[] = [
  healthRoutes,
  sessionsRoutes,
  usersRoutes,
  teamsRoutes,
  agentsRoutes,
  credentialsRoutes,
  oauthRoutes,
  devicesRoutes,
  linkRoutes,
  metricsRoutes,
  roomsRoutes,
  mcpRoutes,
  auditRoutes,
  webRoutes,
];
