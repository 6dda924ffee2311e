import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Router } from 'express';

const page = (name: string): string => fileURLToPath(new URL(`./page/${name}`, import.meta.url));
const uplot = (name: string): string => createRequire(import.meta.url).resolve(`uplot/dist/${name}`);

/** URL → file and type. The charting library is served from its package: the page loads nothing from elsewhere. */
const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: page('index.html'), type: 'text/html; charset=utf-8' },
  '/ui/app.js': { file: page('app.js'), type: 'text/javascript; charset=utf-8' },
  '/ui/style.css': { file: page('style.css'), type: 'text/css; charset=utf-8' },
  '/ui/uPlot.iife.min.js': { file: uplot('uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  '/ui/uPlot.min.css': { file: uplot('uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

/**
 * The dashboard: a static page and its scripts, public because they hold no data. The page asks
 * for an API key and calls the JSON API with it, so it sees exactly what the key may see.
 */
export function dashboardAssets(): Router {
  const router = Router();
  for (const [url, { file, type }] of Object.entries(ASSETS)) {
    // Read once: the files ship with the code and change only with it.
    const body = readFileSync(file);
    router.get(url, (_req, res) => {
      res.type(type).send(body);
    });
  }
  return router;
}
