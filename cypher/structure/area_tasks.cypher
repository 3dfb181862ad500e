// The numbered tasks of one area, with their lead departments.
// param area: an area id such as A3
MATCH (a:Area {uid: $area_uid})-[:HAS_TASK]->(t:Task)
OPTIONAL MATCH (t)<-[:LEADS]-(d:Department)
RETURN t.number AS number, t.id AS task, t.name AS name, collect(d.name) AS leads
ORDER BY number
