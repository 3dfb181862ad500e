// Tasks that no department leads.
MATCH (:Plan {plan: $plan})<-[:IN_PLAN]-(t:Task)
OPTIONAL MATCH (t)<-[l:LEADS]-(:Department)
WITH t, count(l) AS leads
WHERE leads = 0
RETURN t.id AS task, t.name AS name
ORDER BY t.number
