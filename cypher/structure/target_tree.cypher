// A target's tree: the areas advancing it, their tasks, each task's lead and supporting departments, and the target's indicators it serves.
// param target: a target id such as G3
MATCH (g:Target {uid: $target_uid})<-[:ADVANCES]-(a:Area)-[:HAS_TASK]->(t:Task)
OPTIONAL MATCH (t)-[:CONTRIBUTES_TO]->(i:Indicator)<-[:MEASURED_BY]-(g)
WITH a, t, collect(DISTINCT i.id) AS indicators
OPTIONAL MATCH (l:Department)-[:LEADS]->(t)
WITH a, t, indicators, collect(DISTINCT l.name) AS leads
OPTIONAL MATCH (s:Department)-[:SUPPORTS]->(t)
RETURN a.id AS area, t.number AS number, t.id AS task, t.name AS name, leads, collect(DISTINCT s.name) AS supporting,
       indicators
ORDER BY area, number
