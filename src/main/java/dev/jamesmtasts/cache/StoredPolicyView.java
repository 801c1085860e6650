package dev.jamesmtasts.cache;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.jamesmtasts.mtasts.MxPattern;
import dev.jamesmtasts.mtasts.StsPolicy;

/**
 * The one shape of a stored policy row as an administrator sees it, whichever way they ask:
 * {@code mta-sts cache --json}, the JMX MBean ({@code mta-sts jmx}, jconsole) and WebAdmin
 * {@code /mta-sts/policies}. Field names are those of RFC 8461 where it names the thing, and those of
 * the Cassandra columns otherwise, in this order (absent values are left out):
 *
 * <table>
 *   <caption>fields</caption>
 *   <tr><td>{@value #DOMAIN}</td><td>the policy domain</td></tr>
 *   <tr><td>{@value #MODE}</td><td>{@code enforce}, {@code testing} or {@code none} (RFC 8461 §3.2)</td></tr>
 *   <tr><td>{@value #MX}</td><td>the {@code mx} patterns in policy order (§3.2); a list, joined with
 *       {@code ,} in the JMX view</td></tr>
 *   <tr><td>{@value #MAX_AGE}</td><td>the policy's {@code max_age} in seconds (§3.2)</td></tr>
 *   <tr><td>{@value #POLICY_ID}</td><td>the {@code id} of the {@code _mta-sts} TXT record the policy
 *       was fetched under (§3.1)</td></tr>
 *   <tr><td>{@value #VALID_UNTIL}</td><td>last successful fetch + max_age (§3.3, §5.1)</td></tr>
 *   <tr><td>{@value #LAST_UPDATE}</td><td>the last successful fetch</td></tr>
 *   <tr><td>{@value #LAST_CHECK}</td><td>the last time the TXT id was confirmed</td></tr>
 *   <tr><td>{@value #LAST_USE}</td><td>the last delivery that used the policy</td></tr>
 *   <tr><td>{@value #INSERTED}</td><td>when the row was first written</td></tr>
 *   <tr><td>{@value #BACKOFF_UNTIL}, {@value #BACKOFF_REASON}</td><td>a failed fetch and when it may
 *       be retried (§3.3); only while a backoff is stored</td></tr>
 *   <tr><td>{@value #POLICY_TEXT}</td><td>the policy body as served (only when asked for)</td></tr>
 * </table>
 * Instants are ISO-8601 strings. No James or JSON-library type: the CLI and WebAdmin serialise the
 * map with Jackson, JMX takes {@link #forJmx(Map)}.
 */
public final class StoredPolicyView {
    public static final String DOMAIN = "domain";
    public static final String MODE = "mode";
    public static final String MX = "mx";
    public static final String MAX_AGE = "max_age";
    public static final String POLICY_ID = "policy_id";
    public static final String VALID_UNTIL = "valid_until";
    public static final String LAST_UPDATE = "last_update";
    public static final String LAST_CHECK = "last_check";
    public static final String LAST_USE = "last_use";
    public static final String INSERTED = "inserted";
    public static final String BACKOFF_UNTIL = "backoff_until";
    public static final String BACKOFF_REASON = "backoff_reason";
    public static final String POLICY_TEXT = "policy_text";

    private StoredPolicyView() {
    }

    /** The row; {@code withText} adds {@value #POLICY_TEXT}. */
    public static Map<String, Object> of(StoredPolicy r, boolean withText) {
        Map<String, Object> m = of(r.domain(), r.recordId(), r.policy(), false);
        putInstant(m, VALID_UNTIL, r.validUntil());
        putInstant(m, LAST_UPDATE, r.lastUpdate());
        putInstant(m, LAST_CHECK, r.lastCheck());
        putInstant(m, LAST_USE, r.lastUse());
        putInstant(m, INSERTED, r.inserted());
        if (r.backoff()) {
            putInstant(m, BACKOFF_UNTIL, r.backoffUntil());
            putIfPresent(m, BACKOFF_REASON, r.backoffReason());
        }
        if (withText && r.policy() != null) {
            putIfPresent(m, POLICY_TEXT, r.policy().text());
        }
        return m;
    }

    /**
     * The policy part of a row alone (for a cache that keeps no timestamps, such as an in-memory
     * test double): {@value #DOMAIN}, the policy fields and {@value #POLICY_ID}.
     */
    public static Map<String, Object> of(String domain, String policyId, StsPolicy policy, boolean withText) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(DOMAIN, domain);
        if (policy != null) {
            m.put(MODE, policy.mode().text());
            List<String> mx = new ArrayList<>(policy.mx().size());
            for (MxPattern p : policy.mx()) {
                mx.add(p.toString());
            }
            m.put(MX, mx);
            m.put(MAX_AGE, policy.maxAgeSeconds());
        }
        putIfPresent(m, POLICY_ID, policyId);
        if (withText && policy != null) {
            putIfPresent(m, POLICY_TEXT, policy.text());
        }
        return m;
    }

    /**
     * The same row with every value a string (lists joined with {@code ,}), so that any JMX client can
     * read it without project classes.
     */
    public static Map<String, String> forJmx(Map<String, ?> row) {
        Map<String, String> m = new LinkedHashMap<>();
        row.forEach((k, v) -> {
            if (v instanceof Collection) {
                m.put(k, String.join(",", ((Collection<?>) v).stream().map(String::valueOf).toArray(String[]::new)));
            } else if (v != null) {
                m.put(k, String.valueOf(v));
            }
        });
        return m;
    }

    private static void putIfPresent(Map<String, Object> m, String k, String v) {
        if (v != null) {
            m.put(k, v);
        }
    }

    private static void putInstant(Map<String, Object> m, String k, Instant v) {
        if (v != null) {
            m.put(k, v.toString());
        }
    }
}
