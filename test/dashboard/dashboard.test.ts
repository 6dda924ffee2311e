import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { workflowIdFor } from '../../src/domain/resource-set.js';
import { createApiKey } from '../../src/store/api-keys.js';
import { backfillDemand } from '../../src/store/metrics.js';
import { startTestApi, uniqueId, type TestApi } from '../support/api.js';
import { sendTraffic } from '../support/traffic.js';
import { waitFor } from '../support/wait.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = new URL('../artifacts/', import.meta.url);
/** The chart's demand line colour (app.js): its pixels on the canvas prove the line was drawn. */
const DEMAND_RGB = [0x1f, 0x77, 0xb4];
const policy = { intervalSeconds: 5, leadTimeSeconds: 120, seasonSeconds: 600 };

/** A page with the dashboard open, and every error the browser reported (script errors, CSP violations, failed loads). */
async function openDashboard(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1500 } });
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  const response = await page.goto(url);
  assert.equal(response?.status(), 200);
  assert.match(
    response.headers()['content-security-policy'] ?? '',
    /script-src 'self';/,
    'the page is served under the strict CSP',
  );
  return { page, errors };
}

async function enterKey(page: Page, key: string): Promise<void> {
  await page.fill('#key', key);
  await page.click('#key-form button[type=submit]');
}

/** The little of the DOM that the canvas check uses (the project compiles without the DOM library). */
interface PageDocument {
  querySelector(selector: string): {
    width: number;
    height: number;
    getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
  };
}

/** Pixels of the demand line's colour on the chart's canvas. */
const demandPixels = (page: Page): Promise<number> =>
  page.evaluate((rgb) => {
    const canvas = (globalThis as unknown as { document: PageDocument }).document.querySelector('#chart canvas');
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4)
      if (Math.abs(data[i]! - rgb[0]!) + Math.abs(data[i + 1]! - rgb[1]!) + Math.abs(data[i + 2]! - rgb[2]!) < 12) n++;
    return n;
  }, DEMAND_RGB);

describe('the dashboard in headless Chromium (real API, Temporal, Postgres, local cloud, browser)', () => {
  let api: TestApi;
  let browser: Browser;
  const id = uniqueId('dash');

  before(async () => {
    api = await startTestApi({ fleet: { bootDelaySeconds: 1 } });
    // Three seasons of history, enough for a trusted forecast; light, so one instance serves it.
    const nowMinute = Math.floor(Date.now() / 60_000);
    await backfillDemand(
      api.database.db,
      id,
      Array.from({ length: 30 }, (_, k) => ({
        minute: (nowMinute - 30 + k) * 60,
        requests: (k % 10 < 3 ? 20 : 8) * 60,
      })),
    );
    assert.equal(
      (
        await api.request('POST', '/v1/resource-sets', {
          id,
          provider: 'local',
          minInstances: 1,
          maxInstances: 2,
          policy,
        })
      ).status,
      201,
    );
    await waitFor(
      'a recorded forecast',
      async () => (await api.request('GET', `/v1/resource-sets/${id}/forecast`)).status === 200,
      90_000,
    );
    await waitFor(
      'an instance reporting',
      async () => (await api.request('GET', `/v1/resource-sets/${id}/instances`)).body.items.length > 0,
      60_000,
    );
    // A one-step rollout of a new configuration (same software: reconfigured in place), judged
    // under light traffic, so that the page has a judged step and served demand to show.
    const traffic = sendTraffic(`${api.cloud!.lbUrl}/rs/${id}/work`, 5, 40);
    const template = uniqueId('dash');
    assert.equal(
      (
        await api.request('POST', `/v1/templates/${template}/versions`, {
          instanceType: 'local.small',
          softwareVersion: 'v1',
          params: { poolSize: 3, cacheSize: 200, queueLimit: 32 },
        })
      ).status,
      201,
    );
    const pointed = await api.request('PUT', `/v1/resource-sets/${id}/template`, {
      template,
      version: 1,
      rollout: { steps: [{ instances: 1 }], bakeSeconds: 10, warmupSeconds: 0, sampleIntervalSeconds: 2 },
    });
    assert.equal(pointed.status, 200, JSON.stringify(pointed.body));
    await waitFor(
      'the rollout to finish',
      async () => {
        const [rollout] = (await api.request('GET', `/v1/resource-sets/${id}/rollouts`)).body.items;
        return (
          Boolean(rollout?.finishedAt) &&
          (await api.request('GET', `/v1/resource-sets/${id}`)).body.status.activeRollout === null
        );
      },
      120_000,
    );
    await traffic;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });
  after(async () => {
    await browser?.close();
    await api?.close();
  });

  it('as a viewer: rejects a bad key, opens on an overview of every set, then shows the set with its chart drawn, instances, decisions with reasons, and no operator buttons', async () => {
    const { page, errors } = await openDashboard(browser, `${api.url}/`);
    await enterKey(page, `psk_${'0'.repeat(16)}_${'A'.repeat(43)}`);
    await page.locator('#key-error').filter({ hasText: 'rejected' }).waitFor();
    errors.length = 0; // the rejected key's 401 is logged by the browser, as it should be

    await enterKey(page, api.keys.viewer);
    // The page opens on every set at a glance, as the loop reports it.
    const row = page.locator(`#overview-table tr[data-set="${id}"]`);
    await row.waitFor();
    const set = (await api.request('GET', `/v1/resource-sets/${id}`)).body;
    const cells = await row.locator('td').allTextContents();
    assert.equal(cells[0], id);
    assert.equal(cells[1], set.status.state);
    assert.match(cells[2]!, /^\d+ \/ \d+$/, 'instances now / desired');
    assert.match(cells[3]!, /→ \d+$/, 'the last decision, with the instances it wanted');
    assert.ok(cells[4] === 'all True' || /(False|Unknown)/.test(cells[4]!), cells[4]);
    await row.locator('a').click();
    // The link changes the hash; the page swaps views on the hashchange that follows the click.
    await page.locator('#overview').waitFor({ state: 'hidden', timeout: 10_000 });
    await page.locator('#decisions tbody tr.decision').first().waitFor();
    assert.equal(await page.textContent('#set-id'), id);
    assert.equal(
      await page.getAttribute('#temporal-link', 'href'),
      `http://127.0.0.1:8233/namespaces/default/workflows/${workflowIdFor(id)}`,
    );

    const conditionItems = await page.locator('#conditions li.condition').all();
    const shownConditions = await Promise.all(
      conditionItems.map(async (li) => `${await li.getAttribute('data-type')}=${await li.getAttribute('data-status')}`),
    );
    assert.deepEqual(
      shownConditions.map((c) => c.split('=')[0]),
      ['Ready', 'Observing', 'Forecasting', 'Provisioning', 'Rollout'],
    );
    assert.ok(
      shownConditions.includes('Observing=True') && shownConditions.includes('Rollout=True'),
      shownConditions.join(', '),
    );

    assert.ok(
      Number(await page.getAttribute('#chart', 'data-demand-points')) >= 25,
      'the backfilled minutes are on the chart',
    );
    assert.ok((await demandPixels(page)) > 100, 'the demand line is drawn on the canvas');
    assert.notEqual(await page.getAttribute('#chart', 'data-model'), '', 'a forecast model is shown');

    const shown = await page.locator('#decisions tbody tr.decision td:nth-child(4) li').allTextContents();
    const decisions = (await api.request('GET', `/v1/resource-sets/${id}/decisions?limit=200`)).body.items as {
      reasons: string[];
    }[];
    const recorded = new Set(decisions.flatMap((d) => d.reasons));
    assert.ok(
      shown.length > 0 && shown.every((r) => recorded.has(r)),
      `the decisions' reasons, as recorded (${shown.slice(0, 3).join(' | ')})`,
    );
    assert.ok(
      shown.some((r) => r.startsWith('predictive')),
      'the predictive rule explains itself',
    );

    // An agent's first samples may precede its app's configuration gauge; the page refreshes every 10 s.
    const { stable } = (await api.request('GET', `/v1/resource-sets/${id}`)).body.status.config;
    const instance = page.locator('#instances tbody tr', {
      hasText: stable.template ? `${stable.template} v${stable.version}` : `boot (${stable.image})`,
    });
    await instance.first().waitFor({ timeout: 30_000 });
    assert.equal(await instance.first().locator('.badge').textContent(), 'healthy');

    const [rollout] = (await api.request('GET', `/v1/resource-sets/${id}/rollouts`)).body.items as {
      status: string;
      steps: { analyses: { metrics: unknown[] }[] }[];
    }[];
    const block = page.locator('.rollout').first();
    assert.equal(await block.locator('.badge').first().textContent(), rollout!.status);
    assert.equal(await block.locator('progress').getAttribute('max'), '1');
    const verdicts = rollout!.steps.flatMap((st) => st.analyses.flatMap((a) => a.metrics)).length;
    assert.ok(verdicts > 0, 'the step was judged metric by metric');
    assert.equal(await block.locator('li li li').count(), verdicts, 'every per-metric verdict is shown');

    for (const button of ['#pause', '#resume', '#rollback'])
      assert.equal(await page.isVisible(button), false, `${button} is not offered to a viewer`);
    assert.match((await page.textContent('#who')) ?? '', /^viewer key /);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('with a key scoped to the set: the page, which may not list sets, asks for the id and then shows the set', async () => {
    const scoped = await createApiKey(api.database.db, { role: 'viewer', scopes: [id] }, 'test');
    const { page, errors } = await openDashboard(browser, `${api.url}/`);
    await enterKey(page, scoped.key);
    await page.fill('#open-id', id);
    await page.click('#open-form button[type=submit]');
    await page.locator('#decisions tbody tr.decision').first().waitFor();
    assert.equal(await page.textContent('#set-id'), id);
    assert.equal(await page.isVisible('#pause'), false);
    errors.length = 0; // the refused list (403) is logged by the browser
    await page.fill('#open-id', 'elsewhere');
    await page.click('#open-form button[type=submit]');
    await page.locator('#set-error').filter({ hasText: 'does not exist' }).waitFor();
    assert.equal(await page.locator('#decisions tbody tr').count(), 0, 'nothing of the previous set is left on show');
    assert.equal(await page.textContent('#set-id'), '');
    assert.deepEqual(
      errors.filter((e) => !e.includes('404')),
      [],
    );
    await page.close();
  });

  it('as an operator: a pause click pauses the workflow, and the page then offers resume', async () => {
    const { page, errors } = await openDashboard(browser, `${api.url}/#/sets/${id}`);
    await enterKey(page, api.keys.operator);
    await page.locator('#pause').waitFor({ state: 'visible' });
    const { status } = (await api.request('GET', `/v1/resource-sets/${id}`)).body;
    assert.equal(
      await page.isVisible('#rollback'),
      Boolean(status.activeRollout || status.config.previous),
      'roll back is offered when there is something to roll back',
    );
    await page.click('#pause');

    await waitFor(
      'the workflow to say paused',
      async () => {
        const { body } = await api.request('GET', `/v1/resource-sets/${id}`, undefined, { as: 'viewer' });
        return body.status.paused === true && body.status.state === 'paused';
      },
      20_000,
    );
    await page.locator('#resume').waitFor({ state: 'visible' });
    assert.equal(await page.textContent('#set-state'), 'paused');
    assert.equal(await page.isVisible('#pause'), false);

    // The last hour fills the picture better than the default three.
    await page.selectOption('#hours', '1');
    await waitFor(
      'the chart to show one hour',
      async () => Number(await page.getAttribute('#chart', 'data-steps')) <= 70,
      15_000,
      200,
    );
    assert.deepEqual(errors, []);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: new URL('dashboard.png', ARTIFACTS).pathname, fullPage: true });
    await page.close();
  });
});
