package dev.jamesmtasts.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.jamesmtasts.mtasts.StsPolicy;

/** {@link StoredPolicyView}: one set of field names, in one order, for CLI, JMX and WebAdmin. */
class StoredPolicyViewTest {
    private static final String TEXT = "version: STSv1\nmode: enforce\nmx: mx1.example.net\nmx: *.example.org\nmax_age: 86400\n";
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private static StoredPolicy row(boolean backoff) throws Exception {
        StsPolicy p = StsPolicy.parse(TEXT);
        return new StoredPolicy("example.com", "20260101", p, T0, T0.plusSeconds(86400), T0, T0.plusSeconds(60),
                T0.plusSeconds(120), backoff, backoff ? T0.plusSeconds(300) : null, backoff ? "HTTP 503" : null);
    }

    @Test
    void aFullRowHasTheRfcNamesInOrder() throws Exception {
        Map<String, Object> m = StoredPolicyView.of(row(false), false);
        assertThat(m.keySet()).containsExactly("domain", "mode", "mx", "max_age", "policy_id", "valid_until",
                "last_update", "last_check", "last_use", "inserted");
        assertThat(m).containsEntry("mode", "enforce").containsEntry("max_age", 86400L)
                .containsEntry("mx", List.of("mx1.example.net", "*.example.org")).containsEntry("policy_id", "20260101")
                .containsEntry("valid_until", "2026-01-02T00:00:00Z");
    }

    @Test
    void backoffAndTextAreAddedOnlyWhenThere() throws Exception {
        Map<String, Object> m = StoredPolicyView.of(row(true), true);
        assertThat(m).containsEntry("backoff_until", "2026-01-01T00:05:00Z").containsEntry("backoff_reason", "HTTP 503")
                .containsEntry("policy_text", TEXT);
        assertThat(StoredPolicyView.of(row(false), false)).doesNotContainKeys("backoff_until", "policy_text");
    }

    @Test
    void aBackoffOnlyRowHasNoPolicyFields() {
        StoredPolicy r = new StoredPolicy("fail.example", null, null, T0, null, null, null, null, true,
                T0.plusSeconds(300), "TLS");
        assertThat(StoredPolicyView.of(r, true).keySet()).containsExactly("domain", "inserted", "backoff_until",
                "backoff_reason");
    }

    @Test
    void theJmxViewHasTheSameNamesWithStringValues() throws Exception {
        Map<String, Object> m = StoredPolicyView.of(row(false), true);
        Map<String, String> jmx = StoredPolicyView.forJmx(m);
        assertThat(jmx.keySet()).containsExactlyElementsOf(m.keySet());
        assertThat(jmx).containsEntry("mx", "mx1.example.net,*.example.org").containsEntry("max_age", "86400");
    }

    @Test
    void asJsonMxIsAListAndMaxAgeANumber() throws Exception {
        String json = new ObjectMapper().writeValueAsString(StoredPolicyView.of(row(false), false));
        assertThat(json).startsWith("{\"domain\":\"example.com\",\"mode\":\"enforce\","
                + "\"mx\":[\"mx1.example.net\",\"*.example.org\"],\"max_age\":86400,\"policy_id\":\"20260101\"");
    }

    @Test
    void aPolicyWithoutTimestampsGivesThePolicyPart() throws Exception {
        assertThat(StoredPolicyView.of("example.com", "i1", StsPolicy.parse(TEXT), true).keySet())
                .containsExactly("domain", "mode", "mx", "max_age", "policy_id", "policy_text");
    }
}
