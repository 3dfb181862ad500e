// The tasks two departments share, with the role each plays.
// param department: a department id such as D-drc
// param other: another department id such as D-miit
MATCH (d:Department {uid: $department_uid})-[:LEADS|SUPPORTS]->(t:Task)<-[:LEADS|SUPPORTS]-(o:Department {uid: $other_uid})
WITH DISTINCT d, o, t
OPTIONAL MATCH (t)<-[:LEADS]-(l:Department)
WITH d, o, t, collect(l.id) AS leads
RETURN t.id AS task, t.name AS name,
       CASE WHEN d.id IN leads THEN 'lead' ELSE 'supporting' END AS role,
       CASE WHEN o.id IN leads THEN 'lead' ELSE 'supporting' END AS other_role
ORDER BY t.number
