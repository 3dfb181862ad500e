// Every entity of one kind (or of every kind, with kind ''), with the names and aliases people call it by.
// param kind: a kind such as Department, Task, Target, or '' for all
MATCH (:Plan {plan: $plan})<-[:IN_PLAN]-(n)
WHERE n.kind <> 'Reading'  // no IN_PLAN from readings now; a file built before this had them
  AND ($kind = '' OR n.kind = $kind)
RETURN n.kind AS kind, n.id AS id, n.name AS name, n.name_en AS name_en, n.aliases AS aliases
ORDER BY kind, id
