// The tasks of one department, by role (lead or supporting), with the area each belongs to.
// param department: a department id such as D-commerce
MATCH (d:Department {uid: $department_uid})-[:LEADS|SUPPORTS]->(t:Task)<-[:HAS_TASK]-(a:Area)
WITH DISTINCT d, t, a
OPTIONAL MATCH (t)<-[:LEADS]-(l:Department)
WITH d, t, a, collect(l.id) AS leads
WITH t, a, CASE WHEN d.id IN leads THEN 'lead' ELSE 'supporting' END AS role
RETURN role, t.id AS task, t.number AS number, t.name AS name, a.id AS area
ORDER BY role, number
