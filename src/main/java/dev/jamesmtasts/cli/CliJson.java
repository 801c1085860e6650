package dev.jamesmtasts.cli;

import java.util.Collection;
import java.util.Map;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.jamesmtasts.cache.StoredPolicyView;
import dev.jamesmtasts.mtasts.MxPattern;
import dev.jamesmtasts.mtasts.SafeJson;
import dev.jamesmtasts.mtasts.SafeText;
import dev.jamesmtasts.mtasts.StsPolicy;

/** The JSON shapes shared by the subcommands (one object per line). */
final class CliJson {
    /** Escapes what is unsafe on a terminal ({@link SafeJson}); values stay exact. */
    static final ObjectMapper MAPPER = SafeJson.newMapper();

    private CliJson() {
    }

    /** One line of JSON (use this, not {@code ObjectNode.toString()}, which escapes C0 controls only). */
    static String write(JsonNode node) {
        return SafeJson.write(node);
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

    /**
     * One line per stored row, for {@code cache list} and {@code jmx list}: domain, mode, policy id,
     * mx patterns and valid-until (or {@code -} without a policy), then the backoff if one is stored.
     * Takes the {@link StoredPolicyView} shape, with {@code mx} a list or already joined (JMX).
     */
    static String rowLine(Map<String, ?> row) {
        StringBuilder sb = new StringBuilder(text(row.get(StoredPolicyView.DOMAIN)));
        if (row.containsKey(StoredPolicyView.MODE)) {
            sb.append('\t').append(text(row.get(StoredPolicyView.MODE)))
                    .append("\tid=").append(text(row.get(StoredPolicyView.POLICY_ID)))
                    .append("\tmx=").append(text(row.get(StoredPolicyView.MX)))
                    .append("\tvalid-until=").append(text(row.get(StoredPolicyView.VALID_UNTIL)));
        } else {
            sb.append("\t-");
        }
        if (row.containsKey(StoredPolicyView.BACKOFF_UNTIL)) {
            sb.append("\tbackoff-until=").append(text(row.get(StoredPolicyView.BACKOFF_UNTIL)));
        }
        return sb.toString();
    }

    private static String text(Object v) {
        if (v == null) {
            return "-";
        }
        if (v instanceof Collection) {
            return SafeText.display(((Collection<?>) v).stream().map(String::valueOf).collect(Collectors.joining(",")),
                    Integer.MAX_VALUE);
        }
        return SafeText.display(v.toString(), Integer.MAX_VALUE);
    }
}
