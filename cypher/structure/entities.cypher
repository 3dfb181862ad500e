// Every entity of one kind (or of every kind, with kind ''), with the names and aliases people call it by.
// param kind: a kind such as Department, Task, Target, or '' for all
MATCH (n:PlanNode {plan: $plan})
WHERE n.kind <> 'Reading'  // observations are reached through their indicator (kg.model.OBSERVATION_KINDS)
  AND ($kind = '' OR n.kind = $kind)
RETURN n.kind AS kind, n.id AS id, n.name AS name, n.name_en AS name_en, n.aliases AS aliases
ORDER BY kind, id
