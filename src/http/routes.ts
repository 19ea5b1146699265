import { credentialsRoutes } from '../identity/credentials.routes.js';
import { sessionsRoutes } from '../identity/sessions.routes.js';
import { agentsRoutes } from '../modules/agents/agents.routes.js';
import { alertRulesRoutes } from '../modules/alerts/alert-rules.routes.js';
import { alertsRoutes } from '../modules/alerts/alerts.routes.js';
import { notificationChannelsRoutes } from '../modules/alerts/notification-channels.routes.js';
import { claimsRoutes } from '../modules/claims/claims.routes.js';
import { auditRoutes } from '../modules/audit/audit.routes.js';
import { devicesRoutes } from '../modules/devices/devices.routes.js';
import { oauthRoutes } from '../modules/devices/oauth.routes.js';
import { healthRoutes } from '../modules/health/health.routes.js';
import { inboxRoutes } from '../modules/inbox/inbox.routes.js';
import { mcpRoutes } from '../modules/mcp/mcp.routes.js';
import { metricsRoutes } from '../modules/metrics/metrics.routes.js';
import { lineProtocolRoutes } from '../modules/metrics/stock-agents/line-protocol.routes.js';
import { otlpRoutes } from '../modules/metrics/stock-agents/otlp.routes.js';
import { remoteWriteRoutes } from '../modules/metrics/stock-agents/remote-write.routes.js';
import { directRoutes } from '../modules/rooms/direct.routes.js';
import { roomsRoutes } from '../modules/rooms/rooms.routes.js';
import { searchRoutes } from '../modules/search/search.routes.js';
import { teamsRoutes } from '../modules/teams/teams.routes.js';
import { usersRoutes } from '../modules/users/users.routes.js';
import { wakeHooksRoutes } from '../modules/wake/wake-hooks.routes.js';
import { adminPageRoutes } from '../web/admin.routes.js';
import { alertsPageRoutes } from '../web/alerts.routes.js';
import { agentPageRoutes } from '../web/agent.routes.js';
import { dashboardPageRoutes } from '../web/dashboard.routes.js';
import { inboxPageRoutes } from '../web/inbox.routes.js';
import { linkPageRoutes } from '../web/link.routes.js';
import { liveEventsRoutes } from '../web/live-events.routes.js';
import { roomStreamRoutes } from '../web/room-stream.routes.js';
import { roomPageRoutes } from '../web/rooms.routes.js';
import { searchPageRoutes } from '../web/search.routes.js';
import { signInPageRoutes } from '../web/sign-in.routes.js';
import { teamPageRoutes } from '../web/teams.routes.js';
import type { RouteModule } from './route-module.js';

/** Every route module of the app, in one list: the whole API and every page at a glance. */
export const routeModules: RouteModule[] = [
  // API (JSON, in the OpenAPI document)
  healthRoutes,
  sessionsRoutes,
  usersRoutes,
  teamsRoutes,
  agentsRoutes,
  wakeHooksRoutes,
  credentialsRoutes,
  oauthRoutes,
  devicesRoutes,
  metricsRoutes,
  // stock agents: Telegraf / InfluxDB clients, OpenTelemetry, Prometheus remote_write (docs/INGEST.md)
  lineProtocolRoutes,
  otlpRoutes,
  remoteWriteRoutes,
  roomsRoutes,
  directRoutes,
  inboxRoutes,
  searchRoutes,
  claimsRoutes,
  mcpRoutes,
  auditRoutes,
  alertRulesRoutes,
  notificationChannelsRoutes,
  alertsRoutes,
  // Pages and their live streams (src/web)
  dashboardPageRoutes,
  signInPageRoutes,
  linkPageRoutes,
  agentPageRoutes,
  roomPageRoutes,
  roomStreamRoutes,
  inboxPageRoutes,
  searchPageRoutes,
  teamPageRoutes,
  adminPageRoutes,
  alertsPageRoutes,
  liveEventsRoutes,
];
