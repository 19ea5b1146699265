#!/usr/bin/env node
import('../dist/src/cli/main.js')
  .then((cli) => cli.main(process.argv))
  .catch((error) => {
    if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/src/cli')) {
      console.error('AgentHub is not built yet: run `npm run build` (or `npm start`, which builds).');
    } else {
      console.error(error);
    }
    process.exit(1);
  });
