// DuckDB baseline for hack/bench/bench-plugin.sh (npm @duckdb/node-api, installed by the bench).
// node duckdb_ref.mjs MODE THREADS IN [OUT]
//   bias:   per protected attribute (sex, race) and group: rows and positive labels
//           (approved = '1'), one GROUP BY GROUPING SETS over the CSV read as text
//   pseudo: the pseudonymize workload with two SHA-256 per field (the cost of an HMAC) on
//           name and email, note dropped, written as CSV to OUT
// Only the query is timed. Prints one JSON line: {"wall": s, "cpu": s (user+sys of the whole
// process during the query, all threads), "groups": [[attr, group, count, positives], ...]}.
import { DuckDBInstance } from '@duckdb/node-api';

const [mode, threads, input, output] = process.argv.slice(2);
const inst = await DuckDBInstance.create(':memory:', { threads: String(threads) });
const con = await inst.connect();
const src = `read_csv('${input}', header = true, all_varchar = true, delim = ',', quote = '"', escape = '"')`;
let sql;
if (mode === 'bias') {
  sql = `SELECT CASE WHEN grouping(sex) = 0 THEN 'sex' ELSE 'race' END AS attr, coalesce(sex, race) AS grp,
                count(*) AS n, count(*) FILTER (WHERE approved = '1') AS pos
         FROM ${src} GROUP BY GROUPING SETS ((sex), (race)) ORDER BY attr, grp`;
} else {
  sql = `COPY (SELECT id, sha256(sha256(name)) AS name, sha256(sha256(email)) AS email, sex, race, age, zip,
                      income, approved FROM ${src}) TO '${output}' (HEADER, DELIMITER ',')`;
}
const c0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
const reader = await con.runAndReadAll(sql);
const t1 = process.hrtime.bigint();
const c1 = process.cpuUsage(c0);
const groups = mode === 'bias' ? reader.getRows().map((r) => [r[0], r[1], Number(r[2]), Number(r[3])]) : [];
console.log(JSON.stringify({ wall: Number(t1 - t0) / 1e9, cpu: (c1.user + c1.system) / 1e6, groups }));
