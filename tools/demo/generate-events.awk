# Generates realistic ONE-platform events as JSON lines for the demo: things, connections, knowledge and
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
            printf "{\"type\":\"item.created\",\"actorId\":\"%s\",\"targetId\":\"thing-%04d\",\"groupId\":\"%s\",\"timestamp\":%.0f,\"metadata\":{\"kind\":\"%s\",\"name\":\"%s %d\",\"status\":\"active\"}}\n", actor, things, org, ts, kind, kind, things
        } else if (r < 0.30) {
            t = 1 + int(rand() * things)
            printf "{\"type\":\"item.updated\",\"actorId\":\"%s\",\"targetId\":\"thing-%04d\",\"groupId\":\"%s\",\"timestamp\":%.0f,\"metadata\":{\"status\":\"%s\",\"properties\":{\"score\":%d}}}\n", actor, t, org, ts, statuses[1 + int(rand() * 3)], int(rand() * 100)
        } else if (r < 0.45) {
            a = 1 + int(rand() * things); b = 1 + int(rand() * things)
            printf "{\"type\":\"link.created\",\"actorId\":\"%s\",\"targetId\":\"thing-%04d\",\"groupId\":\"%s\",\"timestamp\":%.0f,\"metadata\":{\"fromId\":\"thing-%04d\",\"toId\":\"thing-%04d\",\"connectionType\":\"%s\"}}\n", actor, a, org, ts, a, b, links[1 + int(rand() * 4)]
        } else if (r < 0.52) {
            t = 1 + int(rand() * things)
            printf "{\"type\":\"knowledge.added\",\"actorId\":\"%s\",\"targetId\":\"thing-%04d\",\"groupId\":\"%s\",\"timestamp\":%.0f,\"metadata\":{\"thingId\":\"thing-%04d\",\"text\":\"Notes on item %d: reviewed by %s\",\"labels\":[\"review\",\"q4\"]}}\n", actor, t, org, ts, t, t, actor
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
