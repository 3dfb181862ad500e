"""The CLI in-process: exit codes, one-line errors without traceback, help on every command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli import app
from kg.cli.common import command_paths
from tests.conftest import SEED, SOURCE

runner = CliRunner()


def test_every_command_has_help_with_an_example() -> None:
    paths = command_paths()
    assert {"parse", "validate", "build", "stats", "export", "queries", "query", "cypher"} <= {p[0] for p in paths}
    for path in paths:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, path
        assert "Example: kg " in result.output, path


def test_validate_clean_seed() -> None:
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0
    assert "ok: 211 nodes" in result.output


def test_validate_broken_seed_exit_2_and_no_traceback(seed_copy: Path) -> None:
    path = seed_copy / "assignments.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("市商务局,市工业和信息化局", "市商务局,市无此局"), encoding="utf-8")
    result = runner.invoke(app, ["validate", "--seed", str(seed_copy)])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: 1 problem(s) in the seed data:\n")
    assert f"{seed_copy}/assignments.csv:5: unknown department '市无此局'" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_parse_missing_file_is_one_line() -> None:
    result = runner.invoke(app, ["parse", "no-such-plan.txt"])
    assert result.exit_code == 2
    assert result.stderr == "Error: no-such-plan.txt: no such file\n"


def test_parse_writes_json_with_offsets(tmp_path: Path) -> None:
    out = tmp_path / "parsed.json"
    result = runner.invoke(app, ["parse", str(SOURCE), "-o", str(out)])
    assert result.exit_code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    text = SOURCE.read_text(encoding="utf-8")
    task15 = data["areas"][2]["tasks"][2]
    assert task15["name"] == "加快发展数字经济"
    assert text[task15["span"]["start"]:task15["span"]["start"] + len(task15["span"]["quote"])] == "15.加快发展数字经济"


def _stats(args: list[str], env: dict[str, str] | None = None) -> dict[tuple[str, str], int]:
    result = runner.invoke(app, ["stats", "--format", "json", *args], env=env)
    assert result.exit_code == 0, result.output
    return {(r["element"], r["kind"]): r["count"] for r in json.loads(result.stdout)}


def test_build_then_stats_on_ladybug(tmp_path: Path, plan_graph) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "plan.lbug"
    result = runner.invoke(app, ["build", "--db", str(db)])
    assert result.exit_code == 0 and f"in {db}: 211 nodes" in result.stdout
    counts = plan_graph.counts()
    expected = {("node", k): v for k, v in counts["nodes"].items()}
    expected |= {("edge", k): v for k, v in counts["edges"].items()}
    assert _stats(["--db", str(db)]) == expected


@pytest.mark.neo4j
def test_build_then_stats_identical_on_both_stores(tmp_path: Path, neo4j_settings) -> None:  # type: ignore[no-untyped-def]
    env = {"NEO4J_URI": neo4j_settings.uri, "NEO4J_USERNAME": neo4j_settings.user,
           "NEO4J_PASSWORD": neo4j_settings.password}
    db = tmp_path / "plan.lbug"
    assert runner.invoke(app, ["build", "--db", str(db)]).exit_code == 0
    built = runner.invoke(app, ["build", "--store", "neo4j"], env=env)
    assert built.exit_code == 0, built.output
    assert neo4j_settings.password not in built.output
    try:
        assert _stats(["--store", "neo4j"], env) == _stats(["--db", str(db)])
    finally:
        from kg.stores.base import open_store

        s = open_store(neo4j_settings)
        s.delete_plan("shenyang-2023-2025")
        s.close()


def test_neo4j_unreachable_is_one_line_exit_1() -> None:
    result = runner.invoke(app, ["stats", "--store", "neo4j"],
                           env={"NEO4J_URI": "bolt://127.0.0.1:9", "NEO4J_PASSWORD": "s3cret-pass"})
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Neo4j at bolt://127.0.0.1:9: unreachable")
    assert result.stderr.count("\n") == 1 and "s3cret-pass" not in result.stderr


@pytest.mark.parametrize("fmt", ["json", "graphml", "gexf", "csv"])
def test_export_formats(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / ("out" if fmt == "csv" else f"plan.{fmt}")
    result = runner.invoke(app, ["export", "--format", fmt, "-o", str(out), "--seed", str(SEED)])
    assert result.exit_code == 0, result.output
    if fmt == "json":
        data = json.loads(out.read_text(encoding="utf-8"))
        assert len(data["nodes"]) == 211
        t15 = next(n for n in data["nodes"] if n["id"] == "T15")
        assert (t15["kind"], t15["name"], t15["provenance"]["kind"]) == ("Task", "加快发展数字经济", "seed")
        assert {"source", "target", "kind", "provenance"} <= set(data["edges"][0])
    elif fmt == "csv":
        nodes = (out / "nodes.csv").read_text(encoding="utf-8-sig")
        assert "加快发展数字经济" in nodes and nodes.count("\n") == 212
    else:
        import networkx as nx

        g = nx.read_graphml(out) if fmt == "graphml" else nx.read_gexf(out)
        assert g.number_of_nodes() == 211 and g.nodes["T15"]["name"] == "加快发展数字经济"


def test_export_from_the_store_equals_export_from_seed(cli_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    args, env = cli_store
    from_store, from_seed = tmp_path / "store.json", tmp_path / "seed.json"
    result = runner.invoke(app, ["export", "-o", str(from_store), *args], env=env)
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["export", "-o", str(from_seed), "--seed", str(SEED)]).exit_code == 0
    assert json.loads(from_store.read_text(encoding="utf-8")) == json.loads(from_seed.read_text(encoding="utf-8"))


def test_queries_lists_every_named_query_with_parameters() -> None:
    from kg.queries import load_queries

    result = runner.invoke(app, ["queries", "--format", "json"])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert {r["name"] for r in rows} == set(load_queries())
    upstream = next(r for r in rows if r["name"] == "upstream")
    assert upstream["topic"] == "dependencies"
    assert [p.split(":")[0] for p in upstream["parameters"]] == ["task", "depth"]


def test_query_accepts_names_the_way_people_write_them(cli_store) -> None:  # type: ignore[no-untyped-def]
    args, env = cli_store

    def tasks(*given: str) -> list[str]:
        result = runner.invoke(app, ["query", "department_tasks", *given, "-f", "json", *args], env=env)
        assert result.exit_code == 0, result.output
        return [r["task"] for r in json.loads(result.stdout)]

    by_code = tasks("-p", "department", "D-commerce")
    assert by_code == tasks("-p", "department", "商务局") == tasks("-p", "department", "bureau of commerce")
    assert {"T3", "T4", "T10", "T35"} <= set(by_code)
    up = runner.invoke(app, ["query", "upstream", "-p", "task", "15", "-p", "depth", "1", "-f", "csv", *args], env=env)
    assert up.exit_code == 0 and up.stdout.splitlines() == ["distance,task,name", "1,T25,实施人才强市战略"]


@pytest.mark.parametrize(("argv", "message"), [
    (["query", "no_such_query"], "Error: no named query 'no_such_query'"),
    (["query", "area_tasks"], "Error: query area_tasks takes -p area VALUE; missing: area"),
    (["query", "area_tasks", "-p", "area", "A1", "-p", "zone", "x"], "unknown: zone"),
    (["query", "upstream", "-p", "task", "T15", "-p", "depth", "deep"],
     "-p depth takes a whole number from 1 to 10, not 'deep'"),
    (["query", "department_tasks", "-p", "department", "局"], "Error: '局' could be 25 departments: "),
    (["query", "department_tasks", "-p", "department", "市外交部"], "Error: no department is called '市外交部'"),
    (["query", "upstream", "-p", "task", "99", "-p", "depth", "1"], "Error: no task is called '99'"),
    (["query", "area_tasks", "-p", "area"], "Error: unexpected '-p': -p takes a NAME and a VALUE"),
    (["cypher", "MATCH (n) RETURN n", "--bogus"], "Error: unexpected '--bogus'"),
    # a department where a target or a task is wanted: said so, and where to ask about a department (it was
    # "no entity is called '市商务局'; did you mean T38 优化城市规划布局?")
    (["owners", "市商务局"], "Error: '市商务局' is a department (D-commerce 市商务局), not a target, indicator, "
     "area or task (for what a department answers for: kg query targets_of_department -p department 市商务局, "
     "or kg query department_tasks -p department 市商务局)\n"),
    (["impact", "商务局"], "Error: '商务局' is a department (D-commerce 市商务局), not a task (for what"),
])
def test_query_usage_errors_exit_2_in_one_line(tmp_path: Path, plan_graph, argv: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    from kg.stores.base import StoreSettings, open_store

    db = tmp_path / "plan.lbug"
    open_store(StoreSettings(path=db)).build(plan_graph)
    result = runner.invoke(app, [*argv, "--db", str(db)])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: ") and message in result.stderr and result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_query_without_a_built_graph_says_to_build(tmp_path: Path) -> None:
    result = runner.invoke(app, ["query", "plan_overview", "--db", str(tmp_path / "none.lbug")])
    assert result.exit_code == 2 and "run `kg build` first" in result.stderr


def test_cypher_reads_with_parameters(cli_store) -> None:  # type: ignore[no-untyped-def]
    args, env = cli_store
    result = runner.invoke(app, ["cypher", "MATCH (t:Task {plan: $plan}) WHERE t.number <= $n "
                                 "RETURN t.id AS id ORDER BY t.number", "-p", "n", "3", "-f", "json", *args], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"id": "T1"}, {"id": "T2"}, {"id": "T3"}]


def test_an_empty_answer_keeps_its_header(cli_store) -> None:  # type: ignore[no-untyped-def]
    """No rows printed nothing at all with -f csv, not even the header a script reads its columns from; the columns
    come from the query's RETURN on each store, and the table shows them too."""
    args, env = cli_store
    cypher = "MATCH (t:Task {plan: $plan}) WHERE t.number > $n RETURN t.id AS id, t.name AS name ORDER BY id"
    for fmt, expected in (("csv", "id,name\n"), ("json", "[]\n")):
        result = runner.invoke(app, ["cypher", cypher, "-p", "n", "1000", "-f", fmt, *args], env=env)
        assert result.exit_code == 0 and result.stdout == expected, result.output
    table = runner.invoke(app, ["cypher", cypher, "-p", "n", "1000", *args], env={**env, "COLUMNS": "80"})
    assert table.exit_code == 0 and "id" in table.stdout and "name" in table.stdout and "0 row(s)" in table.stdout
    named = runner.invoke(app, ["query", "search", "-p", "text", "没有这样的名称", "-f", "csv", *args], env=env)
    assert named.exit_code == 0 and named.stdout == "kind,id,name,name_en\n", named.output
    some = runner.invoke(app, ["cypher", cypher, "-p", "n", "0", "-f", "csv", *args], env=env)
    assert some.stdout.splitlines()[0] == "id,name" and len(some.stdout.splitlines()) > 2  # a header once



def test_an_empty_analysis_keeps_its_header(cli_store) -> None:  # type: ignore[no-untyped-def]
    """The analyses built in Python (deps, gaps, owners, coordination, impact) print their header with no rows, as
    the queries do: T12 neither waits on a task nor is waited on."""
    import networkx as nx

    from kg.analysis import coordination, gaps
    from kg.output import render_rows
    from kg.stores.base import columns_of

    args, env = cli_store
    result = runner.invoke(app, ["deps", "T12", "-f", "csv", *args], env=env)
    assert result.exit_code == 0 and result.stdout == "direction,distance,task,name\n", result.output
    assert render_rows(gaps(nx.MultiDiGraph()), "csv", None, None, columns_of(gaps(nx.MultiDiGraph()))) == \
        "gap,id,name,detail\n"
    assert columns_of(coordination(nx.MultiDiGraph(), top=3)) == [
        "department", "other", "name", "other_name", "shared", "tasks"]

WRITES = [
    "MATCH (t:Task) SET t.name = 'x'",
    "CREATE (:Task {uid: 'x', id: 'T99', name: 'x'})",
    "MATCH (t:Task {id: 'T1'}) DETACH DELETE t",
    "MATCH (d:Department) REMOVE d.name",
    "MERGE (:Task {uid: 'y'})",
    "match (t:Task) set t.name = 'lower-case writes too'",
    "LOAD CSV FROM 'file:///etc/passwd' AS row RETURN row",
    "COPY Task FROM 'tasks.csv'",
    "CALL apoc.create.node(['Task'], {id: 'T99'})",
    "MATCH (t:Task) WITH t /* comment */ DELETE t",
]


@pytest.mark.parametrize("cypher", WRITES)
def test_cypher_refuses_writes_and_changes_nothing(cli_store, cypher: str) -> None:  # type: ignore[no-untyped-def]
    args, env = cli_store
    before = _stats(args, env)
    result = runner.invoke(app, ["cypher", cypher, *args], env=env)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: refused: `kg cypher` only reads") and result.stderr.count("\n") == 1
    assert _stats(args, env) == before



def test_a_file_with_several_plans_asks_which(tmp_path: Path, plan_graph) -> None:  # type: ignore[no-untyped-def]
    import copy

    from kg.stores.base import StoreSettings, open_store

    other = copy.deepcopy(plan_graph)
    other.plan_id = "pytest-other-plan"
    db = tmp_path / "two.lbug"
    store = open_store(StoreSettings(path=db))
    store.build_all([plan_graph, other])
    store.close()
    result = runner.invoke(app, ["stats", "--db", str(db)])
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {db} holds 2 plans (pytest-other-plan, shenyang-2023-2025); "
                             "name one with --plan\n")
    assert _stats(["--db", str(db), "--plan", "pytest-other-plan"])[("node", "Task")] == 65


def test_build_that_runs_out_of_buffer_pool_says_so_and_keeps_the_graph(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A build whose pool is too small (forced here: the option refuses sizes under 256 MiB; Shenyang's plan,
    its node tables created rather than copied, builds in 32 MiB and not in 16) is one clear error naming the
    pool and `--buffer-pool`, exit non-zero, and the graph built before still opens unchanged; sizes outside what
    a build can use, or the option on Neo4j, are refused before anything."""
    import kg.stores.ladybug as lb

    db = tmp_path / "plan.lbug"
    assert runner.invoke(app, ["build", "--db", str(db)]).exit_code == 0
    before = _stats(["--db", str(db)])
    with monkeypatch.context() as m:
        m.setattr(lb, "build_pool", lambda rows, chosen=None: 16 * 2**20)
        result = runner.invoke(app, ["build", "--db", str(db)])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "buffer pool was 16 MiB" in result.stderr and "--buffer-pool" in result.stderr, result.stderr
    assert "unchanged" in result.stderr
    assert _stats(["--db", str(db)]) == before
    assert not list(tmp_path.glob("plan.lbug.new*"))
    assert runner.invoke(app, ["build", "--db", str(db), "--buffer-pool", "512"]).exit_code == 0
    assert _stats(["--db", str(db)]) == before
    for size in ("100", str(10**9)):  # under the least a plan builds in; ~1 PiB
        refused = runner.invoke(app, ["build", "--db", str(db), "--buffer-pool", size])
        assert refused.exit_code == 2 and "Traceback" not in refused.output
        assert f"--buffer-pool {size} MiB: outside what a build can use" in refused.stderr
        assert "(valid: 256 to " in refused.stderr
    neo = runner.invoke(app, ["build", "--store", "neo4j", "--buffer-pool", "512"])
    assert neo.exit_code == 2 and "valid: --store ladybug" in neo.stderr
    assert _stats(["--db", str(db)]) == before and not list(tmp_path.glob("plan.lbug.new*"))


def test_buffer_pool_is_sized_to_the_data_within_bounds(tmp_path: Path) -> None:
    """Without --buffer-pool the pool grows with the rows loaded (and a file read back with its size), never below
    the store's least nor above half the memory this process may use; a chosen size is used as given."""
    from kg.stores.ladybug import BUFFER_POOL, POOL_PER_ROW, build_pool, memory_cap, read_pool

    cap = memory_cap()
    assert build_pool(700) == BUFFER_POOL
    for rows in (10**5, 10**6, 4 * 10**6, 10**9):
        assert build_pool(rows) == max(BUFFER_POOL, min(cap, rows * POOL_PER_ROW))
    assert build_pool(10**6) <= build_pool(4 * 10**6) <= build_pool(10**9)
    assert build_pool(10**9, 300) == 300 * 2**20
    small, big = tmp_path / "small", tmp_path / "big"
    small.write_bytes(b"x" * 1000)
    with big.open("wb") as fh:
        fh.truncate(400 * 2**20)  # sparse: the size is what counts
    assert read_pool(small) == BUFFER_POOL and read_pool(tmp_path / "missing") == BUFFER_POOL
    assert read_pool(big) == max(BUFFER_POOL, min(cap, 800 * 2**20))


def test_buffer_pool_cap_follows_a_container_memory_limit(tmp_path: Path) -> None:
    """The cap is half the lowest limit among the process's own cgroup, its parents and the roots (cgroup v2
    `memory.max`, v1 `memory.limit_in_bytes`), not half the host's; "max" or an unreadable file means no limit."""
    from kg.stores.ladybug import cgroup_limit_files, memory_cap

    host = memory_cap(())
    v2, v1, junk = tmp_path / "memory.max", tmp_path / "limit_in_bytes", tmp_path / "junk"
    v2.write_text("max\n")
    v1.write_text(f"{1024 * 2**20}\n")
    junk.write_bytes(b"\xff\xfe")
    assert memory_cap((v2,)) == host and memory_cap((junk, tmp_path / "missing")) == host
    assert memory_cap((v2, v1)) == min(host, 512 * 2**20)

    # where the files are looked for: the process's own cgroup first, from /proc/self/cgroup
    root = tmp_path / "cgroup"
    proc = tmp_path / "proc-cgroup"
    proc.write_text("0::/system.slice/job.scope\n")
    files = cgroup_limit_files(proc, root)
    assert files[:3] == [root / "system.slice/job.scope/memory.max", root / "system.slice/memory.max",
                         root / "memory.max"]
    (root / "system.slice/job.scope").mkdir(parents=True)
    (root / "system.slice/job.scope/memory.max").write_text(f"{2048 * 2**20}\n")
    assert memory_cap(files) == min(host, 1024 * 2**20)
    proc.write_text("12:cpu,cpuacct:/x\n4:memory:/docker/abc\n")
    assert cgroup_limit_files(proc, root)[0] == root / "memory/docker/abc/memory.limit_in_bytes"
    assert cgroup_limit_files(tmp_path / "no-such-file", root) == [root / "memory.max",
                                                                   root / "memory/memory.limit_in_bytes"]
