import type { RouteModule } from './route-module.js';
import { healthRoutes } from '../modules/health/health.routes.js';

/** Every route module of the app, in one list: the whole API at a glance. */
export const routeModules: RouteModule[] = [healthRoutes];
