package dev.jamesmtasts.cli;

import java.time.Instant;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.jamesmtasts.mtasts.MxPattern;
import dev.jamesmtasts.mtasts.StsPolicy;

/** The JSON shapes shared by the subcommands (one object per line). */
final class CliJson {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private CliJson() {
    }

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    /** {@code "policy":{"mode":…,"mx":[…],"max_age":N}} */
    static ObjectNode putPolicy(ObjectNode parent, StsPolicy p) {
        ObjectNode policy = parent.putObject("policy");
        policy.put("mode", p.mode().text());
        ArrayNode mx = policy.putArray("mx");
        for (MxPattern m : p.mx()) {
            mx.add(m.toString());
        }
        policy.put("max_age", p.maxAgeSeconds());
        return policy;
    }

    /** An ISO-8601 instant, or nothing when null. */
    static void putInstant(ObjectNode o, String name, Instant t) {
        if (t != null) {
            o.put(name, t.toString());
        }
    }
}
