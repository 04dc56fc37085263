// Writes the README's table of metrics from assembly/metrics/table.ts (make metrics-readme);
// tests/dashboards/dashboards.test.ts fails when the committed table differs.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { METRICS } from "../../assembly/metrics/table.ts";
import { readmeMetricsTable, spliceReadmeMetrics } from "./check.ts";

const path = join(dirname(fileURLToPath(import.meta.url)), "../../README.md");
writeFileSync(path, spliceReadmeMetrics(readFileSync(path, "utf8"), readmeMetricsTable(METRICS)));
console.log("wrote the metrics table of README.md");
