/**
 * The committed Grafana dashboard (monitoring/grafana-dashboard.json) is what
 * monitoring/dashboard.ts builds (typed against @grafana/schema), and its layout is sound.
 * Its queries run against a real Prometheus in prometheus.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { buildDashboard, DASHBOARD_JSON, dashboardJson, dashboardQueries } from '../../monitoring/dashboard.js';

describe('monitoring/grafana-dashboard.json', () => {
  it('is up to date with monitoring/dashboard.ts (else: npm run build:dashboard)', () => {
    assert.equal(readFileSync(DASHBOARD_JSON, 'utf8'), dashboardJson());
  });

  it('has unique panel ids, panels inside the 24-column grid that do not overlap, and a query in every panel', () => {
    const panels = buildDashboard().panels ?? [];
    const ids = panels.map(panel => panel.id);
    assert.equal(new Set(ids).size, ids.length, `ids ${ids.join(', ')}`);
    const cells = new Set<string>();
    for (const panel of panels) {
      const { x = 0, y = 0, w = 0, h = 0 } = panel.gridPos ?? {};
      assert.ok(w > 0 && h > 0 && x + w <= 24, `${panel.title}: ${JSON.stringify(panel.gridPos)}`);
      for (let column = x; column < x + w; column++) {
        for (let line = y; line < y + h; line++) {
          assert.ok(!cells.has(`${column},${line}`), `${panel.title} overlaps another panel at ${column},${line}`);
          cells.add(`${column},${line}`);
        }
      }
      if (panel.type !== 'row') {
        assert.ok(dashboardQueries({ schemaVersion: 39, panels: [panel] }).length > 0, `${panel.title} has no query`);
      }
    }
  });

  it('selects the drill-down by the jupyterhub_user label the sidecar sets', () => {
    const drillDown = dashboardQueries(buildDashboard()).filter(({ expr }) => expr.includes('$user'));
    assert.ok(drillDown.length >= 4);
    for (const { expr } of drillDown) {
      assert.match(expr, /\{jupyterhub_user=~"\$user"\}/);
    }
  });
});
