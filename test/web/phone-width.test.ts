import { beforeAll, describe, expect, it } from 'vitest';
import { createAgentWithToken, exchange, signIn, type Person } from '../harness/identity.js';
import { ingest, nowSeconds } from '../harness/metrics.js';
import { createRoom, postMessage } from '../harness/rooms.js';
import { hasChromium } from './browser.js';
import { useBrowserSession } from './session.js';

/** A common phone's viewport (CSS pixels). */
const PHONE = { width: 375, height: 740 };

describe.skipIf(!hasChromium)('pages on a phone', { timeout: 90_000 }, () => {
  const session = useBrowserSession();
  let admin: Person;
  let paths: string[];

  beforeAll(async () => {
    const { server, page } = session;
    admin = await signIn(server, session.admin);
    // Long names and ids, as real fleets have them, in every table.
    const agent = await createAgentWithToken(server, admin, {
      name: 'build-runner-eu-west-1a-0042',
      serverId: 'ip-10-142-37-201.eu-west-1.compute.internal',
    });
    const jwt = await exchange(server, agent.token);
    await ingest(server, jwt, {
      server_id: 'ip-10-142-37-201.eu-west-1.compute.internal',
      timestamp: nowSeconds(),
      metrics: { cpu: { usage: 12 } },
    });
    const room = await createRoom(server, admin, { name: 'Deployments of the payment platform, europe' });
    await postMessage(server, admin, room.id, `a long unbroken line ${'x'.repeat(200)}`);
    paths = [
      '/dashboard',
      `/agents/${agent.agent.id}`,
      '/rooms',
      `/rooms/${room.id}`,
      '/link',
      '/teams',
      '/admin',
      '/admin/audit',
      '/admin/teams',
    ];
    await page.setViewportSize(PHONE);
  });

  it('lays every page out within the width of the screen (no sideways scrolling)', async () => {
    const { server, page } = session;
    const overflowing: string[] = [];
    for (const path of paths) {
      await page.goto(server.url + path);
      const width = await page.evaluate<number>('document.documentElement.scrollWidth');
      if (width <= PHONE.width) continue;
      // Name what sticks out, so a failure says where to look.
      const beyond = await page.evaluate<string[]>(`[...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > ${PHONE.width})
        .map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : ''))
        .slice(0, 6)`);
      overflowing.push(`${path}: ${width}px (${beyond.join(', ')})`);
    }
    expect(overflowing).toEqual([]);
  });

  it("shows the dashboard's agents without scrolling their table sideways", async () => {
    const { server, page } = session;
    await page.goto(`${server.url}/dashboard`);
    // The box that scrolls the table when it is wider than the page.
    const box = await page.evaluate<{ scrollWidth: number; clientWidth: number }>(`(() => {
      const { scrollWidth, clientWidth } = document.querySelector('#agents').closest('.table-scroll');
      return { scrollWidth, clientWidth };
    })()`);
    expect(box.scrollWidth).toBeLessThanOrEqual(box.clientWidth);
  });
});
