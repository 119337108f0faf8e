# Generates realistic ONE-platform events as JSON lines for the demo: things, connections, knowledge (the
# vocabulary of docs/EVENTS.md, always valid against the state so far) and
# plugin actions across a few organizations. Deterministic (fixed seed). Usage: awk -v n=3000 -f generate-events.awk
BEGIN {
    srand(42)
    split("org-acme org-globex org-initech org-umbrella", orgs, " ")
    split("@elizaos/plugin-solana @elizaos/plugin-discord @elizaos/plugin-openai @elizaos/plugin-sql " \
          "@elizaos/plugin-twitter @elizaos/plugin-evm", plugins, " ")
    split("getQuote swapTokens sendMessage summarize storeMemory fetchTweets", actions, " ")
    split("agent document wallet channel memory", kinds, " ")
    split("active draft archived", statuses, " ")
    split("owns uses mentions depends_on", links, " ")
    notes[1] = "Swaps tokens on Solana through a Jupiter route; keep the wallet funded for fees"
    notes[2] = "Moderates the Discord channel and answers support questions overnight"
    notes[3] = "Summarizes long documents with the OpenAI plugin before they reach the agent"
    notes[4] = "Stores agent memory in Postgres through the SQL plugin; vacuum weekly"
    notes[5] = "Fetches tweets about the launch and drafts replies for review"
    notes[6] = "Quotes prices on an EVM exchange and alerts when slippage exceeds one percent"
    notes[7] = "Reviewed by security: the wallet keys live in the vault, not in the agent"
    conns = 0
    facts = 0
    if (n == 0) n = 3000
    things = 0
    for (i = 1; i <= n; i++) {
        org = orgs[1 + int(rand() * 4)]
        actor = sprintf("user-%03d", 1 + int(rand() * 40))
        ts = 1795600000000 + i * 250
        r = rand()
        if (things < 20 || r < 0.15) {
            things++
            kind = kinds[1 + int(rand() * 5)]
            group[things] = org
            printf "{\"type\":\"thing.created\",\"actorId\":\"%s\",\"targetId\":\"thing-%04d\",\"groupId\":\"%s\",\"timestamp\":%.0f,\"metadata\":{\"thingType\":\"%s\",\"name\":\"%s %d\",\"status\":\"active\"}}\n", actor, things, org, ts, kind, kind, things
        } else if (r < 0.30) {
            t = 1 + int(rand() * things)
            printf "{\"type\":\"thing.updated\",\"actorId\":\"%s\",\"targetId\":\"thing-%04d\",\"groupId\":\"%s\",\"timestamp\":%.0f,\"metadata\":{\"status\":\"%s\",\"properties\":{\"score\":%d}}}\n", actor, t, group[t], ts, statuses[1 + int(rand() * 3)], int(rand() * 100)
        } else if (r < 0.45) {
            a = 1 + int(rand() * things); b = 1 + int(rand() * things)
            conns++
            printf "{\"type\":\"connection.created\",\"actorId\":\"%s\",\"targetId\":\"conn-%05d\",\"groupId\":\"%s\",\"timestamp\":%.0f,\"metadata\":{\"fromId\":\"thing-%04d\",\"toId\":\"thing-%04d\",\"connectionType\":\"%s\"}}\n", actor, conns, group[a], ts, a, b, links[1 + int(rand() * 4)]
        } else if (r < 0.52) {
            t = 1 + int(rand() * things)
            facts++
            printf "{\"type\":\"knowledge.added\",\"actorId\":\"%s\",\"targetId\":\"note-%05d\",\"groupId\":\"%s\",\"timestamp\":%.0f,\"metadata\":{\"thingId\":\"thing-%04d\",\"text\":\"%s (thing %d, noted by %s)\",\"labels\":[\"review\",\"q4\"]}}\n", actor, facts, group[t], ts, t, notes[1 + int(rand() * 7)], t, actor
        } else {
            p = 1 + int(rand() * 6)
            req = sprintf("req-%06d", i)
            printf "{\"type\":\"plugin_action_initiated\",\"actorId\":\"%s\",\"targetId\":\"plugin:%s\",\"groupId\":\"%s\",\"timestamp\":%.0f,\"metadata\":{\"plugin\":\"%s\",\"action\":\"%s\",\"requestId\":\"%s\"}}\n", actor, plugins[p], org, ts, plugins[p], actions[p], req
            if (rand() < 0.9) {
                printf "{\"type\":\"plugin_action_executed\",\"actorId\":\"%s\",\"targetId\":\"plugin:%s\",\"groupId\":\"%s\",\"timestamp\":%.0f,\"metadata\":{\"plugin\":\"%s\",\"action\":\"%s\",\"requestId\":\"%s\",\"durationMs\":%d}}\n", actor, plugins[p], org, ts + 40, plugins[p], actions[p], req, 5 + int(rand() * 400)
            } else {
                printf "{\"type\":\"plugin_action_failed\",\"actorId\":\"%s\",\"targetId\":\"plugin:%s\",\"groupId\":\"%s\",\"timestamp\":%.0f,\"metadata\":{\"plugin\":\"%s\",\"action\":\"%s\",\"requestId\":\"%s\",\"error\":\"timeout\"}}\n", actor, plugins[p], org, ts + 40, plugins[p], actions[p], req
            }
            i++
        }
    }
}
