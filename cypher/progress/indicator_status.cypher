// Every indicator's light, as assessed when the plan was built: method, label, reason and the readings' date.
MATCH (a:Assessment:PlanNode {plan: $plan})-[:ASSESSES]->(i:Indicator)
RETURN i.id AS indicator, i.name AS name, a.light AS light, a.label AS label, a.label_zh AS label_zh,
       a.method AS method, a.reason AS reason, a.as_of AS as_of
ORDER BY indicator
