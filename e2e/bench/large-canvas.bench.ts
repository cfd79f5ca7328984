import { test } from "@playwright/test";

const baseUrl = () => process.env.E2E_BASE_URL!;
const NODES = Number(process.env.NODES ?? 500);
const EXTRA_EDGES = Number(process.env.EDGES ?? 600) - (NODES - 1);

/** A valid flow of one source and a grid of Mask nodes, each fed by the previous (and some by the one before). */
function largeFlow() {
  const nodes = [
    {
      id: "source",
      type: "source.events",
      position: { x: 0, y: 0 },
      config: { eventTypes: ["com.example.usage"], sources: [], transport: "http" },
    },
  ];
  for (let i = 1; i < NODES; i += 1)
    nodes.push({
      id: `mask-${i}`,
      type: "mask",
      position: { x: (i % 25) * 260, y: Math.floor(i / 25) * 160 },
      config: { fields: [{ path: "data.email", action: "hash" }] } as never,
    });
  const edges = nodes.slice(1).map((node, i) => ({
    id: `e-${i}`,
    source: { node: nodes[i]!.id, port: "out" },
    target: { node: node.id, port: "in" },
  }));
  for (let i = 0; i < EXTRA_EDGES; i += 1)
    edges.push({
      id: `x-${i}`,
      source: { node: nodes[1 + i]!.id, port: "out" },
      target: { node: nodes[3 + i]!.id, port: "in" },
    });
  return {
    apiVersion: "meterflow.dev/flow/v1",
    kind: "Flow",
    metadata: { name: `Large canvas ${NODES}`, owner: "bench" },
    nodes,
    edges,
  };
}

test(`open and pan a canvas of ${NODES} nodes`, async ({ page, request }) => {
  const created = await request.post(`${baseUrl()}trpc/flows.create`, { data: { json: { document: largeFlow() } } });
  if (!created.ok()) throw new Error(`could not create the flow: ${await created.text()}`);
  const flowId = ((await created.json()) as { result: { data: { json: { id: string } } } }).result.data.json.id;
  const edgeCount = largeFlow().edges.length;

  await page.goto(baseUrl());
  const started = Date.now();
  await page.goto(`${baseUrl()}flows/${flowId}`);
  await page
    .locator(".react-flow__node")
    .nth(NODES - 1)
    .waitFor();
  await page
    .locator(".react-flow__edge")
    .nth(edgeCount - 1)
    .waitFor({ state: "attached" });
  const openMs = Date.now() - started;

  // Pan by dragging the background for about a second, counting the frames the browser paints.
  const box = (await page.getByTestId("canvas").boundingBox())!;
  await page.evaluate(() => {
    const state = window as unknown as { frames: number[]; counting: boolean };
    state.frames = [];
    state.counting = true;
    const tick = (at: number) => {
      state.frames.push(at);
      if (state.counting) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await page.mouse.move(box.x + box.width / 2, box.y + box.height - 30);
  await page.mouse.down();
  for (let step = 0; step < 60; step += 1)
    await page.mouse.move(box.x + box.width / 2 - step * 8, box.y + box.height - 30 - step * 4);
  await page.mouse.up();
  const frames = await page.evaluate(() => {
    const state = window as unknown as { frames: number[]; counting: boolean };
    state.counting = false;
    return state.frames;
  });
  const gaps = frames.slice(1).map((at, i) => at - frames[i]!);
  const seconds = (frames.at(-1)! - frames[0]!) / 1000;
  console.log(
    JSON.stringify(
      {
        benchmark: "designer: large canvas (Playwright, Debian Chromium, headless)",
        nodes: NODES,
        edges: edgeCount,
        openMs,
        pan: {
          frames: frames.length,
          seconds: +seconds.toFixed(2),
          fps: +(frames.length / seconds).toFixed(1),
          worstFrameMs: +Math.max(...gaps).toFixed(1),
        },
      },
      null,
      2,
    ),
  );
});
