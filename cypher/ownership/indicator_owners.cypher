// Who answers for an indicator: the departments leading or supporting the tasks that contribute to it.
// param indicator: an indicator id such as I1.1
MATCH (i:Indicator {uid: $indicator_uid})<-[:CONTRIBUTES_TO]-(t:Task)<-[:LEADS|SUPPORTS]-(d:Department)
WITH DISTINCT d, t
OPTIONAL MATCH (t)<-[:LEADS]-(l:Department)
WITH d, t, collect(l.id) AS leads
WITH d, t, CASE WHEN d.id IN leads THEN 'lead' ELSE 'supporting' END AS role
RETURN d.id AS department, d.name AS name, role, count(DISTINCT t) AS tasks, collect(DISTINCT t.id) AS via
ORDER BY role, tasks DESC, department
