// The tasks a task waits on, directly or through others, up to a depth, nearest first.
// param task: a task id such as T15
// param depth (int 1..10): how many dependency steps to follow (1 to 10)
MATCH p = (t:Task {uid: $task_uid})-[:DEPENDS_ON*1..10]->(u:Task)
WHERE length(p) <= $depth
WITH u, min(length(p)) AS distance
RETURN distance, u.id AS task, u.name AS name
ORDER BY distance, task
