// The red indicators a department answers for: those served by the tasks it leads or supports.
// param department: a department id such as D-commerce
MATCH (d:Department {uid: $department_uid})-[:LEADS|SUPPORTS]->(t:Task)-[:CONTRIBUTES_TO]->(i:Indicator)
MATCH (a:Assessment)-[:ASSESSES]->(i)
WHERE a.light = 'red'
RETURN i.id AS indicator, i.name AS name, a.label_zh AS label_zh, a.reason AS reason, collect(DISTINCT t.id) AS via
ORDER BY indicator
