import { defineConfig } from 'drizzle-kit';

// Generation only: migrations are applied by the app (`agenthub migrate` or at start).
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema/index.ts',
  out: './drizzle',
});
