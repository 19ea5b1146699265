import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import type { Config } from '../config.js';

/** OpenAPI 3.1 generated from the Zod route schemas, served at /openapi.json with a viewer at /docs. */
export async function registerOpenApi(app: FastifyInstance, config: Config): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'AgentHub API', version: '0.1.0', description: 'Self-hosted hub for fleets of agents.' },
      servers: [{ url: config.publicUrl }],
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'agenthub_session' },
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT or agt_ API token' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { config: { auth: ['anon'] }, schema: { hide: true } }, () => app.swagger());
}
